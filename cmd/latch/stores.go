package main

import (
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/server"
	"github.com/latchauth/latch/sessioncache"
	"github.com/latchauth/latch/sqlstore"
)

// setStores fills d's stores and unit of work from db's table families, as
// server.New does, for the commands that build a core without the HTTP API
// (createsuperuser). cache, unless nil, must wrap db.Sessions.
func setStores(d *account.Deps, db *sqlstore.DB, cache *sessioncache.Store) {
	server.StoresOf(db).Fill(d, db, cache)
}
