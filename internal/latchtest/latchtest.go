// Package latchtest starts a complete Latch HTTP server for tests — real
// store, mailer (to an in-process SMTP server), signing keys and API —
// built by package server as `latch serve` builds it, on a free port.
package latchtest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/smtptest"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/server"
	"github.com/latchauth/latch/sessioncache"
	"github.com/latchauth/latch/sqlstore"
	"github.com/latchauth/latch/webauthn"
)

// Options change the defaults: no rate limits, the JWT strategy, cheap
// password hashing, the real clock, a fresh SQLite database.
type Options struct {
	DB      *sqlstore.DB                    // default: a fresh SQLite database
	Now     func() time.Time                // default: time.Now
	Log     io.Writer                       // default: discarded
	Account func(*account.Config)           // adjusts the core's configuration
	HTTP    func(*httpapi.Config)           // adjusts the HTTP configuration
	Wrap    func(http.Handler) http.Handler // wraps the server's handler
	// NoSessionCache checks sessions in the database on every request, for
	// tests that change the database behind Latch's back.
	NoSessionCache bool
	Hasher         account.Hasher  // default: argon2id with cheap test parameters
	Limiter        account.Limiter // default: in memory
}

// Server is a running Latch.
type Server struct {
	*httptest.Server
	DB   *sqlstore.DB
	Svc  *account.Service
	Keys *keyring.Keyring
	SMTP *smtptest.Server // receives everything the server mails
}

// Start starts a server that stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.DB == nil {
		o.DB = testdb.OpenSQLite(t)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	log := slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	hcfg := httpapi.Config{PublicURL: public, AccessLog: httpapi.AccessLog{Out: o.Log}}
	if o.HTTP != nil {
		o.HTTP(&hcfg)
	}
	base := hcfg.PublicURL.String()
	cfg := account.DefaultConfig()
	cfg.RateLimits = nil
	cfg.Links = account.Links{
		VerifyEmail: base + "/account/verify-email/{key}", ResetPassword: base + "/account/password/reset/key/{key}",
		Signup: base + "/account/signup", RequestReset: base + "/account/password/reset",
	}
	cfg.Tokens.Strategy = "jwt"
	cfg.Tokens.Issuer, cfg.Tokens.Audience = base, base
	cfg.Tokens.Secret = []byte("test refresh secret")
	cfg.DeviceSecret = []byte("test device secret")
	cfg.MFA.Secret = []byte("test mfa secret")
	if o.Account != nil {
		o.Account(&cfg)
	}

	s := &Server{DB: o.DB, SMTP: smtptest.Start(t)}
	smtpURL, _ := url.Parse(s.SMTP.URL())
	mailer, err := mail.New(mail.Config{URL: smtpURL, From: "Latch <no-reply@example.com>", SiteName: "Latch Test",
		Queue: o.DB.Outbox, Backoff: 10 * time.Millisecond, Timeout: 5 * time.Second, Poll: 20 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mailer.Close(context.Background()) })
	s.Keys, err = keyring.Open(context.Background(), o.DB.Keys, strings.Repeat("s", 32), jwt.EdDSA, cfg.Tokens.AccessTTL, o.Now)
	if err != nil {
		t.Fatal(err)
	}
	// Tests that rotate expect the new key to sign at once; keyring's own
	// test covers the publish delay.
	s.Keys.SetPublishDelay(0)
	if err := s.Keys.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o.Hasher == nil {
		o.Hasher = password.NewHasher(password.TestParams)
	}
	if o.Limiter == nil {
		o.Limiter = ratelimit.NewMemory(o.Now)
	}
	// WebAuthn with the test server's own origin and "localhost" as the
	// relying party, as a browser on the developer's machine has it.
	rp, err := webauthn.New(webauthn.Config{RPID: "localhost", RPName: "Latch Test", Origins: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	parts := server.Parts{DB: o.DB, Account: cfg, HTTP: hcfg, Mail: mailer, Hasher: o.Hasher, Limiter: o.Limiter, Keys: s.Keys, Log: log, Now: o.Now,
		WebAuthn: rp}
	if !o.NoSessionCache {
		parts.Cache = &sessioncache.Config{Size: 1000, TTL: 30 * time.Second} // as latch serve runs by default
	}
	built, err := server.New(parts)
	if err != nil {
		t.Fatal(err)
	}
	s.Svc = built.Core
	t.Cleanup(s.Svc.Wait) // after the server stops, before the mailer and database close
	var h http.Handler = built.API
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	s.Server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	s.Start()
	t.Cleanup(s.Close)
	return s
}
