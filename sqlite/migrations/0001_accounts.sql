-- Users, their email addresses and server-side sessions. Times are Unix
-- microseconds (INTEGER). Later features add their own tables referencing
-- users(id) and sessions(id).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id     TEXT    NOT NULL UNIQUE,
    username      TEXT,
    username_key  TEXT,   -- lower-cased username, for case-insensitive uniqueness
    password_hash TEXT    NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT 1,
    is_staff      BOOLEAN NOT NULL DEFAULT 0,
    is_superuser  BOOLEAN NOT NULL DEFAULT 0,
    date_joined   INTEGER NOT NULL,
    last_login    INTEGER,
    updated       INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE email_addresses (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,  -- stored lower-cased
    verified   BOOLEAN NOT NULL DEFAULT 0,
    is_primary BOOLEAN NOT NULL DEFAULT 0,
    created    INTEGER NOT NULL
);
CREATE UNIQUE INDEX email_addresses_email_key ON email_addresses (email);
CREATE UNIQUE INDEX email_addresses_one_primary ON email_addresses (user_id) WHERE is_primary;

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: access tokens name sessions by id
    key_hash    BLOB    NOT NULL UNIQUE,  -- SHA-256 of the session key; the key is never stored
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,  -- NULL: anonymous, carrying a pending flow
    client      TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires     INTEGER NOT NULL,
    max_expires INTEGER NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL DEFAULT '{}'  -- JSON: auth methods, pending login stages
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);
