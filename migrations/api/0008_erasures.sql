-- An account's erasure beyond the api's own rows (crates/core/src/erasure.rs,
-- workers/api/src/erasure.rs): one row per step (scores, dictionary, sync, the api's rate
-- counters), written in the same D1 batch that deletes the account, so a step can never be
-- forgotten. A step runs at once; a failed one is retried by the hourly cron from
-- `next_attempt_at` until `done_at` is set. Done rows are purged after 30 days.
CREATE TABLE erasures (
    user_id          TEXT NOT NULL,
    step             TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    done_at          TEXT,
    PRIMARY KEY (user_id, step)
);
CREATE INDEX idx_erasures_pending ON erasures (done_at, next_attempt_at);
