package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// UserProfile returns a user's first and last name (not in latch.User: the
// session check, which reads the user on every request, never needs them).
func (us *Users) UserProfile(ctx context.Context, userID int64) (first, last string, err error) {
	defer us.h.classify(&err)
	err = us.h.readRow(ctx, `SELECT first_name, last_name FROM users WHERE id = $1`, userID).Scan(&first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", latch.ErrNotFound
	}
	return first, last, err
}

// SetProfile sets a user's username ("" for none) and names;
// latch.ErrUsernameTaken when another user has the username.
func (us *Users) SetProfile(ctx context.Context, userID int64, username, first, last string, at time.Time) (err error) {
	defer us.h.classify(&err)
	err = us.h.exec1(ctx, `UPDATE users SET username = $1, username_key = $2, first_name = $3, last_name = $4, updated = $5 WHERE id = $6`,
		nullString(username), nullString(latch.UsernameKey(username)), first, last, us.h.t(at), userID)
	return us.h.uniqueErr(err)
}
