package sqlstore

import (
	"context"
	"sync"
	"time"
)

// ProbeWrite checks that the database accepts a write: it rewrites the one
// row of the write_probe table on the writer, as every other write goes, so
// a full disk, a read-only file or a server that refuses writes fail it
// where Ping, which only reads, succeeds. It is one small statement; callers
// that probe often (readiness checks) go through a WriteCheck.
func (db *DB) ProbeWrite(ctx context.Context) (err error) {
	defer db.h.classify(&err)
	_, err = db.h.write.ExecContext(ctx,
		`INSERT INTO write_probe (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = write_probe.n + 1`)
	return err
}

// WriteCheckInterval is how often CheckWrite probes at most.
const WriteCheckInterval = 5 * time.Second

// CheckWrite reports whether the database accepts writes, for readiness
// probes: the store's own WriteCheck, probing at most once per
// WriteCheckInterval.
func (db *DB) CheckWrite(ctx context.Context) error { return db.writes.Check(ctx) }

// WriteProbeTimeout bounds one probe of a WriteCheck.
const WriteProbeTimeout = 2 * time.Second

// A WriteCheck answers whether the store accepts writes, probing at most once
// per interval: between probes, and while one is under way, it answers the
// last probe's result, so readiness checks from many load balancers cost one
// write per interval.
type WriteCheck struct {
	db    *DB
	every time.Duration

	mu      sync.Mutex
	at      time.Time // when the last probe ended
	err     error     // its result
	probing bool
}

// NewWriteCheck returns a WriteCheck of db that probes at most once per every.
func NewWriteCheck(db *DB, every time.Duration) *WriteCheck {
	return &WriteCheck{db: db, every: every}
}

// Check returns the result of a fresh probe, or of the last one if it ended
// less than the interval ago or another probe is under way. The probe runs
// for at most WriteProbeTimeout, and not shorter when ctx ends earlier: its
// result is shared.
func (c *WriteCheck) Check(ctx context.Context) error {
	c.mu.Lock()
	if c.probing || (!c.at.IsZero() && time.Since(c.at) < c.every) {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.probing = true
	c.mu.Unlock()

	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), WriteProbeTimeout)
	err := c.db.ProbeWrite(pctx)
	cancel()

	c.mu.Lock()
	c.probing, c.at, c.err = false, time.Now(), err
	c.mu.Unlock()
	return err
}
