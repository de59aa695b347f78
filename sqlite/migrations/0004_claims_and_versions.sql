-- An address carries authority (blocks other signups, receives reset links and
-- login codes, logs in) only once it is verified or as an account's primary
-- (signup) address. An unverified address added to an account claims nothing,
-- so several accounts may hold the same unverified address; verifying it in
-- one account drops the others' claims.
DROP INDEX email_addresses_email_key;
CREATE UNIQUE INDEX email_addresses_email_key ON email_addresses (email) WHERE verified OR is_primary;
CREATE UNIQUE INDEX email_addresses_user_email ON email_addresses (user_id, email);
CREATE INDEX email_addresses_email ON email_addresses (email);

-- A session's state (pending login, emailed codes and their attempts) is
-- saved only if nobody saved it since it was read: of concurrent uses of one
-- code, exactly one wins.
ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
