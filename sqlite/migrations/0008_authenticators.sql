-- Users' second factors (account/mfa.go): a TOTP secret, a set of recovery
-- codes, later WebAuthn credentials. data is the core's JSON with its
-- secrets already encrypted; counter is the last TOTP time step accepted
-- (a code works once) or the recovery codes' version, and every use is a
-- compare-and-swap on it. A user has at most one TOTP authenticator and
-- one set of recovery codes.
CREATE TABLE authenticators (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type      TEXT    NOT NULL,
    data      TEXT    NOT NULL,
    counter   BIGINT  NOT NULL DEFAULT 0,
    created   INTEGER NOT NULL,
    last_used INTEGER
);
CREATE INDEX authenticators_user ON authenticators (user_id);
CREATE UNIQUE INDEX authenticators_one_per_type ON authenticators (user_id, type) WHERE type IN ('totp', 'recovery_codes');
