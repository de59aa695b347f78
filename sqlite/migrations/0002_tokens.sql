-- Single-use tokens sent in email links (address verification, password
-- reset). Only their SHA-256 is stored.
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    kind       TEXT        NOT NULL,
    token_hash BLOB       NOT NULL UNIQUE,
    user_id    INTEGER      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT        NOT NULL,
    created    INTEGER NOT NULL,
    expires    INTEGER NOT NULL
);
CREATE INDEX tokens_user ON tokens (user_id, kind);
