-- The sync engine: each row's write stamp (so storage applies the same merge rule as
-- crates/core::sync::merge, even under concurrent writers), and idempotent pushes.

-- Document clock of the stored write, ms since the epoch (updatedAt, or deletedAt for a
-- tombstone). Rows written before this column existed count as the oldest possible write.
ALTER TABLE sync_data ADD COLUMN clock_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX idx_sync_data_user_type ON sync_data (user_id, entity_type);

-- A push answered under an X-Idempotency-Key, replayed for 24 hours.
CREATE TABLE idempotency_keys (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    response      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idx_idempotency_expires ON idempotency_keys (expires_at);
