package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchauth/latch"
)

// Tokens is the tokens table: the single-use keys of email links, by hash.
type Tokens struct{ h *handle }

// CreateToken stores a token and sets its ID.
func (ts *Tokens) CreateToken(ctx context.Context, t *latch.Token) (err error) {
	defer ts.h.classify(&err)
	return ts.h.w(ctx).QueryRowContext(ctx, `INSERT INTO tokens (kind, token_hash, user_id, email, created, expires) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		t.Kind, t.Hash, t.UserID, t.Email, ts.h.t(t.Created), ts.h.t(t.Expires)).Scan(&t.ID)
}

const tokenColumns = `id, kind, token_hash, user_id, email, created, expires`

func scanToken(row scanner) (*latch.Token, error) {
	t := new(latch.Token)
	err := row.Scan(&t.ID, &t.Kind, &t.Hash, &t.UserID, &t.Email, instant{&t.Created}, instant{&t.Expires})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return t, err
}

// TokenByHash returns the token of that kind and hash without using it up.
func (ts *Tokens) TokenByHash(ctx context.Context, kind string, hash []byte) (_ *latch.Token, err error) {
	defer ts.h.classify(&err)
	return scanToken(ts.h.readRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE token_hash = $1 AND kind = $2`, hash, kind))
}

// TakeToken deletes the token of that kind and hash and returns it: of two
// concurrent uses, exactly one gets it.
func (ts *Tokens) TakeToken(ctx context.Context, kind string, hash []byte) (_ *latch.Token, err error) {
	defer ts.h.classify(&err)
	return scanToken(ts.h.w(ctx).QueryRowContext(ctx, `DELETE FROM tokens WHERE token_hash = $1 AND kind = $2 RETURNING `+tokenColumns, hash, kind))
}

// DeleteUserTokens removes every token of a kind that was sent to a user.
func (ts *Tokens) DeleteUserTokens(ctx context.Context, userID int64, kind string) (err error) {
	defer ts.h.classify(&err)
	_, err = ts.h.w(ctx).ExecContext(ctx, `DELETE FROM tokens WHERE user_id = $1 AND kind = $2`, userID, kind)
	return err
}
