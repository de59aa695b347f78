package sqlstore

import (
	"context"

	"github.com/latchauth/latch"
)

// Authenticators is the authenticators table: users' second factors.
type Authenticators struct{ h *handle }

// indexOnePerType is the unique index that keeps one TOTP authenticator
// and one set of recovery codes per user.
const indexOnePerType = "authenticators_one_per_type"

// Authenticators lists a user's authenticators, oldest first.
func (as *Authenticators) Authenticators(ctx context.Context, userID int64) (_ []latch.Authenticator, err error) {
	defer as.h.classify(&err)
	rows, err := as.h.readRows(ctx, `SELECT id, user_id, type, data, counter, created, last_used FROM authenticators WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []latch.Authenticator
	for rows.Next() {
		var a latch.Authenticator
		if err := rows.Scan(&a.ID, &a.UserID, &a.Type, &a.Data, &a.Counter, instant{&a.Created}, instant{&a.LastUsed}); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AddAuthenticator stores a and sets its ID; latch.ErrConflict when the
// user already has a TOTP authenticator or recovery codes and a is one.
func (as *Authenticators) AddAuthenticator(ctx context.Context, a *latch.Authenticator) (err error) {
	defer as.h.classify(&err)
	err = as.h.w(ctx).QueryRowContext(ctx, `INSERT INTO authenticators (user_id, type, data, counter, created, last_used) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		a.UserID, a.Type, a.Data, a.Counter, as.h.t(a.Created), as.h.nt(a.LastUsed)).Scan(&a.ID)
	if idx, ok := as.h.d.UniqueIndex(err); ok && idx == indexOnePerType {
		return latch.ErrConflict
	}
	return err
}

// UpdateAuthenticator saves a's data, counter and last use if its stored
// counter is still counter: a compare-and-swap, so of concurrent uses of
// one code exactly one wins. latch.ErrStale otherwise, or when a is gone.
func (as *Authenticators) UpdateAuthenticator(ctx context.Context, a *latch.Authenticator, counter int64) (err error) {
	defer as.h.classify(&err)
	res, err := as.h.w(ctx).ExecContext(ctx, `UPDATE authenticators SET data = $1, counter = $2, last_used = $3 WHERE id = $4 AND user_id = $5 AND counter = $6`,
		a.Data, a.Counter, as.h.nt(a.LastUsed), a.ID, a.UserID, counter)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return latch.ErrStale
	}
	return nil
}

// DeleteAuthenticator removes one of a user's authenticators;
// latch.ErrNotFound when the user has no authenticator with that id.
func (as *Authenticators) DeleteAuthenticator(ctx context.Context, userID, id int64) (err error) {
	defer as.h.classify(&err)
	res, err := as.h.w(ctx).ExecContext(ctx, `DELETE FROM authenticators WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return latch.ErrNotFound
	}
	return nil
}
