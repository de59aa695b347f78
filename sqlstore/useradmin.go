package sqlstore

import (
	"context"
	"database/sql"
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

// DeleteUserAuthenticators removes every authenticator of a user (an
// operator's MFA reset) and returns the types removed.
func (as *Authenticators) DeleteUserAuthenticators(ctx context.Context, userID int64) (types []string, err error) {
	defer as.h.classify(&err)
	err = as.h.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM authenticators WHERE user_id = $1 RETURNING type`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return err
			}
			types = append(types, t)
		}
		return rows.Err()
	})
	return types, err
}
