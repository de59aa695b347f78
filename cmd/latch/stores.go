package main

import (
	"context"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/sessioncache"
	"github.com/latchauth/latch/sqlstore"
)

// setStores fills d's stores and unit of work from db's table families.
// cache, unless nil, stands in front of the families whose writes change a
// cached session (sessions, users, addresses).
func setStores(d *account.Deps, db *sqlstore.DB, cache *sessioncache.Store) {
	d.Users, d.Emails, d.Sessions = db.Users, db.Emails, db.Sessions
	var byID sessionByID = db.Sessions
	if cache != nil {
		d.Users, d.Emails, d.Sessions, byID = cache.Users(db.Users), cache.Emails(db.Emails), cache, cache
	}
	d.Tokens, d.Lister, d.Tx = db.Tokens, db.Users, db
	d.Refresh = refreshStore{db.Refresh, byID}
}

// refreshStore is account.RefreshStore: the refresh-token family, and the
// session family's SessionByID (access tokens name their session by id).
type refreshStore struct {
	*sqlstore.RefreshTokens
	sessionByID
}

type sessionByID interface {
	SessionByID(ctx context.Context, id int64) (*latch.Session, *latch.User, error)
}
