package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// RefreshTokens is the refresh_tokens table: the families of single-use
// refresh tokens that keep a session's access tokens coming.
type RefreshTokens struct{ h *handle }

// AddRefreshToken stores a refresh token; adding the same hash twice is not
// an error (successors are derived deterministically, and concurrent
// refreshes within the grace window all add the same one).
func (rs *RefreshTokens) AddRefreshToken(ctx context.Context, t *latch.RefreshToken) (err error) {
	defer rs.h.classify(&err)
	return rs.h.insertRefresh(ctx, rs.h.w(ctx), t)
}

func (h *handle) insertRefresh(ctx context.Context, q querier, t *latch.RefreshToken) error {
	_, err := q.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, created, expires) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token_hash) DO NOTHING`, t.Hash, t.SessionID, h.t(t.Created), h.t(t.Expires))
	return err
}

// UseRefreshToken marks the token used at now unless it was used before,
// atomically, and returns it with the time of its first use: of concurrent
// callers exactly one sees UsedAt equal to its own now.
func (rs *RefreshTokens) UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (_ *latch.RefreshToken, err error) {
	defer rs.h.classify(&err)
	t := &latch.RefreshToken{Hash: hash}
	err = rs.h.w(ctx).QueryRowContext(ctx, `UPDATE refresh_tokens SET used_at = COALESCE(used_at, $1) WHERE token_hash = $2
		RETURNING id, session_id, created, expires, used_at`, rs.h.t(now), hash).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return t, err
}

// RefreshTokenByHash returns a refresh token without using it.
func (rs *RefreshTokens) RefreshTokenByHash(ctx context.Context, hash []byte) (_ *latch.RefreshToken, err error) {
	defer rs.h.classify(&err)
	t := &latch.RefreshToken{Hash: hash}
	err = rs.h.readRow(ctx, `SELECT id, session_id, created, expires, used_at FROM refresh_tokens WHERE token_hash = $1`, hash).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return t, err
}
