package sqlstore

import "context"

// GroupState reports, for tests, how many rotations wait in the group
// commit's queue and whether a goroutine is committing them (false too when
// the store has no group commit).
func (rs *RefreshTokens) GroupState() (queued int, running bool) {
	g := rs.batches()
	if g == nil {
		return 0, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue), g.running
}

// ExecWrite runs a statement on the writer, or in the unit of work of ctx,
// for tests that prepare the database in ways no store method does.
func (db *DB) ExecWrite(ctx context.Context, query string) error {
	_, err := db.h.w(ctx).ExecContext(ctx, query)
	return err
}
