package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// The admin users list pages with keysets, never OFFSET: each page is a
// range scan of the index of its sort order (see the 0009 migrations),
// starting after the last row of the previous page. An order whose key may
// be missing (last_login before the first login; email for a user without
// an address) lists in two phases, each a plain range: the rows with the
// key and those without, in the order SQLite gives NULLs (first ascending,
// last descending).

// listPhase is one part of a listing: the rows it holds, their order, and
// the condition that continues after a cursor within it.
type listPhase struct {
	where string
	order string
	after func(c *cursor, arg func(any) string) string
	key   func(u *latch.UserSummary) cursor
}

func (h *handle) userPhases(sort string) ([]listPhase, error) {
	micro := func(t time.Time) *int64 { v := t.UnixMicro(); return &v }
	at := func(c *cursor) any { return h.t(time.UnixMicro(*c.Value)) }
	byID := func(dir, op string) listPhase {
		return listPhase{order: "u.id " + dir,
			after: func(c *cursor, arg func(any) string) string { return "u.id " + op + " " + arg(c.ID) },
			key:   func(u *latch.UserSummary) cursor { return cursor{ID: u.ID} }}
	}
	byTime := func(col, dir, op string, get func(u *latch.UserSummary) time.Time) listPhase {
		return listPhase{where: col + " IS NOT NULL", order: col + " " + dir + ", u.id " + dir,
			after: func(c *cursor, arg func(any) string) string {
				return "(" + col + ", u.id) " + op + " (" + arg(at(c)) + ", " + arg(c.ID) + ")"
			},
			key: func(u *latch.UserSummary) cursor { return cursor{Value: micro(get(u)), ID: u.ID} }}
	}
	joined := func(u *latch.UserSummary) time.Time { return u.DateJoined }
	login := func(u *latch.UserSummary) time.Time { return u.LastLogin }
	never := func(p listPhase) listPhase { p.where = "u.last_login IS NULL"; return p }
	switch sort {
	case "", "-date_joined":
		return []listPhase{byTime("u.date_joined", "DESC", "<", joined)}, nil
	case "date_joined":
		return []listPhase{byTime("u.date_joined", "ASC", ">", joined)}, nil
	case "last_login":
		return []listPhase{never(byID("ASC", ">")), byTime("u.last_login", "ASC", ">", login)}, nil
	case "-last_login":
		return []listPhase{byTime("u.last_login", "DESC", "<", login), never(byID("DESC", "<"))}, nil
	case "email":
		// A primary address belongs to one user: it is the key alone.
		email := listPhase{where: "e.email IS NOT NULL", order: "e.email ASC",
			after: func(c *cursor, arg func(any) string) string { return "e.email > " + arg(c.Text) },
			key:   func(u *latch.UserSummary) cursor { return cursor{Text: u.Email, ID: u.ID} }}
		none := byID("ASC", ">")
		none.where = "e.email IS NULL"
		return []listPhase{email, none}, nil
	}
	return nil, latch.Invalid("sort", "invalid_choice", "Sort by one of "+strings.Join(latch.UserSorts, ", ")+".")
}

// hasMFA is true for a user with a second factor (TOTP or a WebAuthn
// credential; recovery codes alone are none).
const hasMFA = `EXISTS (SELECT 1 FROM authenticators a WHERE a.user_id = u.id AND a.type <> 'recovery_codes')`

// ListUsers returns a page of the users f selects, in its order, and the
// cursor of the next page ("" after the last).
func (us *Users) ListUsers(ctx context.Context, f latch.UserFilter) (_ []latch.UserSummary, next string, err error) {
	defer us.h.classify(&err)
	h := us.h
	phases, err := h.userPhases(f.Sort)
	if err != nil {
		return nil, "", err
	}
	c, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if c != nil {
		if c.Phase < 0 || c.Phase >= len(phases) {
			return nil, "", latch.Invalid("cursor", "invalid", "Not a cursor this listing returned.")
		}
		start = c.Phase
	}
	limit := pageLimit(f.Limit)
	type row struct {
		u     latch.UserSummary
		phase int
	}
	var all []row
	for p := start; p < len(phases) && len(all) <= limit; p++ {
		var after *cursor
		if p == start {
			after = c
		}
		list, err := h.userPage(ctx, f, phases[p], after, limit+1-len(all))
		if err != nil {
			return nil, "", err
		}
		for _, u := range list {
			all = append(all, row{u, p})
		}
	}
	if len(all) > limit {
		all = all[:limit]
		last := all[limit-1]
		k := phases[last.phase].key(&last.u)
		k.Phase = last.phase
		next = k.encode()
	}
	out := make([]latch.UserSummary, len(all))
	for i, r := range all {
		out[i] = r.u
	}
	return out, next, nil
}

// userPage runs one phase's query: at most n rows after c (nil: from its start).
func (h *handle) userPage(ctx context.Context, f latch.UserFilter, p listPhase, c *cursor, n int) ([]latch.UserSummary, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.where != "" {
		where = append(where, p.where)
	}
	if c != nil {
		if (p.key(&latch.UserSummary{}).Value != nil) != (c.Value != nil) {
			return nil, latch.Invalid("cursor", "invalid", "Not a cursor this listing returned.")
		}
		where = append(where, p.after(c, arg))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		email := arg("%" + likeEscape(strings.ToLower(q)) + "%")
		name := arg("%" + likeEscape(latch.UsernameKey(q)) + "%")
		where = append(where, "(e.email LIKE "+email+" ESCAPE '\\' OR u.username_key LIKE "+name+" ESCAPE '\\')")
	}
	for _, flag := range []struct {
		col string
		v   *bool
	}{{"u.is_active", f.Active}, {"u.is_staff", f.Staff}, {"COALESCE(e.verified, FALSE)", f.Verified}, {hasMFA, f.HasMFA}} {
		if flag.v != nil {
			where = append(where, flag.col+" = "+arg(*flag.v))
		}
	}
	q := `SELECT ` + userColumns + `, COALESCE(e.verified, FALSE), ` + hasMFA + userFrom
	if len(where) > 0 {
		q += "WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + p.order + " LIMIT " + arg(n)
	rows, err := h.readRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.UserSummary
	for rows.Next() {
		var u latch.UserSummary
		if err := scanSummary(rows, &u); err != nil {
			return nil, err
		}
		list = append(list, u)
	}
	return list, rows.Err()
}

func scanSummary(rows *sql.Rows, s *latch.UserSummary) error {
	var username, email sql.NullString
	u := &s.User
	err := rows.Scan(&u.ID, &u.PublicID, &username, &u.PasswordHash, &u.IsActive, &u.IsStaff, &u.IsSuperuser,
		instant{&u.DateJoined}, instant{&u.LastLogin}, instant{&u.Updated}, &email, &s.EmailVerified, &s.HasMFA)
	u.Username, u.Email = username.String, email.String
	return err
}

// likeEscape escapes LIKE's wildcards (and its escape character).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
