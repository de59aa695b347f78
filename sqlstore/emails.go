package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// Emails is the email_addresses table: users' addresses, with the
// verification and primary flags that give an address authority.
type Emails struct{ h *handle }

// EmailAddresses lists a user's addresses, primary first.
func (es *Emails) EmailAddresses(ctx context.Context, userID int64) (_ []latch.EmailAddress, err error) {
	defer es.h.classify(&err)
	rows, err := es.h.readRows(ctx, `SELECT id, user_id, email, verified, is_primary, created FROM email_addresses WHERE user_id = $1 ORDER BY is_primary DESC, id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.EmailAddress
	for rows.Next() {
		var e latch.EmailAddress
		if err := rows.Scan(&e.ID, &e.UserID, &e.Email, &e.Verified, &e.Primary, instant{&e.Created}); err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// AddEmail adds an address to a user and sets its ID. latch.ErrEmailTaken
// when the user has it already, or when it is verified or primary and
// another user has authority over it. A verified address drops the
// unverified claims other users hold on it.
func (es *Emails) AddEmail(ctx context.Context, e *latch.EmailAddress) (err error) {
	defer es.h.classify(&err)
	email := strings.ToLower(e.Email)
	return es.h.uniqueErr(es.h.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO email_addresses (user_id, email, verified, is_primary, created) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			e.UserID, email, e.Verified, e.Primary, es.h.t(e.Created)).Scan(&e.ID)
		if err != nil || !e.Verified {
			return err
		}
		return dropClaims(ctx, tx, e.UserID, email)
	}))
}

// SetEmailVerified marks a user's address verified and drops the unverified
// claims other users hold on it; latch.ErrNotFound when the user does not
// have it, latch.ErrEmailTaken when another user has authority over it.
func (es *Emails) SetEmailVerified(ctx context.Context, userID int64, email string) (err error) {
	defer es.h.classify(&err)
	email = strings.ToLower(email)
	return es.h.uniqueErr(es.h.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE email_addresses SET verified = TRUE WHERE user_id = $1 AND email = $2`, userID, email)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%w: no address %s on user %d", latch.ErrNotFound, email, userID)
		}
		return dropClaims(ctx, tx, userID, email)
	}))
}

// dropClaims removes the unverified, non-primary copies of an address that
// users other than owner added, and the keys mailed to them: the owner has
// proved it.
func dropClaims(ctx context.Context, tx *sql.Tx, owner int64, email string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_addresses WHERE email = $1 AND user_id <> $2 AND NOT verified AND NOT is_primary`, email, owner); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE email = $1 AND user_id <> $2`, email, owner)
	return err
}

// SetPrimaryEmail makes one of a user's addresses the primary one.
func (es *Emails) SetPrimaryEmail(ctx context.Context, userID int64, email string, at time.Time) (err error) {
	defer es.h.classify(&err)
	return es.h.uniqueErr(es.h.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM email_addresses WHERE user_id = $1 AND email = $2`, userID, strings.ToLower(email)).Scan(&id); err != nil {
			if err == sql.ErrNoRows {
				return latch.ErrNotFound
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE email_addresses SET is_primary = FALSE WHERE user_id = $1 AND is_primary`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE email_addresses SET is_primary = TRUE WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET updated = $1 WHERE id = $2`, es.h.t(at), userID)
		return err
	}))
}

// DeleteEmail removes a user's address and the tokens sent to it;
// latch.ErrNotFound when the user does not have it.
func (es *Emails) DeleteEmail(ctx context.Context, userID int64, email string) (err error) {
	defer es.h.classify(&err)
	email = strings.ToLower(email)
	return es.h.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM email_addresses WHERE user_id = $1 AND email = $2`, userID, email)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return latch.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE user_id = $1 AND email = $2`, userID, email)
		return err
	})
}
