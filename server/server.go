// Package server wires a complete Latch server from its parts: store
// families, session cache, keyring, account core and HTTP API. latch serve,
// the tests and the benchmarks all build through it, so that they run the
// same server.
//
// What differs between them stays with the caller: opening the database,
// the mailer, the limiter, the signing keys, the cache's peers and the
// listener.
package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/sessioncache"
	"github.com/latchauth/latch/sqlstore"
)

// Parts are what a server is built from.
type Parts struct {
	// DB runs the units of work and answers /readyz; its families are the
	// stores unless Stores is set. Required.
	DB *sqlstore.DB
	// Stores replaces DB's families (the benchmarks count their calls);
	// nil: StoresOf(DB).
	Stores *Stores
	// Cache, unless nil, keeps sessions in memory in front of the session
	// family; Peers are the other nodes sharing the database (nil: none,
	// and the cache serves at once). With peers it serves nothing until
	// the caller listens to them with Server.Cache.
	Cache *sessioncache.Config
	Peers sessioncache.Peers

	Account account.Config
	// HTTP configures the API; a nil JWKS is Keys.JWKS.
	HTTP    httpapi.Config
	Mail    account.Mailer
	Hasher  account.Hasher
	Limiter account.Limiter
	// Keys signs access tokens; nil: none are issued.
	Keys *keyring.Keyring
	// Events receives the security events; nil: they are logged to Log.
	Events account.EventSink
	// WebAuthn runs WebAuthn ceremonies (package webauthn); nil: security
	// keys and passkeys are not offered.
	WebAuthn account.WebAuthn
	Log      *slog.Logger
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Server is a built server.
type Server struct {
	Core *account.Service
	API  *httpapi.Server
	// Cache is the session cache; nil without one.
	Cache *sessioncache.Store
}

// New builds the account core and the HTTP API from p. It returns the
// core's configuration errors (see account.New).
func New(p Parts) (*Server, error) {
	stores := StoresOf(p.DB)
	if p.Stores != nil {
		stores = *p.Stores
	}
	s := &Server{}
	if p.Cache != nil {
		s.Cache = sessioncache.New(stores.Sessions, *p.Cache, p.Peers, p.Log, p.Now)
	}
	d := account.Deps{Config: p.Account, Mail: p.Mail, Hasher: p.Hasher, Limiter: p.Limiter, Events: p.Events, Log: p.Log, Now: p.Now,
		WebAuthn: p.WebAuthn}
	if p.Keys != nil { // a nil *Keyring in the interface would sign
		d.Signer = p.Keys
	}
	stores.Fill(&d, p.DB, s.Cache)
	fillAdmin(&d, p, s.Cache)
	core, err := account.New(d)
	if err != nil {
		return nil, err
	}
	s.Core = core
	hcfg := p.HTTP
	if hcfg.JWKS == nil && p.Keys != nil {
		hcfg.JWKS = p.Keys.JWKS
	}
	s.API = httpapi.New(hcfg, core, p.DB, p.Log)
	return s, nil
}

// Stores are the table families the account core reads and writes.
type Stores struct {
	Users    UserStore
	Emails   EmailStore
	Tokens   account.TokenStore
	Sessions SessionStore
	Refresh  account.RefreshStore
	// Authenticators are the users' second factors; nil: DB's.
	Authenticators account.AuthenticatorStore
}

// UserStore is the user family: the core's reads and writes, its listing,
// and what the session cache wraps.
type UserStore interface {
	account.UserStore
	account.UserLister
	sessioncache.UserStore
}

// EmailStore is the address family, as the core and the session cache use it.
type EmailStore interface {
	account.EmailStore
	sessioncache.EmailStore
}

// SessionStore is the session family, as the core and the session cache use it.
type SessionStore interface {
	account.SessionStore
	sessioncache.SessionStore
}

// StoresOf returns db's families.
func StoresOf(db *sqlstore.DB) Stores {
	return Stores{Users: db.Users, Emails: db.Emails, Tokens: db.Tokens, Sessions: db.Sessions, Refresh: db.Refresh,
		Authenticators: db.Authenticators}
}

// Fill sets d's stores from s and its unit of work from db. cache, unless
// nil, must wrap s.Sessions; it then stands in front of the families whose
// writes change a cached session (sessions, users, addresses).
func (s Stores) Fill(d *account.Deps, db *sqlstore.DB, cache *sessioncache.Store) {
	d.Users, d.Emails, d.Sessions = s.Users, s.Emails, s.Sessions
	if cache != nil {
		d.Users, d.Emails, d.Sessions = cache.Users(s.Users), cache.Emails(s.Emails), cache
	}
	d.Tokens, d.Refresh, d.Lister, d.Tx = s.Tokens, s.Refresh, s.Users, db
	d.Authenticators = s.Authenticators
	if d.Authenticators == nil {
		d.Authenticators = db.Authenticators
	}
	d.Social = db.Social
}

// fillAdmin gives the core the admin family's stores and the audit log:
// every event goes to the audit log (in the unit of work of its change) and
// then to p.Events, or the log. The admin family's user writes drop the
// user's cached sessions.
func fillAdmin(d *account.Deps, p Parts, cache *sessioncache.Store) {
	events := p.Events
	if events == nil {
		log := p.Log
		if log == nil {
			log = slog.Default()
		}
		events = account.LogEvents(log)
	}
	d.Events = account.Sinks(account.AuditEvents(p.DB.Audit), events)
	d.Admin, d.Audit, d.APIKeys = adminUsers{Users: p.DB.Users, auth: p.DB.Authenticators, social: p.DB.Social, cache: cache}, p.DB.Audit, p.DB.APIKeys
	d.Deliveries = p.DB.Outbox
	d.Profiles = adminUsers{Users: p.DB.Users, auth: p.DB.Authenticators, social: p.DB.Social, cache: cache}
}

// adminUsers is the user family as the admin family and profile changes
// write it: each write drops the user's cached sessions once it has
// committed.
type adminUsers struct {
	*sqlstore.Users
	auth   *sqlstore.Authenticators
	social *sqlstore.Social
	cache  *sessioncache.Store // nil: no cache
}

func (a adminUsers) Authenticators(ctx context.Context, userID int64) ([]latch.Authenticator, error) {
	return a.auth.Authenticators(ctx, userID)
}

func (a adminUsers) SocialAccounts(ctx context.Context, userID int64) ([]latch.SocialAccount, error) {
	return a.social.SocialAccounts(ctx, userID)
}

func (a adminUsers) DeleteUserAuthenticators(ctx context.Context, userID int64) ([]string, error) {
	defer a.forget(ctx, userID)
	return a.auth.DeleteUserAuthenticators(ctx, userID)
}

func (a adminUsers) forget(ctx context.Context, userID int64) {
	if a.cache != nil {
		a.cache.ForgetUser(ctx, userID)
	}
}

func (a adminUsers) SetActive(ctx context.Context, userID int64, active bool, at time.Time) error {
	defer a.forget(ctx, userID)
	return a.Users.SetActive(ctx, userID, active, at)
}

func (a adminUsers) SetRoles(ctx context.Context, userID int64, staff, superuser bool, at time.Time) error {
	defer a.forget(ctx, userID)
	return a.Users.SetRoles(ctx, userID, staff, superuser, at)
}

// SetProfile may change the username, which a cached session carries.
func (a adminUsers) SetProfile(ctx context.Context, userID int64, username, first, last string, at time.Time) error {
	defer a.forget(ctx, userID)
	return a.Users.SetProfile(ctx, userID, username, first, last, at)
}

func (a adminUsers) DeleteUser(ctx context.Context, userID int64) error {
	defer a.forget(ctx, userID)
	return a.Users.DeleteUser(ctx, userID)
}
