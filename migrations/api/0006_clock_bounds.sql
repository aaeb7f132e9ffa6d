-- Device clocks bounded by the server's (`MAX_CLOCK_SKEW`, crates/core/src/sync/clock.rs).
-- The hourly cron repairs documents stored with a clock beyond the bound (written before the
-- bound existed, or under a larger skew); this index finds them without a scan.
-- `sync_data.updated_at` is the server's receive time of each row's last write (never a
-- device clock): the crons measure ages by it, e.g. how long ago the server saw a delete.
CREATE INDEX IF NOT EXISTS idx_sync_data_clock ON sync_data (clock_ms);
