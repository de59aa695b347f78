package latchauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/jwt"
)

// Config says where Latch is and how to check its credentials. Only URL is
// required.
type Config struct {
	URL        string        // Latch's base URL, e.g. "https://auth.example.com"
	Issuer     string        // expected iss (default: URL)
	Audience   string        // expected aud (default: URL)
	CacheTTL   time.Duration // how long a session-cookie/session-token check result is cached (default 10s; 0 keeps the default, negative disables)
	HTTPClient *http.Client  // default: a client with a 5s timeout
	Leeway     time.Duration // clock skew allowed on exp/iat (default 0)
}

// User is the Latch user a request authenticated as.
type User struct {
	ID        string // the user's public id (a UUID): the access token's sub
	Email     string // primary address; may be empty
	Username  string // may be empty
	Staff     bool
	Superuser bool
	// SessionID is the sid claim of an access token: the Latch session the
	// token was issued for, as an opaque string (22 random-looking
	// characters, the same for every token of one session). It is empty for
	// session cookies and session tokens, whose check at Latch does not
	// reveal it.
	SessionID string
}

// Defaults and bounds.
const (
	defaultCacheTTL = 10 * time.Second
	defaultTimeout  = 5 * time.Second
	// maxCacheEntries bounds the session-check cache; when it is full,
	// expired entries go first, then arbitrary ones.
	maxCacheEntries = 10000
	// maxCredential bounds the session cookies and tokens sent to Latch;
	// Latch's own are far shorter.
	maxCredential = 1024
	// refetchInterval is the least time between two JWKS fetches caused by
	// unknown kids or failed fetches, so that tokens with made-up kids
	// cannot make the middleware hammer Latch.
	refetchInterval = 5 * time.Second
	// keysMaxAge is how long a fetched JWKS is used before it is fetched
	// again, so that keys Latch withdraws stop verifying here too. It
	// matches the max-age Latch serves the JWKS with.
	keysMaxAge = 5 * time.Minute
)

// sessionCookie and tokenHeader are where Latch's browser and app clients
// carry their sessions.
const (
	sessionCookie = "sessionid"
	tokenHeader   = "X-Session-Token"
)

// Auth authenticates requests against one Latch server. Make it with [New];
// it is safe for concurrent use, and one Auth should serve the whole
// process so that its caches are shared.
type Auth struct {
	base     string // Latch's URL, without a trailing slash
	issuer   string
	audience string
	leeway   time.Duration
	client   *http.Client
	now      func() time.Time

	keys     *keyCache
	sessions *sessionCache // nil: no caching

	lastWarn atomic.Int64 // Unix nanoseconds of the last logged failure to reach Latch
}

// New checks cfg and returns an Auth. Nothing is fetched yet: the JWKS is
// fetched when the first access token arrives.
func New(cfg Config) (*Auth, error) {
	base, err := parseBase(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("latchauth: Config.Leeway must not be negative")
	}
	a := &Auth{base: base, issuer: cfg.Issuer, audience: cfg.Audience, leeway: cfg.Leeway, now: time.Now}
	if a.issuer == "" {
		a.issuer = base
	}
	if a.audience == "" {
		a.audience = base
	}

	// The client carries users' credentials to Latch, and only there: it
	// follows no redirect (a redirect would resend them, or hand the JWKS,
	// and so the power to mint tokens, to whoever it points at) and keeps
	// no cookie jar.
	client := &http.Client{Timeout: defaultTimeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.Jar = nil
	client.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		return fmt.Errorf("latchauth: Latch answered with a redirect to %s; set Config.URL to the URL Latch is served at", req.URL.Redacted())
	}
	a.client = client

	a.keys = &keyCache{url: base + "/.well-known/jwks.json", client: client, minInterval: refetchInterval, maxAge: keysMaxAge}

	ttl := cfg.CacheTTL
	if ttl == 0 {
		ttl = defaultCacheTTL
	}
	if ttl > 0 {
		a.sessions = newSessionCache(ttl, maxCacheEntries)
	}
	return a, nil
}

// parseBase checks Latch's URL and returns it without a trailing slash.
func parseBase(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("latchauth: Config.URL is required (Latch's base URL, e.g. https://auth.example.com)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("latchauth: Config.URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("latchauth: Config.URL %q: want an http or https URL", raw)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("latchauth: Config.URL %q: want scheme://host[:port][/path], without credentials, query or fragment", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// outcome is what the middleware learnt about a request; it travels in the
// request's context, in an authContext.
type outcome struct {
	user          User // the request's own copy, valid when authenticated
	authenticated bool
	// why no user, when the request carried a credential
	refused     bool // a credential was presented and refused
	bearer      bool // ... and it was an access token
	unavailable bool // Latch could not be asked (or its keys fetched)
}

type ctxKey struct{}

// authContext is a request's context carrying the middleware's outcome
// under ctxKey{}: what context.WithValue and a separate outcome would do,
// in one allocation per request.
type authContext struct {
	context.Context
	o outcome
}

// Value returns the outcome for ctxKey{}, and asks the parent otherwise.
func (c *authContext) Value(key any) any {
	if key == (ctxKey{}) {
		return &c.o
	}
	return c.Context.Value(key)
}

// outcomeOf returns the outcome the middleware put in ctx, or nil.
func outcomeOf(ctx context.Context) *outcome {
	o, _ := ctx.Value(ctxKey{}).(*outcome)
	return o
}

// Middleware authenticates each request and passes it on, with the user (if
// any) in its context for [UserFrom], [RequireUser] and [RequireStaff].
//
// The first credential present decides, in the order Latch itself uses:
//
//  1. Authorization: Bearer <access token>: verified locally against
//     Latch's JWKS (fetched from URL+"/.well-known/jwks.json" on first use,
//     again every few minutes, and again — at most once per few seconds —
//     when a token names an unknown kid). The signature must be by a key of
//     the set with exactly that key's algorithm, and iss, aud, exp and iat
//     must be right.
//  2. X-Session-Token: <app session token>, and
//  3. the sessionid cookie: checked by asking Latch's /auth/verify, whose
//     answer is cached for Config.CacheTTL, keyed by a hash of the
//     credential.
//
// A request without a credential, or whose credential is refused, passes on
// anonymous; so does one whose credential could not be checked because
// Latch did not answer (RequireUser then answers 503 rather than 401). The
// middleware writes no response of its own, and logs no credential.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ac := &authContext{Context: r.Context(), o: a.authenticate(r)}
		next.ServeHTTP(w, r.WithContext(ac))
	})
}

// UserFrom returns the user the middleware found for the request whose
// context ctx is, and reports whether there is one. Each request gets its
// own copy, which the handler may keep or change.
func UserFrom(ctx context.Context) (*User, bool) {
	o := outcomeOf(ctx)
	if o == nil || !o.authenticated {
		return nil, false
	}
	return &o.user, true
}

// authenticate finds the request's credential and checks it.
func (a *Auth) authenticate(r *http.Request) outcome {
	if tok, ok := bearerToken(r); ok {
		return a.checkAccessToken(r.Context(), tok)
	}
	if tok := r.Header.Get(tokenHeader); tok != "" {
		return a.checkSession(r.Context(), kindToken, tok)
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return a.checkSession(r.Context(), kindCookie, c.Value)
	}
	return outcome{}
}

// bearerToken returns the token of an "Authorization: Bearer" header, and
// reports whether there is such a header. Other schemes are not ours.
func bearerToken(r *http.Request) (string, bool) {
	// The header's key is canonical, so the map is read directly, sparing
	// Header.Get's canonicalization on every request.
	v := r.Header["Authorization"]
	if len(v) == 0 {
		return "", false
	}
	h := v[0]
	if len(h) < 6 || !strings.EqualFold(h[:6], "bearer") || (len(h) > 6 && h[6] != ' ') {
		return "", false
	}
	return strings.TrimSpace(h[6:]), true
}

// checkAccessToken verifies an access token against Latch's keys.
func (a *Auth) checkAccessToken(ctx context.Context, token string) outcome {
	now := a.now()
	ks, err := a.keys.get(ctx, now)
	if ks == nil {
		a.warn("latchauth: cannot fetch Latch's JWKS; access tokens are refused until it answers", err)
		return outcome{unavailable: true}
	}
	var c jwt.Claims // on the stack: VerifyInto copies the claims in
	err = ks.VerifyInto(&c, token, now, a.leeway, a.issuer, a.audience)
	if errors.Is(err, jwt.ErrUnknownKey) {
		// Latch may have rotated its keys since the set was fetched.
		fresh, ferr := a.keys.refresh(ctx, ks, now, true)
		switch {
		case fresh != nil && fresh != ks:
			err = fresh.VerifyInto(&c, token, now, a.leeway, a.issuer, a.audience)
		case ferr != nil:
			a.warn("latchauth: cannot fetch Latch's JWKS", ferr)
			return outcome{unavailable: true}
		}
	}
	if err != nil || c.Subject == "" {
		return outcome{refused: true, bearer: true}
	}
	return outcome{authenticated: true, user: User{ID: c.Subject, Email: c.Email, Username: c.Username,
		Staff: c.Staff, Superuser: c.Superuser, SessionID: c.SessionID}}
}

// checkSession checks a session cookie or token with Latch, through the cache.
func (a *Auth) checkSession(ctx context.Context, kind credentialKind, cred string) outcome {
	if !plausible(cred) {
		return outcome{refused: true}
	}
	now := a.now()
	key := cacheKey(kind, cred)
	if a.sessions != nil {
		if u, ok := a.sessions.get(key, now); ok {
			return sessionOutcome(u)
		}
	}
	u, err := a.verifyAtLatch(ctx, kind, cred)
	if err != nil {
		if ctx.Err() == nil {
			a.warn("latchauth: cannot check a session with Latch", err)
		}
		return outcome{unavailable: true}
	}
	if a.sessions != nil {
		a.sessions.put(key, u, now)
	}
	return sessionOutcome(u)
}

// sessionOutcome makes the outcome of a session check, copying the
// (shared, cached) user.
func sessionOutcome(u *User) outcome {
	if u == nil {
		return outcome{refused: true}
	}
	return outcome{authenticated: true, user: *u}
}

// plausible reports whether a session credential could be one of Latch's:
// not too long, and printable ASCII without spaces, so that it can be sent
// on as it came.
func plausible(cred string) bool {
	if len(cred) > maxCredential {
		return false
	}
	for i := 0; i < len(cred); i++ {
		if cred[i] <= ' ' || cred[i] >= 0x7f || cred[i] == ';' || cred[i] == '"' || cred[i] == ',' || cred[i] == '\\' {
			return false
		}
	}
	return true
}

// warn logs a failure to reach Latch, at most once per refetchInterval so
// that an outage does not flood the log. The error never holds a
// credential: they travel in headers, which errors do not quote.
func (a *Auth) warn(msg string, err error) {
	now := time.Now().UnixNano()
	last := a.lastWarn.Load()
	if now-last < int64(refetchInterval) || !a.lastWarn.CompareAndSwap(last, now) {
		return
	}
	slog.Default().Warn(msg, "latch", a.base, "err", err)
}
