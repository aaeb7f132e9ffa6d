-- Every synced document of a user (logbook entries, goals, plans, repertoire, preferences…),
-- and the per-user change counter that orders them.

CREATE TABLE sync_data (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    -- The document as the client sent it (after validation and normalisation), JSON.
    data         TEXT NOT NULL,
    checksum     TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    -- Per-user change counter at this row's last write: the cursor of delta pulls.
    seq          INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT,
    device_id    TEXT,
    PRIMARY KEY (user_id, entity_type, entity_id)
);
CREATE UNIQUE INDEX idx_sync_data_user_seq ON sync_data (user_id, seq);

-- The last seq handed out per user; every write path bumps it in the same batch as its write.
CREATE TABLE sync_state (
    user_id   TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seq  INTEGER NOT NULL DEFAULT 0
);
