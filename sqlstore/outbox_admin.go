package sqlstore

import (
	"context"

	"github.com/latchauth/latch"
)

// OutboxEntries lists the messages of topic still in the outbox — waiting
// for an attempt, or given up (failed) — oldest first, at most limit
// (1…1000); delivered messages leave the outbox.
func (o *Outbox) OutboxEntries(ctx context.Context, topic string, limit int) (_ []latch.OutboxEntry, err error) {
	defer o.h.classify(&err)
	rows, err := o.h.readRows(ctx, `SELECT id, topic, payload, created, next_attempt, attempts, failed, last_error FROM outbox WHERE topic = $1 ORDER BY id LIMIT $2`,
		topic, pageLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.OutboxEntry
	for rows.Next() {
		var e latch.OutboxEntry
		if err := rows.Scan(&e.ID, &e.Topic, &e.Payload, instant{&e.Created}, instant{&e.NextAttempt}, &e.Attempts, &e.Failed, &e.LastError); err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}
