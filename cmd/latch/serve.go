package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/metrics"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/postgres"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/redis"
	"github.com/latchauth/latch/server"
	"github.com/latchauth/latch/social"
	"github.com/latchauth/latch/sqlstore"
	"github.com/latchauth/latch/web"
	"github.com/latchauth/latch/webauthn"
	"github.com/latchauth/latch/webhook"
)

func serve(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("serve", "Run the Latch server. It applies pending database migrations first,\nand stops gracefully on SIGINT or SIGTERM.", e)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: latch serve\n\nRun the Latch server. It applies pending database migrations first and\nstops gracefully on SIGINT or SIGTERM: /readyz answers 503 while requests\nare still served for LATCH_SHUTDOWN_DELAY, then the listener closes,\nin-flight requests finish (for at most LATCH_SHUTDOWN_TIMEOUT), queued mail\nis sent and the database is closed. A second signal stops at once.\n\nConfiguration (environment variables):\n\n")
		printSettings(e.stdout)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	tuneGC()
	logs := newLogBuffer(e.stderr)
	defer logs.Close()
	e.stderr = logs
	c, log, secret, db, err := setup(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	applyMemoryLimit(c, log) // before the Hasher: it may lower MaxConcurrent

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("LATCH_ADDR=%s: %w", c.Addr, err)
	}
	defer ln.Close()
	c.listening(ln.Addr().String())

	mailer, err := newMailer(c, e, db, log)
	if err != nil {
		return err
	}
	defer func() {
		// Finish the deliveries under way; what is still queued stays in
		// the outbox for the next start or another node.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := mailer.Close(ctx); err != nil {
			log.Error("mail deliveries abandoned at shutdown", "err", err)
		}
	}()
	keys, err := openKeyring(ctx, c, db, secret)
	if err != nil {
		return err
	}
	c.Account.Tokens.Secret = deriveSecret(secret, "refresh tokens")
	c.Account.DeviceSecret = deriveSecret(secret, "device tokens")
	providers, err := social.New(c.SocialProviders, nil)
	if err != nil {
		return fmt.Errorf("LATCH_SOCIAL_PROVIDERS: %w", err)
	}
	c.Account.Social.Providers = providers.Providers()
	c.Account.Social.TokenKey = deriveSecret(secret, "provider tokens")
	var limiter account.Limiter = ratelimit.NewMemory(nil)
	if c.RedisURL != "" {
		rl, err := redis.Open(ctx, c.RedisURL, "latch:rl:", nil)
		if err != nil {
			return fmt.Errorf("LATCH_REDIS_URL: %w", err)
		}
		defer rl.Close()
		limiter = rl
	}
	brand, imgOrigins, _ := c.brandParts()
	parts := server.Parts{DB: db, Account: c.Account, Mail: mailer, Hasher: password.NewHasher(c.Argon2, gcWhileHashing()), Limiter: limiter, Keys: keys, Log: log, Now: nil,
		HTTP: httpapi.Config{
			PublicURL:          c.PublicURL,
			CORSOrigins:        c.CORSOrigins,
			TrustedOrigins:     c.TrustedOrigins,
			CookieDomain:       c.CookieDomain,
			CookieSameSite:     c.CookieSameSite,
			CSRFCookieHTTPOnly: c.CSRFHTTPOnly,
			MaxBodyBytes:       c.MaxBodyBytes,
			TrustedProxyCount:  c.ProxyCount,
			Compat:             c.Compat,
			CSRFKey:            deriveSecret(secret, "csrf tokens"),
			App:                web.HandlerWithProviders(imgOrigins, providers.FormOrigins()),
			Social:             providers,
			FrontendURL:        c.FrontendURL,
			Brand:              brand,
			AccessLog:          httpapi.AccessLog{Out: logs, JSON: c.LogFormat == "json", Mode: c.AccessLog},
		}}
	if slices.Contains(c.Account.MFA.SupportedTypes, latch.AuthenticatorWebAuthn) {
		rp, err := webauthn.New(webauthn.Config{RPID: c.WebAuthnRPID, RPName: c.SiteName, Origins: c.WebAuthnOrigins})
		if err != nil {
			return fmt.Errorf("LATCH_WEBAUTHN_RP_ID=%s: %w", c.WebAuthnRPID, err)
		}
		parts.WebAuthn = rp
	}
	peers, err := cacheSessions(c, &parts, log)
	if err != nil {
		return err
	}
	if peers != nil {
		defer peers.Close()
	}
	// Metrics count requests and committed events; webhooks queue the
	// events in the outbox, from which workers on every node send them.
	stats := metrics.New(db)
	parts.HTTP.Observe = stats.ObserveRequest
	parts.HTTP.RequestTimeout = c.RequestTimeout
	if c.MetricsAddr == "" {
		parts.HTTP.Metrics = stats.Handler() // else on LATCH_METRICS_ADDR only
	}
	sinks := []account.EventSink{account.LogEvents(log), stats}
	if len(c.Webhooks) > 0 {
		hooks := webhook.Start(webhook.Config{Endpoints: c.Webhooks, Outbox: db.Outbox, Log: log, Observe: stats.ObserveWebhook})
		defer hooks.Close()
		sinks = append(sinks, webhook.NewSink(c.Webhooks, db.Outbox, hooks.Wake))
	}
	parts.Events = account.Sinks(sinks...)
	built, err := server.New(parts)
	if err != nil {
		return err
	}
	// The background work lasts until the server has stopped, not just
	// until the signal: while draining, the session cache must still hear
	// what other nodes change, and the keys keep being reloaded.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var background sync.WaitGroup
	defer func() {
		stopBackground()
		background.Wait()
	}()
	if peers != nil {
		background.Go(func() { peers.Listen(bg, built.Cache) })
	}

	srv := &http.Server{
		Handler:           built.API,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	background.Go(func() { sweep(bg, db, keys, c.AuditRetention, log) })
	if c.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("LATCH_METRICS_ADDR=%s: %w", c.MetricsAddr, err)
		}
		fmt.Fprintf(e.stdout, "Metrics on http://%s/metrics\n", mln.Addr())
		background.Go(func() { serveMetrics(bg, mln, stats, log) })
	}
	fmt.Fprintf(e.stdout, "Latch %s listening on http://%s (public URL %s)\n", versionString(), ln.Addr(), c.PublicURL)
	log.Info("serving", "addr", ln.Addr().String(), "database", dbKind(c.DatabaseURL), "public_url", c.PublicURL.String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	err = drain(c, log, srv, built.API, errc)
	built.Core.Wait() // reset links being stored and mailed after their answer
	if err != nil {
		return err
	}
	// Then, deferred: the mail queue is delivered and the database closed
	// (SQLite checkpoints its WAL into the file).
	log.Info("stopped")
	return nil
}

// drain stops srv without failing a request, on SIGTERM or SIGINT. First
// /readyz answers 503 while everything else is served as before, for
// LATCH_SHUTDOWN_DELAY, so that load balancers take the node out of
// rotation; then the listener closes (new connections are refused, not
// reset) and the requests still running get LATCH_SHUTDOWN_TIMEOUT to
// finish. A second signal stops the process at once (main).
func drain(c *config, log *slog.Logger, srv *http.Server, api *httpapi.Server, errc <-chan error) error {
	api.Drain()
	log.Info("shutting down: /readyz answers 503; still serving until the delay has passed", "delay", c.ShutdownDelay.String())
	if c.ShutdownDelay > 0 {
		t := time.NewTimer(c.ShutdownDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		}
	}
	log.Info("shutting down: no new connections; finishing in-flight requests", "timeout", c.ShutdownTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	var cut error
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
		cut = fmt.Errorf("shutdown: requests still running after LATCH_SHUTDOWN_TIMEOUT=%s were cut off", c.ShutdownTimeout)
		log.Error(cut.Error())
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return cut
}

// serveMetrics serves /metrics alone on its own listener until ctx ends.
func serveMetrics(ctx context.Context, ln net.Listener, stats *metrics.Metrics, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", stats.Handler())
	srv := &http.Server{Handler: httpapi.WithRequestID(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("metrics listener stopped", "err", err)
	}
}

// cacheSessions turns the session cache on in p when c asks for it. With
// PostgreSQL the nodes sharing it tell each other what changed, through the
// peers it returns; the cache serves nothing until this node listens to
// them.
func cacheSessions(c *config, p *server.Parts, log *slog.Logger) (*postgres.Peers, error) {
	if c.SessionCache.Size <= 0 {
		return nil, nil
	}
	p.Cache = &c.SessionCache
	if dbKind(c.DatabaseURL) == "sqlite" {
		return nil, nil
	}
	peers, err := postgres.NewPeers(c.DatabaseURL, log)
	if err != nil {
		return nil, fmt.Errorf("session cache: %w", err)
	}
	p.Peers = peers
	return peers, nil
}

// sweep runs the periodic chores: it deletes expired sessions and refresh
// tokens and the audit entries older than retention, and reloads the
// signing keys so that a key rotated by another node is used here too.
func sweep(ctx context.Context, db *sqlstore.DB, keys *keyring.Keyring, retention time.Duration, log *slog.Logger) {
	// Keys are reloaded every 5 s, well inside keyring.PublishDelay, so a
	// key rotated by `latch keys rotate` or another node is in this node's
	// JWKS before anyone signs with it; the sweep runs every 5 minutes.
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := keys.Reload(ctx); err != nil && ctx.Err() == nil {
			log.Warn("reloading signing keys failed", "err", err)
		}
		if i%60 == 0 {
			if _, err := db.Sessions.DeleteExpiredSessions(ctx, time.Now()); err != nil && ctx.Err() == nil {
				log.Warn("deleting expired sessions failed", "err", err)
			}
			if _, err := db.Audit.PruneAudit(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
				log.Warn("pruning the audit log failed", "err", err)
			}
		}
	}
}

// setup reads the configuration and opens what every server-side command
// needs: the logger, the master secret and the migrated database.
func setup(ctx context.Context, e env) (*config, *slog.Logger, string, *sqlstore.DB, error) {
	c, err := loadConfig(e.getenv)
	if err != nil {
		return nil, nil, "", nil, err
	}
	log := newLogger(c, e.stderr)
	for _, w := range append(c.warnings, unknownSettings(e.environ())...) {
		log.Warn(w)
	}
	if c.webauthnOff != "" {
		log.Info(c.webauthnOff)
	}
	secret, err := secretKey(c, log)
	if err != nil {
		return nil, nil, "", nil, err
	}
	// Derived, not random: MFA secrets stored by one node (or before a
	// restart) must open on every other.
	c.Account.MFA.Secret = deriveSecret(secret, "mfa")
	db, err := openDB(ctx, c, true, log)
	if err != nil {
		return nil, nil, "", nil, err
	}
	return c, log, secret, db, nil
}

func openKeyring(ctx context.Context, c *config, db *sqlstore.DB, secret string) (*keyring.Keyring, error) {
	// A replaced key keeps verifying for the access-token lifetime plus the
	// time other nodes may take to notice the rotation (they reload every
	// minute), so that no token outlives the key that verifies it.
	keys, err := keyring.Open(ctx, db.Keys, secret, c.JWTAlgorithm, c.Account.Tokens.AccessTTL+2*time.Minute, nil)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return keys, nil
}

// deriveSecret derives a purpose-bound key from the master secret.
func deriveSecret(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("latch " + purpose))
	return m.Sum(nil)
}

func keys(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("keys", "Manage the JWT signing keys.\n\n"+
		"  latch keys rotate   add a new signing key; the old ones keep verifying\n"+
		"                      for LATCH_JWT_ACCESS_TTL, then leave the JWKS\n"+
		"  latch keys list     list the keys in use", e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "rotate" && fs.Arg(0) != "list") {
		fs.Usage()
		return errors.New("want: latch keys rotate | latch keys list")
	}
	c, _, secret, db, err := setup(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	kr, err := openKeyring(ctx, c, db, secret)
	if err != nil {
		return err
	}
	if fs.Arg(0) == "rotate" {
		kid, err := kr.Rotate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "New signing key %s (%s). Previous keys verify until %s.\n", kid, c.JWTAlgorithm,
			time.Now().Add(c.Account.Tokens.AccessTTL).UTC().Format(time.RFC3339))
		return nil
	}
	for _, k := range kr.Keys() {
		fmt.Fprintf(e.stdout, "%s\t%s\n", k.ID, k.Alg)
	}
	return nil
}

func newMailer(c *config, e env, db *sqlstore.DB, log *slog.Logger) (*mail.Mailer, error) {
	_, _, logo := c.brandParts()
	m, err := mail.New(mail.Config{URL: c.EmailURL, From: c.EmailFrom, SiteName: c.SiteName, TemplateDir: c.EmailTemplates,
		BrandColor: c.Brand.Color, LogoURL: logo,
		Out: e.stdout, Queue: db.Outbox, Timeout: c.EmailTimeout, RetryFor: c.EmailRetryFor}, log)
	if err != nil {
		return nil, fmt.Errorf("mail (LATCH_EMAIL_URL, LATCH_EMAIL_TEMPLATES): %w", err)
	}
	return m, nil
}

func dbKind(url string) string {
	if len(url) >= 7 && url[:7] == "sqlite:" {
		return "sqlite"
	}
	return "postgres"
}

func migrate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("migrate", "Apply pending database migrations to LATCH_DATABASE_URL and exit.\nRunning it again is harmless.", e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadConfig(e.getenv)
	if err != nil {
		return err
	}
	log := newLogger(c, e.stderr)
	db, err := openDB(ctx, c, false, log)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Applied %d migration(s); the %s database is up to date.\n", n, dbKind(c.DatabaseURL))
	return nil
}
