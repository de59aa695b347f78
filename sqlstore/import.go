package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/latchauth/latch"
)

// ImportUsers writes a batch of imported accounts in one transaction, or,
// in the unit of work of ctx, in a savepoint of it (a dry run imports
// every batch in one unit of work that it rolls back, so that it reports
// exactly what a real run would do). An account seen before from the same
// source is updated: flags, dates, the username, and the password hash
// unless the user has changed their password since (the stored hash is no
// longer the one imported); missing addresses are added and imported
// verified flags set, but no address is removed and the primary chosen in
// Latch stays. A row that cannot be taken (its username or an address
// belongs to another account) is skipped with its reason and the rest goes
// on: the batch is first written in one go, and written again row by row,
// each in a savepoint, only when one of its rows failed.
func (us *Users) ImportUsers(ctx context.Context, source string, batch []latch.ImportedUser) (_ []latch.ImportOutcome, err error) {
	defer us.h.classify(&err)
	h := us.h
	var out []latch.ImportOutcome
	for _, perRow := range []bool{false, true} {
		err = h.tx(ctx, func(tx *sql.Tx) error {
			var err error
			out, err = h.importBatch(ctx, tx, source, batch, perRow)
			return err
		})
		var rowErr *importRowError
		if !errors.As(err, &rowErr) {
			break
		}
	}
	return out, err
}

// importRowError is a row's uniqueness violation in a batch written in one go.
type importRowError struct{ err error }

func (e *importRowError) Error() string { return e.err.Error() }

// stmtTx is a transaction that prepares each statement once: a batch runs
// the same few statements a thousand times.
type stmtTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

func (t *stmtTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	t.stmts[q] = st
	return st, nil
}

func (t *stmtTx) exec(ctx context.Context, q string, args ...any) error {
	st, err := t.stmt(ctx, q)
	if err == nil {
		_, err = st.ExecContext(ctx, args...)
	}
	return err
}

func (t *stmtTx) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

func (h *handle) importBatch(ctx context.Context, sqlTx *sql.Tx, source string, batch []latch.ImportedUser, perRow bool) ([]latch.ImportOutcome, error) {
	tx := &stmtTx{Tx: sqlTx, stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, st := range tx.stmts {
			st.Close()
		}
	}()
	known, err := importedIDs(ctx, sqlTx, source, batch)
	if err != nil {
		return nil, err
	}
	out := make([]latch.ImportOutcome, len(batch))
	for i := range batch {
		if perRow {
			if err := tx.exec(ctx, `SAVEPOINT latch_import`); err != nil {
				return nil, err
			}
		}
		res, err := h.importRow(ctx, tx, source, &batch[i], known)
		if err != nil {
			reason, ok := h.skipReason(err)
			if !ok {
				return nil, fmt.Errorf("import %s user %d: %w", source, batch[i].SourceID, err)
			}
			if !perRow {
				return nil, &importRowError{err}
			}
			if err := tx.exec(ctx, `ROLLBACK TO SAVEPOINT latch_import`); err != nil {
				return nil, err
			}
			res = latch.ImportOutcome{Result: latch.Skipped, Reason: reason}
		}
		if perRow {
			if err := tx.exec(ctx, `RELEASE SAVEPOINT latch_import`); err != nil {
				return nil, err
			}
		}
		out[i] = res
	}
	return out, nil
}

// skipReason names the uniqueness violation err is, if it is one.
func (h *handle) skipReason(err error) (string, bool) {
	switch h.uniqueErr(err) {
	case latch.ErrUsernameTaken:
		return "username taken (case-insensitively) by another account", true
	case latch.ErrEmailTaken:
		return "an address belongs to another account", true
	}
	return "", false
}

type importedID struct {
	userID int64
	hash   string
}

// importedIDs reads which of the batch's source ids were imported before.
func importedIDs(ctx context.Context, tx *sql.Tx, source string, batch []latch.ImportedUser) (map[int64]importedID, error) {
	known := map[int64]importedID{}
	if len(batch) == 0 {
		return known, nil
	}
	lo, hi := batch[0].SourceID, batch[0].SourceID
	for _, u := range batch {
		lo, hi = min(lo, u.SourceID), max(hi, u.SourceID)
	}
	rows, err := tx.QueryContext(ctx, `SELECT source_id, user_id, password_hash FROM imported_users WHERE source = $1 AND source_id BETWEEN $2 AND $3`, source, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k importedID
		if err := rows.Scan(&id, &k.userID, &k.hash); err != nil {
			return nil, err
		}
		known[id] = k
	}
	return known, rows.Err()
}

func (h *handle) importRow(ctx context.Context, tx *stmtTx, source string, in *latch.ImportedUser, known map[int64]importedID) (latch.ImportOutcome, error) {
	u := &in.User
	prev, seen := known[in.SourceID]
	if !seen {
		err := tx.queryRow(ctx, `INSERT INTO users (public_id, username, username_key, password_hash, is_active, is_staff, is_superuser, date_joined, last_login, updated)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			[]any{u.PublicID, nullString(u.Username), nullString(latch.UsernameKey(u.Username)), u.PasswordHash, u.IsActive, u.IsStaff, u.IsSuperuser,
				h.t(u.DateJoined), h.nt(u.LastLogin), h.t(u.Updated)}, &u.ID)
		if err != nil {
			return latch.ImportOutcome{}, err
		}
		for _, e := range in.Emails {
			if err := tx.exec(ctx, `INSERT INTO email_addresses (user_id, email, verified, is_primary, created) VALUES ($1, $2, $3, $4, $5)`,
				u.ID, strings.ToLower(e.Email), e.Verified, e.Primary, h.t(e.Created)); err != nil {
				return latch.ImportOutcome{}, err
			}
		}
		if err := tx.exec(ctx, `INSERT INTO imported_users (source, source_id, user_id, password_hash) VALUES ($1, $2, $3, $4)`,
			source, in.SourceID, u.ID, u.PasswordHash); err != nil {
			return latch.ImportOutcome{}, err
		}
		return latch.ImportOutcome{Result: latch.Imported}, nil
	}
	u.ID = prev.userID
	if err := tx.exec(ctx, `UPDATE users SET username = $1, username_key = $2, is_active = $3, is_staff = $4, is_superuser = $5,
		date_joined = $6, last_login = COALESCE($7, last_login), updated = $8,
		password_hash = CASE WHEN password_hash = $9 THEN $10 ELSE password_hash END WHERE id = $11`,
		nullString(u.Username), nullString(latch.UsernameKey(u.Username)), u.IsActive, u.IsStaff, u.IsSuperuser,
		h.t(u.DateJoined), h.nt(u.LastLogin), h.t(u.Updated), prev.hash, u.PasswordHash, u.ID); err != nil {
		return latch.ImportOutcome{}, err
	}
	if prev.hash != u.PasswordHash {
		if err := tx.exec(ctx, `UPDATE imported_users SET password_hash = $1 WHERE source = $2 AND source_id = $3 AND $4 = (SELECT password_hash FROM users WHERE id = $5)`,
			u.PasswordHash, source, in.SourceID, u.PasswordHash, u.ID); err != nil {
			return latch.ImportOutcome{}, err
		}
	}
	var hasPrimary bool
	if err := tx.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM email_addresses WHERE user_id = $1 AND is_primary)`, []any{u.ID}, &hasPrimary); err != nil {
		return latch.ImportOutcome{}, err
	}
	for _, e := range in.Emails {
		primary := e.Primary && !hasPrimary
		if err := tx.exec(ctx, `INSERT INTO email_addresses (user_id, email, verified, is_primary, created) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (user_id, email) DO UPDATE SET verified = email_addresses.verified OR excluded.verified`,
			u.ID, strings.ToLower(e.Email), e.Verified, primary, h.t(e.Created)); err != nil {
			return latch.ImportOutcome{}, err
		}
		hasPrimary = hasPrimary || primary
	}
	return latch.ImportOutcome{Result: latch.Updated}, nil
}
