package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// ActiveSessions counts the authenticated sessions not expired at now, for
// the metrics.
func (db *DB) ActiveSessions(ctx context.Context, now time.Time) (n int64, err error) {
	defer db.h.classify(&err)
	err = db.h.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id IS NOT NULL AND expires > $1`, db.h.t(now)).Scan(&n)
	return n, err
}

// OutboxCounts is Outbox.OutboxCounts, for the metrics.
func (db *DB) OutboxCounts(ctx context.Context, topic string) (pending, failed int, err error) {
	return db.Outbox.OutboxCounts(ctx, topic)
}

// PoolStats returns the statistics of the read and write pools (the same
// pool on PostgreSQL, reported once as "write").
func (db *DB) PoolStats() map[string]sql.DBStats {
	m := map[string]sql.DBStats{"write": db.h.write.Stats()}
	if db.h.read != db.h.write {
		m["read"] = db.h.read.Stats()
	}
	return m
}
