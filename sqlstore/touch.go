package sqlstore

import (
	"context"
	"database/sql"
	"maps"
	"sync"
	"time"

	"github.com/latchauth/latch"
)

// touches holds the touches not yet written, by session id. Reads of a
// session on this node see them at once (applyTouch). Touches are written
// together, one transaction for all of them, within Sessions.delay: each
// commit makes every SQLite reader drop its page cache (WAL mode), so one
// commit per active session per minute made reads slow down with the size of
// the database.
type touches struct {
	mu        sync.Mutex
	pending   map[int64]touch
	scheduled bool
	closed    bool // the store is closing: no further round is scheduled
}

type touch struct{ lastSeen, expires time.Time }

// TouchSession moves a session's last-seen time and rolling expiry forward.
// The write happens within the store's touch delay (WithTouchDelay),
// together with the other touches (or at FlushTouches, DeleteExpiredSessions,
// UserSessions and Close); until then this node's reads of the session
// already see it. A session deleted meanwhile is not an error: there is
// nothing left to touch. A touch is never part of a unit of work: one made in
// a unit that rolls back stands.
func (ss *Sessions) TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) (err error) {
	defer ss.h.classify(&err)
	t := &ss.touches
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
		// Not ctx, which may carry a unit of work long over by then.
		time.AfterFunc(ss.delay, ss.flushLater)
	}
	return nil
}

// flushLater writes the pending touches, and schedules another round for
// those that came in meanwhile or could not be written (they stay pending).
func (ss *Sessions) flushLater() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	_ = ss.FlushTouches(ctx) // a failed batch stays pending for the next round
	cancel()
	t := &ss.touches
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scheduled = len(t.pending) > 0 && !t.closed
	if t.scheduled {
		time.AfterFunc(ss.delay, ss.flushLater)
	}
}

// closeTouches stops scheduling rounds of writes; Close flushes the rest.
func (ss *Sessions) closeTouches() {
	ss.touches.mu.Lock()
	ss.touches.closed = true
	ss.touches.mu.Unlock()
}

// FlushTouches writes the pending touches now, in one transaction. A touch
// never moves a time backwards. In a unit of work the touches are written in
// it and stay pending (seen by this node's reads) until it commits, so that
// a rollback loses none.
func (ss *Sessions) FlushTouches(ctx context.Context) (err error) {
	defer ss.h.classify(&err)
	t := &ss.touches
	inUnit := ss.h.unit(ctx) != nil
	t.mu.Lock()
	batch := t.pending
	if inUnit {
		batch = maps.Clone(batch)
	} else {
		t.pending = nil
	}
	t.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err = ss.h.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE sessions SET
			last_seen = CASE WHEN last_seen < $1 THEN $1 ELSE last_seen END,
			expires = CASE WHEN expires < $2 THEN $2 ELSE expires END
			WHERE id = $3`)
		if err != nil {
			return err
		}
		defer st.Close()
		for id, p := range batch {
			if _, err := st.ExecContext(ctx, ss.h.t(p.lastSeen), ss.h.t(p.expires), id); err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case inUnit && err == nil:
		// Written once the unit commits, unless a newer touch came since.
		latch.AfterCommit(ctx, func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			for id, p := range batch {
				if q, ok := t.pending[id]; ok && q.lastSeen.Equal(p.lastSeen) && q.expires.Equal(p.expires) {
					delete(t.pending, id)
				}
			}
		})
	case !inUnit && err != nil:
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
func (ss *Sessions) applyTouch(s *latch.Session) {
	t := &ss.touches
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
func (ss *Sessions) dropTouch(id int64) {
	t := &ss.touches
	t.mu.Lock()
	delete(t.pending, id)
	t.mu.Unlock()
}
