package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// Outbox is the outbox table: messages (mail, webhooks) waiting for
// delivery, each under a topic. A row is added in the unit of work of the
// change that asked for it and claimed by one worker at a time: claiming
// moves its next attempt past a lease, so a worker that dies mid-delivery
// leaves the row to be claimed again once the lease ends.
type Outbox struct{ h *handle }

// AddOutbox stores a message for topic, due at once.
func (o *Outbox) AddOutbox(ctx context.Context, topic string, payload []byte, at time.Time) (err error) {
	defer o.h.classify(&err)
	_, err = o.h.w(ctx).ExecContext(ctx, `INSERT INTO outbox (topic, payload, created, next_attempt) VALUES ($1, $2, $3, $3)`,
		topic, payload, o.h.t(at))
	return err
}

// ClaimOutbox claims the topic's message that has been due longest and
// hides it from other claims until now+lease; latch.ErrNotFound when none is
// due. Of concurrent claims on any number of nodes, one gets each row
// (PostgreSQL skips the rows another claim holds; SQLite has one writer).
func (o *Outbox) ClaimOutbox(ctx context.Context, topic string, now time.Time, lease time.Duration) (_ *latch.OutboxItem, err error) {
	defer o.h.classify(&err)
	it := new(latch.OutboxItem)
	err = o.h.write.QueryRowContext(ctx, `UPDATE outbox SET next_attempt = $3, attempts = attempts + 1
		WHERE id = (SELECT id FROM outbox WHERE topic = $1 AND NOT failed AND next_attempt <= $2 ORDER BY next_attempt, id LIMIT 1`+o.h.d.SkipLocked+`)
		RETURNING id, topic, payload, created, attempts`,
		topic, o.h.t(now), o.h.t(now.Add(lease))).Scan(&it.ID, &it.Topic, &it.Payload, instant{&it.Created}, &it.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return it, err
}

// DeleteOutbox removes a delivered message.
func (o *Outbox) DeleteOutbox(ctx context.Context, id int64) (err error) {
	defer o.h.classify(&err)
	_, err = o.h.write.ExecContext(ctx, `DELETE FROM outbox WHERE id = $1`, id)
	return err
}

// RetryOutbox makes a claimed message due again at at, noting why the
// attempt failed.
func (o *Outbox) RetryOutbox(ctx context.Context, id int64, at time.Time, reason string) (err error) {
	defer o.h.classify(&err)
	_, err = o.h.write.ExecContext(ctx, `UPDATE outbox SET next_attempt = $2, last_error = $3 WHERE id = $1`, id, o.h.t(at), reason)
	return err
}

// FailOutbox marks a message as given up: it is kept, with the reason, for
// an operator to see, and never claimed again.
func (o *Outbox) FailOutbox(ctx context.Context, id int64, reason string) (err error) {
	defer o.h.classify(&err)
	_, err = o.h.write.ExecContext(ctx, `UPDATE outbox SET failed = TRUE, last_error = $2 WHERE id = $1`, id, reason)
	return err
}

// OutboxCounts reports how many messages of topic wait for delivery and how
// many were given up, for metrics and tests.
func (o *Outbox) OutboxCounts(ctx context.Context, topic string) (pending, failed int, err error) {
	defer o.h.classify(&err)
	err = o.h.read.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE NOT failed), COUNT(*) FILTER (WHERE failed) FROM outbox WHERE topic = $1`, topic).Scan(&pending, &failed)
	return pending, failed, err
}
