-- Single-use tokens sent in email links (address verification, password
-- reset). Only their SHA-256 is stored.
CREATE TABLE tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       TEXT        NOT NULL,
    token_hash BYTEA       NOT NULL UNIQUE,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT        NOT NULL,
    created    TIMESTAMPTZ NOT NULL,
    expires    TIMESTAMPTZ NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id, kind);
