-- Operations: the audit log, admin API keys, and the indexes the admin
-- users list pages through (keyset pagination, never OFFSET).

-- The audit log: every security event the core records, written in the
-- unit of work of the change it describes. user_public_id is kept without a
-- foreign key, so that the trail of a deleted user stays. details is a JSON
-- object of the event's own fields (never a password, code, key or token).
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    user_public_id TEXT,
    ip             TEXT    NOT NULL DEFAULT '',
    user_agent     TEXT    NOT NULL DEFAULT '',
    details        TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_user ON audit_events (user_public_id, at, id);
CREATE INDEX audit_events_type ON audit_events (type, at, id);

-- Admin API keys, for backends calling the admin API. Only the SHA-256 of a
-- key is stored; the key is shown once, when it is created.
CREATE TABLE api_keys (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    name      TEXT    NOT NULL UNIQUE,
    key_hash  BLOB    NOT NULL UNIQUE,
    created   INTEGER NOT NULL,
    last_used INTEGER
);

-- The admin users list: one index per sort order, each ending in the id
-- that breaks ties, so that every page is an index range scan.
CREATE INDEX users_date_joined ON users (date_joined, id);
CREATE INDEX users_last_login ON users (last_login, id);
CREATE INDEX email_addresses_primary_email ON email_addresses (email) WHERE is_primary;

-- Users imported from another system (latch import-django): the source's
-- id of each, so that a second run updates instead of duplicating, and the
-- password hash as imported, so that a run never overwrites a password the
-- user has changed since.
CREATE TABLE imported_users (
    source        TEXT    NOT NULL,  -- e.g. "django:auth_user"
    source_id     INTEGER  NOT NULL,
    user_id       INTEGER  NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT    NOT NULL,
    PRIMARY KEY (source, source_id)
);
