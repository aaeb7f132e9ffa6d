-- Practice recordings. The audio is an R2 object (`recordings/<userId>/<id>.<ext>` in the
-- RECORDINGS bucket); the metadata devices see is the `recording` sync document of the same id.
-- These tables hold what only the server knows: where the bytes are and what they cost.

CREATE TABLE recordings (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    r2_key        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX idx_recordings_user ON recordings (user_id);

-- A multipart upload in progress. Its declared size counts against the quota until it is
-- completed or aborted (the api's cron aborts one untouched for 24 hours).
CREATE TABLE recording_uploads (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recording_id   TEXT NOT NULL,
    r2_key         TEXT NOT NULL,
    r2_upload_id   TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    fields         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX idx_recording_uploads_user ON recording_uploads (user_id);
CREATE INDEX idx_recording_uploads_updated ON recording_uploads (updated_at);

-- Parts received, so a client resuming an upload sends only the missing ones.
CREATE TABLE recording_upload_parts (
    upload_id    TEXT NOT NULL REFERENCES recording_uploads (id) ON DELETE CASCADE,
    part_number  INTEGER NOT NULL,
    etag         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
