-- Sign-in sessions: each magic-link or Google sign-in is one session; its access and refresh
-- tokens carry the session id as `sid`. Refresh rotates within the session: `refresh_jti` is
-- the one refresh token of the family that may be used next, so presenting an older one is
-- reuse and ends the session (crates/core/src/sessions.rs, workers/api/src/session.rs).
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- "Chrome on macOS": from the User-Agent at sign-in.
    device          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_used_at    TEXT NOT NULL,
    -- When the newest tokens of the session expire (issue time + 30 days).
    expires_at      TEXT NOT NULL,
    refresh_jti     TEXT NOT NULL,
    revoked_at      TEXT,
    revoked_reason  TEXT
);
CREATE INDEX idx_sessions_user ON sessions (user_id, created_at);
CREATE INDEX idx_sessions_expires ON sessions (expires_at);
