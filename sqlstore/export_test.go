package sqlstore

import "context"

// GroupState reports, for tests, how many rotations wait in the group
// commit's queue and whether a goroutine is committing them (false too when
// the store has no group commit).
func (rs *RefreshTokens) GroupState() (queued int, running bool) {
	if rs.group == nil {
		return 0, false
	}
	rs.group.mu.Lock()
	defer rs.group.mu.Unlock()
	return len(rs.group.queue), rs.group.running
}

// ExecWrite runs a statement on the writer, or in the unit of work of ctx,
// for tests that prepare the database in ways no store method does.
func (db *DB) ExecWrite(ctx context.Context, query string) error {
	_, err := db.h.w(ctx).ExecContext(ctx, query)
	return err
}
