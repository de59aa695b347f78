package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
)

// Social is the social login family: social_accounts, the provider
// identities connected to users, and social_flows, the provider redirects in
// progress (0007 migrations).
type Social struct{ h *handle }

const socialAccountColumns = `id, user_id, provider, uid, email, display, tokens, created, last_login`

func scanSocialAccount(row scanner, a *latch.SocialAccount) error {
	return row.Scan(&a.ID, &a.UserID, &a.Provider, &a.UID, &a.Email, &a.Display, &a.Tokens,
		instant{&a.Created}, instant{&a.LastLogin})
}

// SocialAccount returns the account of the identity (provider, uid), or
// latch.ErrNotFound.
func (so *Social) SocialAccount(ctx context.Context, provider, uid string) (_ *latch.SocialAccount, err error) {
	defer so.h.classify(&err)
	a := new(latch.SocialAccount)
	err = scanSocialAccount(so.h.readRow(ctx, `SELECT `+socialAccountColumns+` FROM social_accounts WHERE provider = $1 AND uid = $2`, provider, uid), a)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// SocialAccounts lists a user's connected identities, oldest first.
func (so *Social) SocialAccounts(ctx context.Context, userID int64) (_ []latch.SocialAccount, err error) {
	defer so.h.classify(&err)
	rows, err := so.h.readRows(ctx, `SELECT `+socialAccountColumns+` FROM social_accounts WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []latch.SocialAccount
	for rows.Next() {
		var a latch.SocialAccount
		if err := scanSocialAccount(rows, &a); err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// CreateSocialAccount connects an identity to a user and sets a.ID; an
// identity connected already (to anyone) is latch.ErrConflict.
func (so *Social) CreateSocialAccount(ctx context.Context, a *latch.SocialAccount) (err error) {
	defer so.h.classify(&err)
	h := so.h
	err = h.w(ctx).QueryRowContext(ctx, `INSERT INTO social_accounts (user_id, provider, uid, email, display, tokens, created, last_login)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.UserID, a.Provider, a.UID, a.Email, a.Display, a.Tokens, h.t(a.Created), h.t(a.LastLogin)).Scan(&a.ID)
	if _, unique := h.d.UniqueIndex(err); err != nil && unique {
		return fmt.Errorf("%w: identity connected already", latch.ErrConflict)
	}
	return err
}

// UpdateSocialAccount saves what a login learnt about an identity: its
// address, display name, last login and (when given) tokens.
func (so *Social) UpdateSocialAccount(ctx context.Context, a *latch.SocialAccount) (err error) {
	defer so.h.classify(&err)
	return so.h.exec1(ctx, `UPDATE social_accounts SET email = $1, display = $2, last_login = $3, tokens = COALESCE($4, tokens) WHERE id = $5`,
		a.Email, a.Display, so.h.t(a.LastLogin), a.Tokens, a.ID)
}

// DeleteSocialAccount disconnects a user's identity; latch.ErrNotFound when
// the user has no such identity.
func (so *Social) DeleteSocialAccount(ctx context.Context, userID int64, provider, uid string) (err error) {
	defer so.h.classify(&err)
	return so.h.exec1(ctx, `DELETE FROM social_accounts WHERE user_id = $1 AND provider = $2 AND uid = $3`, userID, provider, uid)
}

// CreateSocialFlow stores a provider redirect in progress, and drops the
// expired ones (abandoned round trips) on the way.
func (so *Social) CreateSocialFlow(ctx context.Context, f *latch.SocialFlow) (err error) {
	defer so.h.classify(&err)
	h := so.h
	return h.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM social_flows WHERE expires < $1`, h.t(f.Created)); err != nil {
			return err
		}
		var user any
		if f.UserID != 0 {
			user = f.UserID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO social_flows (state_hash, browser_hash, provider, process, callback_url, verifier, nonce, user_id, created, expires)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			f.StateHash, f.BrowserHash, f.Provider, f.Process, f.CallbackURL, f.Verifier, f.Nonce, user, h.t(f.Created), h.t(f.Expires))
		return err
	})
}

// TakeSocialFlow deletes and returns the flow with that state hash: of two
// concurrent uses exactly one gets it, the other latch.ErrNotFound.
func (so *Social) TakeSocialFlow(ctx context.Context, stateHash []byte) (_ *latch.SocialFlow, err error) {
	defer so.h.classify(&err)
	f := new(latch.SocialFlow)
	var user sql.NullInt64
	err = so.h.w(ctx).QueryRowContext(ctx, `DELETE FROM social_flows WHERE state_hash = $1
		RETURNING state_hash, browser_hash, provider, process, callback_url, verifier, nonce, user_id, created, expires`, stateHash).
		Scan(&f.StateHash, &f.BrowserHash, &f.Provider, &f.Process, &f.CallbackURL, &f.Verifier, &f.Nonce, &user,
			instant{&f.Created}, instant{&f.Expires})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	f.UserID = user.Int64
	return f, nil
}
