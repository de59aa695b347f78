-- The outbox: messages to deliver (mail; webhooks use the same table),
-- written in the unit of work of the change that asked for them, so an
-- acknowledged change never loses its message. A worker claims a row by
-- moving next_attempt past its lease, deletes it once delivered, and marks
-- it failed when it is refused for good or too old.
CREATE TABLE outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic        TEXT        NOT NULL,
    payload      BYTEA       NOT NULL,
    created      TIMESTAMPTZ NOT NULL,
    next_attempt TIMESTAMPTZ NOT NULL,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    failed       BOOLEAN     NOT NULL DEFAULT FALSE,
    last_error   TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (topic, next_attempt) WHERE NOT failed;
