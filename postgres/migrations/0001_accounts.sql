-- Users, their email addresses and server-side sessions. Later features add
-- their own tables referencing users(id) and sessions(id).
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id     UUID        NOT NULL UNIQUE,
    username      TEXT,
    username_key  TEXT,   -- lower-cased username, for case-insensitive uniqueness
    password_hash TEXT        NOT NULL,
    is_active     BOOLEAN     NOT NULL DEFAULT TRUE,
    is_staff      BOOLEAN     NOT NULL DEFAULT FALSE,
    is_superuser  BOOLEAN     NOT NULL DEFAULT FALSE,
    date_joined   TIMESTAMPTZ NOT NULL,
    last_login    TIMESTAMPTZ,
    updated       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE email_addresses (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT        NOT NULL,  -- stored lower-cased
    verified   BOOLEAN     NOT NULL DEFAULT FALSE,
    is_primary BOOLEAN     NOT NULL DEFAULT FALSE,
    created    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX email_addresses_email_key ON email_addresses (email);
CREATE UNIQUE INDEX email_addresses_one_primary ON email_addresses (user_id) WHERE is_primary;

CREATE TABLE sessions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash    BYTEA       NOT NULL UNIQUE,  -- SHA-256 of the session key; the key is never stored
    user_id     BIGINT REFERENCES users (id) ON DELETE CASCADE,  -- NULL: anonymous, carrying a pending flow
    client      TEXT        NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    expires     TIMESTAMPTZ NOT NULL,
    max_expires TIMESTAMPTZ NOT NULL,
    ip          TEXT        NOT NULL DEFAULT '',
    user_agent  TEXT        NOT NULL DEFAULT '',
    state       JSONB       NOT NULL DEFAULT '{}'  -- auth methods, pending login stages
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);
