-- Social login: the provider identities connected to users, one per
-- (provider, uid) across all users, and the provider redirects in progress,
-- stored under the hash of their single-use state.
CREATE TABLE social_accounts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider   TEXT        NOT NULL,
    uid        TEXT        NOT NULL,
    email      TEXT        NOT NULL DEFAULT '',
    display    TEXT        NOT NULL DEFAULT '',
    tokens     BYTEA,      -- the provider's tokens, sealed; NULL unless stored
    created    TIMESTAMPTZ NOT NULL,
    last_login TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX social_accounts_provider_uid ON social_accounts (provider, uid);
CREATE INDEX social_accounts_user ON social_accounts (user_id);

CREATE TABLE social_flows (
    state_hash   BYTEA       PRIMARY KEY,
    browser_hash BYTEA       NOT NULL,
    provider     TEXT        NOT NULL,
    process      TEXT        NOT NULL,
    callback_url TEXT        NOT NULL,
    verifier     TEXT        NOT NULL,
    nonce        TEXT        NOT NULL,
    user_id      BIGINT      REFERENCES users (id) ON DELETE CASCADE,
    created      TIMESTAMPTZ NOT NULL,
    expires      TIMESTAMPTZ NOT NULL
);
CREATE INDEX social_flows_expires ON social_flows (expires);
