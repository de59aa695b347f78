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
	if !perRow {
		return h.importBulk(ctx, tx, source, batch, known)
	}
	out := make([]latch.ImportOutcome, len(batch))
	for i := range batch {
		if err := tx.exec(ctx, `SAVEPOINT latch_import`); err != nil {
			return nil, err
		}
		res, err := h.importRow(ctx, tx, source, &batch[i], known)
		if err != nil {
			reason, ok := h.skipReason(err)
			if !ok {
				return nil, fmt.Errorf("import %s user %d: %w", source, batch[i].SourceID, err)
			}
			if err := tx.exec(ctx, `ROLLBACK TO SAVEPOINT latch_import`); err != nil {
				return nil, err
			}
			res = latch.ImportOutcome{Result: latch.Skipped, Reason: reason}
		}
		if err := tx.exec(ctx, `RELEASE SAVEPOINT latch_import`); err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

// importBulk writes a batch in a few statements: the new accounts with
// multi-row INSERTs, and, of the accounts imported before, only those the
// source changed (row by row). A uniqueness violation is an importRowError:
// the caller writes the batch again row by row.
func (h *handle) importBulk(ctx context.Context, tx *stmtTx, source string, batch []latch.ImportedUser, known map[int64]importedID) ([]latch.ImportOutcome, error) {
	out := make([]latch.ImportOutcome, len(batch))
	var fresh, seen []*latch.ImportedUser
	for i := range batch {
		if _, ok := known[batch[i].SourceID]; ok {
			seen = append(seen, &batch[i])
			out[i] = latch.ImportOutcome{Result: latch.Updated}
		} else {
			fresh = append(fresh, &batch[i])
			out[i] = latch.ImportOutcome{Result: latch.Imported}
		}
	}
	rowErr := func(err error) error {
		if _, ok := h.skipReason(err); ok {
			return &importRowError{err}
		}
		return err
	}
	if err := h.insertImported(ctx, tx, source, fresh); err != nil {
		return nil, rowErr(err)
	}
	changed, err := h.changedImports(ctx, tx, seen, known)
	if err != nil {
		return nil, err
	}
	for _, in := range changed {
		if _, err := h.importRow(ctx, tx, source, in, known); err != nil {
			return nil, rowErr(err)
		}
	}
	return out, nil
}

// values returns "($1, …), (…)" for rows of n columns, starting at $1.
func values(rows, n int) string {
	var b strings.Builder
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < n; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", r*n+c+1)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// bulkRows is how many rows a multi-row INSERT carries: SQLite looks each
// numbered parameter up in a list, so a statement's cost grows with the
// square of its parameters.
const bulkRows = 100

// insertRows inserts rows of n columns (args, row after row) with
// multi-row INSERTs of at most bulkRows rows; scan, unless nil, reads each
// row that a RETURNING clause (in suffix) gives back.
func insertRows(ctx context.Context, tx *stmtTx, prefix, suffix string, n int, args []any, scan func(*sql.Rows) error) error {
	for len(args) > 0 {
		k := min(len(args)/n, bulkRows)
		q := prefix + values(k, n) + suffix
		if scan == nil {
			if err := tx.exec(ctx, q, args[:k*n]...); err != nil {
				return err
			}
		} else {
			st, err := tx.stmt(ctx, q)
			if err != nil {
				return err
			}
			rows, err := st.QueryContext(ctx, args[:k*n]...)
			if err != nil {
				return err
			}
			for rows.Next() {
				if err := scan(rows); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		args = args[k*n:]
	}
	return nil
}

// insertImported inserts new accounts, their addresses and their source
// ids with multi-row INSERTs.
func (h *handle) insertImported(ctx context.Context, tx *stmtTx, source string, fresh []*latch.ImportedUser) error {
	if len(fresh) == 0 {
		return nil
	}
	args := make([]any, 0, 10*len(fresh))
	byPublic := make(map[string]*latch.ImportedUser, len(fresh))
	for _, in := range fresh {
		u := &in.User
		u.PublicID = strings.ToLower(u.PublicID)
		byPublic[u.PublicID] = in
		args = append(args, u.PublicID, nullString(u.Username), nullString(latch.UsernameKey(u.Username)), u.PasswordHash, u.IsActive, u.IsStaff,
			u.IsSuperuser, h.t(u.DateJoined), h.nt(u.LastLogin), h.t(u.Updated))
	}
	err := insertRows(ctx, tx, `INSERT INTO users (public_id, username, username_key, password_hash, is_active, is_staff, is_superuser, date_joined, last_login, updated) VALUES `,
		` RETURNING id, public_id`, 10, args, func(rows *sql.Rows) error {
			var id int64
			var public string
			if err := rows.Scan(&id, &public); err != nil {
				return err
			}
			if in := byPublic[strings.ToLower(public)]; in != nil {
				in.User.ID = id
			}
			return nil
		})
	if err != nil {
		return err
	}
	args = args[:0]
	for _, in := range fresh {
		for _, e := range in.Emails {
			args = append(args, in.User.ID, strings.ToLower(e.Email), e.Verified, e.Primary, h.t(e.Created))
		}
	}
	if err := insertRows(ctx, tx, `INSERT INTO email_addresses (user_id, email, verified, is_primary, created) VALUES `, "", 5, args, nil); err != nil {
		return err
	}
	args = args[:0]
	for _, in := range fresh {
		args = append(args, source, in.SourceID, in.User.ID, in.User.PasswordHash)
	}
	return insertRows(ctx, tx, `INSERT INTO imported_users (source, source_id, user_id, password_hash) VALUES `, "", 4, args, nil)
}

// changedImports returns the accounts imported before that the source
// changed since: flags, dates, username, the password hash, or an address
// missing, newly verified, or primary where the account has none.
func (h *handle) changedImports(ctx context.Context, tx *stmtTx, seen []*latch.ImportedUser, known map[int64]importedID) ([]*latch.ImportedUser, error) {
	if len(seen) == 0 {
		return nil, nil
	}
	type current struct {
		u          latch.User
		emails     map[string]bool // address → verified
		hasPrimary bool
	}
	cur := make(map[int64]*current, len(seen))
	ids := make([]any, len(seen))
	for i, in := range seen {
		ids[i] = known[in.SourceID].userID
		cur[known[in.SourceID].userID] = &current{emails: map[string]bool{}}
	}
	in := strings.TrimSuffix(strings.TrimPrefix(values(1, len(ids)), "("), ")")
	rows, err := tx.QueryContext(ctx, `SELECT id, username, password_hash, is_active, is_staff, is_superuser, date_joined, last_login FROM users WHERE id IN (`+in+`)`, ids...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var u latch.User
		var username sql.NullString
		if err := rows.Scan(&u.ID, &username, &u.PasswordHash, &u.IsActive, &u.IsStaff, &u.IsSuperuser, instant{&u.DateJoined}, instant{&u.LastLogin}); err != nil {
			rows.Close()
			return nil, err
		}
		u.Username = username.String
		cur[u.ID].u = u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT user_id, email, verified, is_primary FROM email_addresses WHERE user_id IN (`+in+`)`, ids...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var email string
		var verified, primary bool
		if err := rows.Scan(&id, &email, &verified, &primary); err != nil {
			rows.Close()
			return nil, err
		}
		c := cur[id]
		c.emails[email] = verified
		c.hasPrimary = c.hasPrimary || primary
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var changed []*latch.ImportedUser
	for _, in := range seen {
		prev := known[in.SourceID]
		c, u := cur[prev.userID], &in.User
		diff := c.u.Username != u.Username || c.u.IsActive != u.IsActive || c.u.IsStaff != u.IsStaff || c.u.IsSuperuser != u.IsSuperuser ||
			!c.u.DateJoined.Equal(u.DateJoined.Truncate(time.Microsecond)) ||
			(!u.LastLogin.IsZero() && !c.u.LastLogin.Equal(u.LastLogin.Truncate(time.Microsecond))) ||
			(u.PasswordHash != prev.hash && c.u.PasswordHash == prev.hash)
		for _, e := range in.Emails {
			verified, ok := c.emails[strings.ToLower(e.Email)]
			if !ok || (e.Verified && !verified) || (e.Primary && !c.hasPrimary) {
				diff = true
			}
		}
		if diff {
			changed = append(changed, in)
		}
	}
	return changed, nil
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
