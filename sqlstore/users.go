package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// Unique index names shared by both engines' migrations.
const (
	indexUsername = "users_username_key"
	indexEmail    = "email_addresses_email_key"
	// indexUserEmail keeps one copy of an address per user; unverified
	// copies on other users are allowed (see the 0004 migrations).
	indexUserEmail = "email_addresses_user_email"
)

// userColumns are read by scanUser; the primary address comes from a join
// on email_addresses (alias e).
const userColumns = `u.id, u.public_id, u.username, u.password_hash, u.is_active, u.is_staff, u.is_superuser, u.date_joined, u.last_login, u.updated, e.email`

const userFrom = ` FROM users u LEFT JOIN email_addresses e ON e.user_id = u.id AND e.is_primary `

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner, u *latch.User) error {
	var username, email sql.NullString
	err := row.Scan(&u.ID, &u.PublicID, &username, &u.PasswordHash, &u.IsActive, &u.IsStaff, &u.IsSuperuser,
		instant{&u.DateJoined}, instant{&u.LastLogin}, instant{&u.Updated}, &email)
	u.Username, u.Email = username.String, email.String
	return err
}

// Users is the users table: accounts, each read with its primary address.
type Users struct{ h *handle }

func (us *Users) oneUser(ctx context.Context, where string, arg any) (*latch.User, error) {
	u := new(latch.User)
	err := scanUser(us.h.readRow(ctx, `SELECT `+userColumns+userFrom+where, arg), u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UserByID returns the user with internal id id, or latch.ErrNotFound.
func (us *Users) UserByID(ctx context.Context, id int64) (_ *latch.User, err error) {
	defer us.h.classify(&err)
	return us.oneUser(ctx, `WHERE u.id = $1`, id)
}

// UserByEmail returns the user an address has authority for — verified, or
// the account's primary (signup) address — or latch.ErrNotFound. Unverified
// addresses added to an account are never found: they belong to no one yet.
func (us *Users) UserByEmail(ctx context.Context, email string) (_ *latch.User, err error) {
	defer us.h.classify(&err)
	return us.oneUser(ctx, `WHERE u.id = (SELECT user_id FROM email_addresses WHERE email = $1 AND (verified OR is_primary))`, strings.ToLower(email))
}

// UserByUsername returns the user whose username has the same
// latch.UsernameKey as username (compared case-insensitively, fullwidth
// forms folded), or latch.ErrNotFound.
func (us *Users) UserByUsername(ctx context.Context, username string) (_ *latch.User, err error) {
	defer us.h.classify(&err)
	return us.oneUser(ctx, `WHERE u.username_key = $1`, latch.UsernameKey(username))
}

// insertUserQuery inserts a user ($1–$10) and returns its id.
const insertUserQuery = `INSERT INTO users (public_id, username, username_key, password_hash, is_active, is_staff, is_superuser, date_joined, last_login, updated)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`

// createUserCTE inserts a user ($1–$10) and one address ($11–$14: email,
// verified, is_primary, created) in one statement, for engines with writable
// common table expressions, and returns the user's id and the address's.
const createUserCTE = `WITH u AS (` + insertUserQuery + `)
	INSERT INTO email_addresses (user_id, email, verified, is_primary, created)
	SELECT id, $11::text, $12::boolean, $13::boolean, $14::timestamptz FROM u
	RETURNING user_id, id`

// CreateUser inserts u with its addresses in one transaction and sets their
// IDs. A taken username or address gives latch.ErrUsernameTaken or
// latch.ErrEmailTaken; in a unit of work the failure leaves the unit usable.
// A user with at most one address (every signup) is one statement on an
// engine with writable common table expressions (PostgreSQL).
func (us *Users) CreateUser(ctx context.Context, u *latch.User, emails []latch.EmailAddress) (err error) {
	defer us.h.classify(&err)
	h := us.h
	userArgs := []any{u.PublicID, nullString(u.Username), nullString(latch.UsernameKey(u.Username)), u.PasswordHash, u.IsActive, u.IsStaff, u.IsSuperuser,
		h.t(u.DateJoined), h.nt(u.LastLogin), h.t(u.Updated)}
	if h.d.WritableCTE && len(emails) <= 1 {
		err = h.tx1(ctx, func(q querier) error {
			if len(emails) == 0 {
				return q.QueryRowContext(ctx, insertUserQuery, userArgs...).Scan(&u.ID)
			}
			e := &emails[0]
			args := append(userArgs, strings.ToLower(e.Email), e.Verified, e.Primary, h.t(e.Created))
			if err := q.QueryRowContext(ctx, createUserCTE, args...).Scan(&u.ID, &e.ID); err != nil {
				return err
			}
			e.UserID = u.ID
			if e.Primary {
				u.Email = e.Email
			}
			return nil
		})
		return h.uniqueErr(err)
	}
	err = h.tx(ctx, func(tx *sql.Tx) error {
		q := h.txq(tx)
		if err := q.QueryRowContext(ctx, insertUserQuery, userArgs...).Scan(&u.ID); err != nil {
			return err
		}
		for i := range emails {
			e := &emails[i]
			e.UserID = u.ID
			if err := q.QueryRowContext(ctx, `INSERT INTO email_addresses (user_id, email, verified, is_primary, created) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				u.ID, strings.ToLower(e.Email), e.Verified, e.Primary, h.t(e.Created)).Scan(&e.ID); err != nil {
				return err
			}
			if e.Primary {
				u.Email = e.Email
			}
		}
		return nil
	})
	return h.uniqueErr(err)
}

// uniqueErr turns a uniqueness violation into the domain error it means.
func (h *handle) uniqueErr(err error) error {
	if err == nil {
		return nil
	}
	if idx, ok := h.d.UniqueIndex(err); ok {
		switch idx {
		case indexUsername:
			return latch.ErrUsernameTaken
		case indexEmail, indexUserEmail:
			return latch.ErrEmailTaken
		}
	}
	return err
}

// SetPassword replaces a user's password hash.
func (us *Users) SetPassword(ctx context.Context, userID int64, hash string, at time.Time) (err error) {
	defer us.h.classify(&err)
	return us.h.exec1(ctx, `UPDATE users SET password_hash = $1, updated = $2 WHERE id = $3`, hash, us.h.t(at), userID)
}

// SetLastLogin records the time of a completed login.
func (us *Users) SetLastLogin(ctx context.Context, userID int64, at time.Time) (err error) {
	defer us.h.classify(&err)
	return us.h.exec1(ctx, `UPDATE users SET last_login = $1 WHERE id = $2`, us.h.t(at), userID)
}

// SetActive activates or deactivates a user.
func (us *Users) SetActive(ctx context.Context, userID int64, active bool, at time.Time) (err error) {
	defer us.h.classify(&err)
	return us.h.exec1(ctx, `UPDATE users SET is_active = $1, updated = $2 WHERE id = $3`, active, us.h.t(at), userID)
}

// exec1 runs a write that must touch exactly one row; none is latch.ErrNotFound.
func (h *handle) exec1(ctx context.Context, query string, args ...any) error {
	res, err := h.w(ctx).ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: no row updated", latch.ErrNotFound)
	}
	return nil
}

// UserByPublicID returns the user with that public id, or latch.ErrNotFound.
func (us *Users) UserByPublicID(ctx context.Context, publicID string) (_ *latch.User, err error) {
	defer us.h.classify(&err)
	if !isUUID(publicID) {
		return nil, latch.ErrNotFound // PostgreSQL would refuse to compare it with a uuid
	}
	return us.oneUser(ctx, `WHERE u.public_id = $1`, strings.ToLower(publicID))
}

// Users lists users, most recently updated first, at most limit of them.
func (us *Users) Users(ctx context.Context, limit int) (_ []latch.User, err error) {
	defer us.h.classify(&err)
	rows, err := us.h.readRows(ctx, `SELECT `+userColumns+userFrom+` ORDER BY u.updated DESC, u.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.User
	for rows.Next() {
		var u latch.User
		if err := scanUser(rows, &u); err != nil {
			return nil, err
		}
		list = append(list, u)
	}
	return list, rows.Err()
}

// isUUID reports whether s has the 8-4-4-4-12 hex form of a UUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
