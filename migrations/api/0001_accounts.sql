-- Accounts: users, and the single-use record of sign-in and refresh tokens.

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    -- Always stored trimmed and lower-cased; compared case-insensitively.
    email              TEXT NOT NULL,
    display_name       TEXT,
    auth_provider      TEXT NOT NULL DEFAULT 'magic_link'
                       CHECK (auth_provider IN ('magic_link', 'google')),
    google_id          TEXT,
    role               TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'teacher', 'admin')),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    last_login_at      TEXT,
    login_count        INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX idx_users_email ON users (email);
CREATE UNIQUE INDEX idx_users_google_id ON users (google_id) WHERE google_id IS NOT NULL;

-- A magic-link or refresh token's id once it has been used (or revoked): the primary key
-- makes "use once" atomic. Rows past expires_at can be purged.
CREATE TABLE used_tokens (
    jti         TEXT PRIMARY KEY,
    token_type  TEXT NOT NULL CHECK (token_type IN ('magic_link', 'refresh')),
    user_id     TEXT,
    used_at     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX idx_used_tokens_expires ON used_tokens (expires_at);
