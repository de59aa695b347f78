package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/latchauth/latch"
)

// Sessions is the sessions table: server-side sessions by the hash of their
// key, each read with its user. Touches (touch.go) are batched in memory.
type Sessions struct {
	h       *handle
	delay   time.Duration // how long a touch may wait to be written
	touches touches
}

// InUnitOfWork reports whether ctx carries a unit of work of this database
// (DB.Atomic), whose writes other contexts do not see until it commits:
// package sessioncache reads such a context through to the store.
func (ss *Sessions) InUnitOfWork(ctx context.Context) bool { return ss.h.unit(ctx) != nil }

// CreateSession inserts s and sets its ID.
func (ss *Sessions) CreateSession(ctx context.Context, s *latch.Session) (err error) {
	defer ss.h.classify(&err)
	return ss.h.insertSession(ctx, ss.h.w(ctx), s)
}

// startSessionCTE is StartSession in one statement, for engines with
// writable common table expressions (Dialect.WritableCTE): $1–$10 the
// session's columns as insertSession has them, $11 the session it replaces
// (0: none), $12–$14 the refresh token's hash, created and expires (NULL:
// none). Every part hangs on the user's row: when there is no user $2, the
// statement writes nothing and returns no row.
const startSessionCTE = `WITH u AS (
		UPDATE users SET last_login = $4 WHERE id = $2 RETURNING id
	), s AS (
		INSERT INTO sessions (key_hash, user_id, client, created, last_seen, expires, max_expires, ip, user_agent, state)
		SELECT $1::bytea, u.id, $3::text, $4::timestamptz, $5::timestamptz, $6::timestamptz, $7::timestamptz, $8::text, $9::text, $10::jsonb FROM u
		RETURNING id
	), replaced AS (
		DELETE FROM sessions WHERE id = $11 AND EXISTS (SELECT 1 FROM u)
	), r AS (
		INSERT INTO refresh_tokens (token_hash, session_id, created, expires)
		SELECT $12::bytea, s.id, $13::timestamptz, $14::timestamptz FROM s WHERE $12::bytea IS NOT NULL
		ON CONFLICT (token_hash) DO NOTHING
	)
	SELECT id FROM s`

// StartSession stores a newly authenticated session s and what comes with it
// in one transaction — one commit, so one disk flush per login: the end of
// the session it replaces (0: none), the user's last login (s.Created), and
// the first refresh token of its family (nil: none), whose SessionID it sets.
// When the user is gone nothing is written and it fails with
// latch.ErrNotFound.
//
// In a unit of work it takes no savepoint: the user's row is written first,
// so a login of a user who is gone leaves the unit as it was; any other
// failure leaves the unit to be rolled back (it is only ever the last write
// of a login, whose failure fails the login). On an engine with writable
// common table expressions (PostgreSQL) it is one statement, one round trip.
func (ss *Sessions) StartSession(ctx context.Context, s *latch.Session, replaces int64, refresh *latch.RefreshToken) (err error) {
	defer ss.h.classify(&err)
	h := ss.h
	if h.d.WritableCTE {
		return h.startSessionCTE(ctx, s, replaces, refresh)
	}
	if u := h.unit(ctx); u != nil {
		return h.startSession(ctx, h.txq(u.tx), s, replaces, refresh)
	}
	return h.tx(ctx, func(tx *sql.Tx) error { return h.startSession(ctx, h.txq(tx), s, replaces, refresh) })
}

// startSession is StartSession as statements of a transaction, q.
func (h *handle) startSession(ctx context.Context, q querier, s *latch.Session, replaces int64, refresh *latch.RefreshToken) error {
	res, err := q.ExecContext(ctx, `UPDATE users SET last_login = $1 WHERE id = $2`, h.t(s.Created), s.UserID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, fmt.Errorf("%w: no user %d", latch.ErrNotFound, s.UserID))
	}
	if err := h.insertSession(ctx, q, s); err != nil {
		return err
	}
	if replaces != 0 {
		if _, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, replaces); err != nil {
			return err
		}
	}
	if refresh == nil {
		return nil
	}
	refresh.SessionID = s.ID
	return h.insertRefresh(ctx, q, refresh)
}

// startSessionCTE is StartSession as one statement (startSessionCTE).
func (h *handle) startSessionCTE(ctx context.Context, s *latch.Session, replaces int64, refresh *latch.RefreshToken) error {
	state, err := json.Marshal(s.State)
	if err != nil {
		return fmt.Errorf("encode session state: %w", err)
	}
	var rHash []byte
	var rCreated, rExpires any
	if refresh != nil {
		rHash, rCreated, rExpires = refresh.Hash, h.t(refresh.Created), h.t(refresh.Expires)
	}
	err = h.w(ctx).QueryRowContext(ctx, startSessionCTE,
		s.KeyHash, nullID(s.UserID), string(s.Client), h.t(s.Created), h.t(s.LastSeen), h.t(s.Expires), h.t(s.MaxExpires),
		s.IP, s.UserAgent, string(state), replaces, rHash, rCreated, rExpires).Scan(&s.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: no user %d", latch.ErrNotFound, s.UserID)
	}
	if err != nil {
		return err
	}
	if refresh != nil {
		refresh.SessionID = s.ID
	}
	return nil
}

func (h *handle) insertSession(ctx context.Context, q querier, s *latch.Session) error {
	state, err := json.Marshal(s.State)
	if err != nil {
		return fmt.Errorf("encode session state: %w", err)
	}
	return q.QueryRowContext(ctx, `INSERT INTO sessions (key_hash, user_id, client, created, last_seen, expires, max_expires, ip, user_agent, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		s.KeyHash, nullID(s.UserID), string(s.Client), h.t(s.Created), h.t(s.LastSeen), h.t(s.Expires), h.t(s.MaxExpires),
		s.IP, s.UserAgent, string(state)).Scan(&s.ID)
}

// SessionByKey returns the session stored under keyHash and, when it is
// authenticated, its user with the primary address: one indexed query.
func (ss *Sessions) SessionByKey(ctx context.Context, keyHash []byte) (_ *latch.Session, _ *latch.User, err error) {
	defer ss.h.classify(&err)
	return ss.sessionWhere(ctx, `s.key_hash = $1`, keyHash)
}

func (ss *Sessions) sessionWhere(ctx context.Context, where string, arg any) (*latch.Session, *latch.User, error) {
	row := ss.h.readRow(ctx, `SELECT s.id, s.key_hash, s.user_id, s.client, s.created, s.last_seen, s.expires, s.max_expires, s.ip, s.user_agent, s.state, s.version,
		`+userColumns+` FROM sessions s LEFT JOIN users u ON u.id = s.user_id LEFT JOIN email_addresses e ON e.user_id = u.id AND e.is_primary
		WHERE `+where, arg)
	s := &latch.Session{}
	var userID, uid sql.NullInt64
	var client, state string
	var publicID, username, hash, email sql.NullString
	var active, staff, super sql.NullBool
	var u latch.User
	err := row.Scan(&s.ID, &s.KeyHash, &userID, &client, instant{&s.Created}, instant{&s.LastSeen}, instant{&s.Expires}, instant{&s.MaxExpires}, &s.IP, &s.UserAgent, &state, &s.Version,
		&uid, &publicID, &username, &hash, &active, &staff, &super, instant{&u.DateJoined}, instant{&u.LastLogin}, instant{&u.Updated}, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	s.UserID, s.Client = userID.Int64, latch.ClientKind(client)
	ss.applyTouch(s)
	if err := json.Unmarshal([]byte(state), &s.State); err != nil {
		return nil, nil, fmt.Errorf("decode session state: %w", err)
	}
	if !uid.Valid {
		return s, nil, nil
	}
	u.ID, u.PublicID, u.Username, u.PasswordHash, u.Email = uid.Int64, publicID.String, username.String, hash.String, email.String
	u.IsActive, u.IsStaff, u.IsSuperuser = active.Bool, staff.Bool, super.Bool
	return s, &u, nil
}

// UpdateSession saves s's key hash, user, state, last-seen time and expiry,
// provided the stored version is still s.Version, and moves s.Version on.
// latch.ErrStale when another save came first (or the session is gone): the
// write is a compare-and-swap, so concurrent uses of one state cannot all win.
func (ss *Sessions) UpdateSession(ctx context.Context, s *latch.Session) (err error) {
	defer ss.h.classify(&err)
	state, err := json.Marshal(s.State)
	if err != nil {
		return fmt.Errorf("encode session state: %w", err)
	}
	res, err := ss.h.w(ctx).ExecContext(ctx, `UPDATE sessions SET key_hash = $1, user_id = $2, state = $3, last_seen = $4, expires = $5, version = version + 1
		WHERE id = $6 AND version = $7`,
		s.KeyHash, nullID(s.UserID), string(state), ss.h.t(s.LastSeen), ss.h.t(s.Expires), s.ID, s.Version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return latch.ErrStale
	}
	s.Version++
	return nil
}

// DeleteSession removes a session; removing one that is gone is not an error.
func (ss *Sessions) DeleteSession(ctx context.Context, id int64) (err error) {
	defer ss.h.classify(&err)
	// In a unit of work the pending touch goes with the row, at the commit.
	latch.AfterCommit(ctx, func() { ss.dropTouch(id) })
	_, err = ss.h.w(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return err
}

// DeleteUserSessions removes every session of userID except the one with id except.
func (ss *Sessions) DeleteUserSessions(ctx context.Context, userID, except int64) (err error) {
	defer ss.h.classify(&err)
	_, err = ss.h.w(ctx).ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, except)
	return err
}

// UserSessions lists a user's sessions that have not expired at now, newest first.
func (ss *Sessions) UserSessions(ctx context.Context, userID int64, now time.Time) (_ []latch.SessionInfo, err error) {
	defer ss.h.classify(&err)
	if err := ss.FlushTouches(ctx); err != nil {
		return nil, err
	}
	rows, err := ss.h.readRows(ctx, `SELECT id, created, last_seen, ip, user_agent FROM sessions WHERE user_id = $1 AND expires > $2 ORDER BY created DESC, id DESC`, userID, ss.h.t(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.SessionInfo
	for rows.Next() {
		var s latch.SessionInfo
		if err := rows.Scan(&s.ID, instant{&s.Created}, instant{&s.LastSeen}, &s.IP, &s.UserAgent); err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, rows.Err()
}

// DeleteExpiredSessions removes sessions that expired before now, and
// refresh tokens too, and returns how many sessions it removed.
func (ss *Sessions) DeleteExpiredSessions(ctx context.Context, now time.Time) (_ int64, err error) {
	defer ss.h.classify(&err)
	// A pending touch may have extended a session past now.
	if err := ss.FlushTouches(ctx); err != nil {
		return 0, err
	}
	w := ss.h.w(ctx)
	res, err := w.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= $1`, ss.h.t(now))
	if err != nil {
		return 0, err
	}
	if _, err := w.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires <= $1`, ss.h.t(now)); err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SessionByID returns a session and its user, as SessionByKey does; for
// access tokens, which name their session by id.
func (ss *Sessions) SessionByID(ctx context.Context, id int64) (_ *latch.Session, _ *latch.User, err error) {
	defer ss.h.classify(&err)
	return ss.sessionWhere(ctx, `s.id = $1`, id)
}
