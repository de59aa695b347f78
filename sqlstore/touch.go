package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/latchauth/latch"
)

// TouchDelay is how long a session touch may wait to be written. Touches are
// written together, one transaction for all of them: each commit makes every
// SQLite reader drop its page cache (WAL mode), so one commit per active
// session per minute made reads slow down with the size of the database.
const TouchDelay = 5 * time.Second

// touches holds the touches not yet written, by session id. Reads of a
// session on this node see them at once (applyTouch).
type touches struct {
	mu        sync.Mutex
	pending   map[int64]touch
	scheduled bool
}

type touch struct{ lastSeen, expires time.Time }

// TouchSession moves a session's last-seen time and rolling expiry forward.
// The write happens within TouchDelay, together with the other touches (or
// at FlushTouches, DeleteExpiredSessions, UserSessions and Close); until then
// this node's reads of the session already see it. A session deleted
// meanwhile is not an error: there is nothing left to touch.
func (db *DB) TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error {
	t := &db.touches
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = make(map[int64]touch)
	}
	p := t.pending[id]
	if lastSeen.After(p.lastSeen) {
		p.lastSeen = lastSeen
	}
	if expires.After(p.expires) {
		p.expires = expires
	}
	t.pending[id] = p
	if !t.scheduled {
		t.scheduled = true
		time.AfterFunc(TouchDelay, func() { db.flushLater(context.WithoutCancel(ctx)) })
	}
	return nil
}

// flushLater writes the pending touches, and schedules another round for
// those that came in meanwhile or could not be written (they stay pending).
func (db *DB) flushLater(parent context.Context) {
	ctx, cancel := context.WithTimeout(parent, 30*time.Second)
	_ = db.FlushTouches(ctx) // a failed batch stays pending for the next round
	cancel()
	t := &db.touches
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scheduled = len(t.pending) > 0 && !db.closed
	if t.scheduled {
		time.AfterFunc(TouchDelay, func() { db.flushLater(parent) })
	}
}

// FlushTouches writes the pending touches now, in one transaction. A touch
// never moves a time backwards.
func (db *DB) FlushTouches(ctx context.Context) error {
	t := &db.touches
	t.mu.Lock()
	batch := t.pending
	t.pending = nil
	t.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE sessions SET
			last_seen = CASE WHEN last_seen < $1 THEN $1 ELSE last_seen END,
			expires = CASE WHEN expires < $2 THEN $2 ELSE expires END
			WHERE id = $3`)
		if err != nil {
			return err
		}
		defer st.Close()
		for id, p := range batch {
			if _, err := st.ExecContext(ctx, db.t(p.lastSeen), db.t(p.expires), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Put them back, unless newer touches of the same sessions came in.
		t.mu.Lock()
		if t.pending == nil {
			t.pending = make(map[int64]touch, len(batch))
		}
		for id, p := range batch {
			if _, newer := t.pending[id]; !newer {
				t.pending[id] = p
			}
		}
		t.mu.Unlock()
	}
	return err
}

// applyTouch moves s's times to its pending touch, if any.
func (db *DB) applyTouch(s *latch.Session) {
	t := &db.touches
	t.mu.Lock()
	p, ok := t.pending[s.ID]
	t.mu.Unlock()
	if !ok {
		return
	}
	if p.lastSeen.After(s.LastSeen) {
		s.LastSeen = p.lastSeen
	}
	if p.expires.After(s.Expires) {
		s.Expires = p.expires
	}
}

// dropTouch forgets a session's pending touch: the session was written in
// full or deleted.
func (db *DB) dropTouch(id int64) {
	t := &db.touches
	t.mu.Lock()
	delete(t.pending, id)
	t.mu.Unlock()
}
