-- Social login: the provider identities connected to users, one per
-- (provider, uid) across all users, and the provider redirects in progress,
-- stored under the hash of their single-use state.
CREATE TABLE social_accounts (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider   TEXT    NOT NULL,
    uid        TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    display    TEXT    NOT NULL DEFAULT '',
    tokens     BLOB,   -- the provider's tokens, sealed; NULL unless stored
    created    INTEGER NOT NULL,
    last_login INTEGER NOT NULL
);
CREATE UNIQUE INDEX social_accounts_provider_uid ON social_accounts (provider, uid);
CREATE INDEX social_accounts_user ON social_accounts (user_id);

CREATE TABLE social_flows (
    state_hash   BLOB    PRIMARY KEY,
    browser_hash BLOB    NOT NULL,
    provider     TEXT    NOT NULL,
    process      TEXT    NOT NULL,
    callback_url TEXT    NOT NULL,
    verifier     TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created      INTEGER NOT NULL,
    expires      INTEGER NOT NULL
);
CREATE INDEX social_flows_expires ON social_flows (expires);
