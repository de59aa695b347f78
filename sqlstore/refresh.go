package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// AddRefreshToken stores a refresh token; adding the same hash twice is not
// an error (successors are derived deterministically, and concurrent
// refreshes within the grace window all add the same one).
func (db *DB) AddRefreshToken(ctx context.Context, t *latch.RefreshToken) error {
	return db.insertRefresh(ctx, db.write, t)
}

func (db *DB) insertRefresh(ctx context.Context, q querier, t *latch.RefreshToken) error {
	_, err := q.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, created, expires) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token_hash) DO NOTHING`, t.Hash, t.SessionID, db.t(t.Created), db.t(t.Expires))
	return err
}

// UseRefreshToken marks the token used at now unless it was used before,
// atomically, and returns it with the time of its first use: of concurrent
// callers exactly one sees UsedAt equal to its own now.
func (db *DB) UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (*latch.RefreshToken, error) {
	t := &latch.RefreshToken{Hash: hash}
	err := db.write.QueryRowContext(ctx, `UPDATE refresh_tokens SET used_at = COALESCE(used_at, $1) WHERE token_hash = $2
		RETURNING id, session_id, created, expires, used_at`, db.t(now), hash).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return t, err
}

// RefreshTokenByHash returns a refresh token without using it.
func (db *DB) RefreshTokenByHash(ctx context.Context, hash []byte) (*latch.RefreshToken, error) {
	t := &latch.RefreshToken{Hash: hash}
	err := db.readRow(ctx, `SELECT id, session_id, created, expires, used_at FROM refresh_tokens WHERE token_hash = $1`, hash).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return t, err
}
