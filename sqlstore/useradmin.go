package sqlstore

import (
	"context"
	"time"
)

// SetRoles sets a user's staff and superuser flags.
func (us *Users) SetRoles(ctx context.Context, userID int64, staff, superuser bool, at time.Time) (err error) {
	defer us.h.classify(&err)
	return us.h.exec1(ctx, `UPDATE users SET is_staff = $1, is_superuser = $2, updated = $3 WHERE id = $4`, staff, superuser, us.h.t(at), userID)
}

// DeleteUser deletes a user and everything that is theirs: addresses,
// sessions and their refresh-token families, emailed tokens, and the rows
// of every later table that references users(id) (ON DELETE CASCADE).
// The audit log keeps the user's trail, by public id. latch.ErrNotFound
// when there is no such user. Self-service account deletion reuses it.
func (us *Users) DeleteUser(ctx context.Context, userID int64) (err error) {
	defer us.h.classify(&err)
	return us.h.exec1(ctx, `DELETE FROM users WHERE id = $1`, userID)
}
