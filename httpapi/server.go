// Package httpapi is Latch's HTTP surface: the route table, the thin
// handlers of the headless API (browser and app clients) and of the
// tutorial-compatible surfaces, and the middleware around them (CSRF, CORS,
// security headers, body limits, logging). Handlers decode, call the account
// core, and encode; the rules live in the core.
//
// routes.go lists every route with its surface and access level; the router
// identifies the caller and enforces the access level before a handler
// runs. Handlers are methods of one small type per endpoint family, each in
// its own file and holding the *Server whose shared parts (the core, the
// form reader, the answers) it uses: authAPI (auth.go), loginCodeAPI
// (code.go), configAPI (config.go), sessionsAPI (sessions.go), emailAPI
// (email.go), passwordAPI (password.go), tokensAPI (tokens.go), forwardAuth
// (forward_auth.go), opsAPI (ops.go), and one per tutorial surface
// (compat_<name>.go). A new endpoint is a line in routeTable and a method
// of its family, documented in openapi.yaml (or openapi-compat.yaml).
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/social"
)

// Config is what the HTTP layer needs to know about the deployment.
type Config struct {
	// PublicURL is where users reach Latch; its origin is trusted for CSRF
	// and its scheme decides Secure cookies and HSTS.
	PublicURL *url.URL
	// CORSOrigins may call the API cross-origin with credentials.
	CORSOrigins []string
	// TrustedOrigins may send unsafe requests to the browser API besides the
	// public URL and the CORS origins (e.g. a frontend behind another proxy).
	TrustedOrigins []string
	// CookieDomain and CookieSameSite shape the session and CSRF cookies.
	CookieDomain   string
	CookieSameSite http.SameSite
	// CSRFCookieHTTPOnly makes the csrftoken cookie HttpOnly, as Django's
	// CSRF_COOKIE_HTTPONLY: scripts cannot read it, and a frontend takes the
	// token from the X-CSRFToken header of the django-session surface's
	// GET /api/csrf/ instead.
	CSRFCookieHTTPOnly bool
	// MaxBodyBytes bounds request bodies; larger ones get 413.
	MaxBodyBytes int64
	// TrustedProxyCount is how many reverse proxies append to
	// X-Forwarded-For in front of Latch; 0 means the header is ignored.
	TrustedProxyCount int
	// JWKS returns the public signing keys as a JWK Set; nil when access
	// tokens are off.
	JWKS func() []byte
	// Compat lists the tutorial-compatible surfaces to serve: django-session,
	// drf-session, drf-jwt, simplejwt.
	Compat []string
	// CSRFKey keys the HMAC that binds CSRF tokens to sessions; derive it
	// from the master secret, the same on every node. Empty: a random key,
	// for this process only.
	CSRFKey []byte
	// Observe, unless nil, is told each request's route pattern (""
	// when none matched), method, status and duration (package metrics).
	Observe func(route, method string, status int, d time.Duration)
	// App serves the account web app for GET requests to paths outside the
	// API (client-side routes included); nil serves none.
	App http.Handler

	// Social is the configured login providers (nil: none); FrontendURL,
	// when set, is trusted as a provider callback_url origin besides the
	// public URL, the CORS and the CSRF-trusted origins (social.go).
	Social      *social.Registry
	FrontendURL *url.URL

	// Brand is the operator's site name, logo and colour (brand.go).
	Brand Brand
	// AccessLog is the request log (accesslog.go); its zero value logs
	// nothing.
	AccessLog AccessLog
	// RequestTimeout bounds every request (<= 0: DefaultRequestTimeout):
	// its context's deadline, which every store call takes, so that a hung
	// or overloaded database costs a request at most that long. A store
	// call that runs out of it returns latch.ErrUnavailable, answered with
	// 503 and Retry-After.
	RequestTimeout time.Duration
	// Metrics, unless nil, serves GET /metrics (the Prometheus scrape).
	Metrics http.Handler
}

// Pinger reports whether the database answers, for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server serves the API. Build it with New.
type Server struct {
	cfg     Config
	svc     *account.Service
	db      Pinger
	log     *slog.Logger
	secure  bool
	cop     *http.CrossOriginProtection
	csrfKey *csrfKey
	cors    map[string][]string // CORS origin → its Access-Control-Allow-Origin value
	table   []route             // the routes served (routes.go)
	handler http.Handler        // the router, inside the envelope (envelope.go)
	timeout time.Duration
	access  *accessLogger
	// draining is set by Drain: the process is stopping (ops.go).
	draining atomic.Bool
}

// New returns the HTTP handler for the whole server.
func New(cfg Config, svc *account.Service, db Pinger, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 64 << 10
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.CookieSameSite == 0 {
		cfg.CookieSameSite = http.SameSiteLaxMode
	}
	if cfg.Brand.SiteName == "" {
		cfg.Brand.SiteName = "Latch"
	}
	if cfg.Brand.Color == "" {
		cfg.Brand.Color = mail.DefaultBrandColor
	}
	s := &Server{
		cfg:     cfg,
		svc:     svc,
		db:      db,
		log:     log,
		secure:  cfg.PublicURL != nil && cfg.PublicURL.Scheme == "https",
		cop:     http.NewCrossOriginProtection(),
		csrfKey: newCSRFKey(cfg.CSRFKey),
		cors:    map[string][]string{},
		timeout: cfg.RequestTimeout,
	}
	s.access = newAccessLogger(s)
	trusted := append(append([]string{}, cfg.TrustedOrigins...), cfg.CORSOrigins...)
	if cfg.PublicURL != nil {
		trusted = append(trusted, cfg.PublicURL.Scheme+"://"+cfg.PublicURL.Host)
	}
	for _, o := range trusted {
		// Origins were validated when the configuration was read.
		_ = s.cop.AddTrustedOrigin(strings.TrimSuffix(o, "/"))
	}
	for _, o := range cfg.CORSOrigins {
		o = strings.TrimSuffix(o, "/")
		s.cors[o] = []string{o}
	}
	s.table = s.routeTable(s.features())
	s.handler = s.router(s.table)
	return s
}
