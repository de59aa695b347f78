-- Refresh tokens of the JWT strategy. A session is one refresh family: its
-- tokens rotate, and deleting the session (logout, password change, reuse
-- of a spent token) deletes them all. Only SHA-256 hashes are stored.
CREATE TABLE refresh_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created    TIMESTAMPTZ NOT NULL,
    expires    TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ  -- set when the token is exchanged; NULL while fresh
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- JWT signing keys, private parts sealed with the master secret. A key with
-- retire_at set signs no more and leaves the JWKS at that time.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    retire_at   TIMESTAMPTZ
);
