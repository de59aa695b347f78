package latchauth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/latchtest"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/latchauth"
)

// latchServer is a real Latch HTTP server (JWT strategy) on a fresh SQLite
// database, counting the requests resource servers make to it.
type latchServer struct {
	*httptest.Server
	svc         *account.Service
	keys        *keyring.Keyring
	verifyCalls atomic.Int64 // GET /auth/verify
	jwksCalls   atomic.Int64 // GET /.well-known/jwks.json
}

func startLatch(t *testing.T) *latchServer {
	t.Helper()
	s := &latchServer{}
	srv := latchtest.Start(t, latchtest.Options{Wrap: func(api http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/auth/verify":
				s.verifyCalls.Add(1)
			case "/.well-known/jwks.json":
				s.jwksCalls.Add(1)
			}
			api.ServeHTTP(w, r)
		})
	}})
	s.Server, s.svc, s.keys = srv.Server, srv.Svc, srv.Keys
	return s
}

const goodPassword = "violet-Harbor-92"

// login is what a client holds after logging in to Latch.
type login struct {
	userID  string
	access  string // app client: access token
	token   string // app client: session token
	cookie  string // browser client: sessionid
	browser *http.Client
}

// callJSON sends a JSON request and decodes the JSON answer.
func callJSON(t *testing.T, c *http.Client, method, url string, body any, header ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %d, body not JSON: %v", method, url, res.StatusCode, err)
	}
	return res.StatusCode, out
}

func field(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	s, _ := v.(string)
	return s
}

// appAuth signs up (or, for an existing account, logs in) through the app
// client, returning its session token and access token.
func (s *latchServer) appAuth(t *testing.T, action string, body map[string]any) *login {
	t.Helper()
	if _, ok := body["password"]; !ok {
		body["password"] = goodPassword
	}
	status, out := callJSON(t, http.DefaultClient, "POST", s.URL+"/_allauth/app/v1/auth/"+action, body)
	if status != 200 {
		t.Fatalf("app %s: %d %v", action, status, out)
	}
	l := &login{userID: field(out, "data", "user", "id"), access: field(out, "meta", "access_token"), token: field(out, "meta", "session_token")}
	if l.userID == "" || l.access == "" || l.token == "" {
		t.Fatalf("app %s: no user id, access token or session token: %v", action, out)
	}
	return l
}

func (s *latchServer) signup(t *testing.T, email, username string) *login {
	t.Helper()
	body := map[string]any{"email": email}
	if username != "" {
		body["username"] = username
	}
	return s.appAuth(t, "signup", body)
}

// browserLogin logs in through the browser client, as an SPA does: CSRF
// cookie first, then the login, which sets the sessionid cookie.
func (s *latchServer) browserLogin(t *testing.T, email string) *login {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	callJSON(t, c, "GET", s.URL+"/_allauth/browser/v1/config", nil)
	status, out := callJSON(t, c, "POST", s.URL+"/_allauth/browser/v1/auth/login", map[string]any{"email": email, "password": goodPassword},
		"X-CSRFToken", s.cookie(c, "csrftoken"), "Origin", s.URL)
	if status != 200 {
		t.Fatalf("browser login: %d %v", status, out)
	}
	l := &login{userID: field(out, "data", "user", "id"), cookie: s.cookie(c, "sessionid"), browser: c}
	if l.cookie == "" {
		t.Fatal("browser login set no sessionid cookie")
	}
	return l
}

func (s *latchServer) cookie(c *http.Client, name string) string {
	u, _ := url.Parse(s.URL)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// logout ends the login's session at Latch.
func (s *latchServer) logout(t *testing.T, l *login) {
	t.Helper()
	var status int
	if l.browser != nil {
		status, _ = callJSON(t, l.browser, "DELETE", s.URL+"/_allauth/browser/v1/auth/session", nil,
			"X-CSRFToken", s.cookie(l.browser, "csrftoken"), "Origin", s.URL)
	} else {
		status, _ = callJSON(t, http.DefaultClient, "DELETE", s.URL+"/_allauth/app/v1/auth/session", nil, "X-Session-Token", l.token)
	}
	if status != 401 {
		t.Fatalf("logout: %d, want 401", status)
	}
}

// newAuth makes a middleware for srv with a clock the test moves.
func newAuth(t *testing.T, cfg latchauth.Config) (*latchauth.Auth, *clock) {
	t.Helper()
	a, err := latchauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: time.Now()}
	latchauth.SetClock(a, c.Now)
	return a, c
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// resource is a resource server's routes: /public for anyone, /private for
// users, /staff for staff; each answers with the user it saw.
func resource(a *latchauth.Auth) http.Handler {
	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := latchauth.UserFrom(r.Context())
		if ok != (u != nil) {
			panic("UserFrom: ok disagrees with the user")
		}
		json.NewEncoder(w).Encode(map[string]any{"user": u})
	})
	mux := http.NewServeMux()
	mux.Handle("GET /public", who)
	mux.Handle("GET /private", latchauth.RequireUser(who))
	mux.Handle("GET /staff", latchauth.RequireStaff(who))
	return a.Middleware(mux)
}

// answer is a response of the resource server.
type answer struct {
	status int
	header http.Header
	user   *latchauth.User
	detail string
}

// get sends a request to h with the given header pairs.
func get(t *testing.T, h http.Handler, path string, header ...string) answer {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body struct {
		User   *latchauth.User `json:"user"`
		Detail string          `json:"detail"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("GET %s: %d, body not JSON: %q", path, rec.Code, rec.Body)
	}
	if rec.Code != 200 && rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("GET %s: %d with Content-Type %q", path, rec.Code, rec.Header().Get("Content-Type"))
	}
	return answer{status: rec.Code, header: rec.Header(), user: body.User, detail: body.Detail}
}

func bearer(tok string) []string   { return []string{"Authorization", "Bearer " + tok} }
func appToken(tok string) []string { return []string{"X-Session-Token", tok} }
func cookie(v string) []string     { return []string{"Cookie", "sessionid=" + v} }

// expectUser fails unless the answer is a 200 for the user.
func expectUser(t *testing.T, a answer, want latchauth.User) {
	t.Helper()
	if a.status != 200 || a.user == nil {
		t.Fatalf("status %d, user %+v, detail %q; want 200 for %+v", a.status, a.user, a.detail, want)
	}
	if *a.user != want {
		t.Errorf("user = %+v, want %+v", *a.user, want)
	}
}

// expect401 fails unless the answer is the 401 for an anonymous request.
func expect401(t *testing.T, a answer, wwwAuthenticate string) {
	t.Helper()
	if a.status != 401 || a.detail != "Authentication required." || a.header.Get("WWW-Authenticate") != wwwAuthenticate {
		t.Fatalf("status %d, detail %q, WWW-Authenticate %q, user %+v; want 401 with %q",
			a.status, a.detail, a.header.Get("WWW-Authenticate"), a.user, wwwAuthenticate)
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	srv := startLatch(t)
	app := srv.signup(t, "ann@example.com", "ann")
	web := srv.browserLogin(t, "ann@example.com")
	if web.userID != app.userID {
		t.Fatalf("browser login user %s, signup user %s", web.userID, app.userID)
	}
	a, _ := newAuth(t, latchauth.Config{URL: srv.URL + "/"}) // a trailing slash is fine
	h := resource(a)
	want := latchauth.User{ID: app.userID, Email: "ann@example.com", Username: "ann"}

	// An access token is verified locally; it names its session.
	got := get(t, h, "/private", bearer(app.access)...)
	if got.user == nil || got.user.SessionID == "" {
		t.Fatalf("access token: %d %+v", got.status, got.user)
	}
	wantJWT := want
	wantJWT.SessionID = got.user.SessionID
	expectUser(t, got, wantJWT)
	expectUser(t, get(t, h, "/private", "authorization", "bearer  "+app.access+" "), wantJWT)
	if n := srv.verifyCalls.Load(); n != 0 {
		t.Errorf("access tokens made %d calls to /auth/verify", n)
	}
	if n := srv.jwksCalls.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want once", n)
	}

	// Session tokens and cookies are checked with Latch.
	expectUser(t, get(t, h, "/private", appToken(app.token)...), want)
	expectUser(t, get(t, h, "/private", cookie(web.cookie)...), want)
	expectUser(t, get(t, h, "/public", "Cookie", "csrftoken=x; sessionid="+web.cookie+"; theme=dark"), want)
	if n := srv.verifyCalls.Load(); n != 2 {
		t.Errorf("%d calls to /auth/verify, want 2 (the repeated cookie is cached)", n)
	}

	// No credential, or one that is not ours: anonymous.
	for _, hdr := range [][]string{nil, {"Authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, {"Cookie", "csrftoken=abc"}} {
		if got := get(t, h, "/public", hdr...); got.status != 200 || got.user != nil {
			t.Errorf("%v: /public gave %d %+v, want 200 anonymous", hdr, got.status, got.user)
		}
		expect401(t, get(t, h, "/private", hdr...), "Bearer")
		expect401(t, get(t, h, "/staff", hdr...), "Bearer")
	}
	// Credentials Latch does not know.
	expect401(t, get(t, h, "/private", appToken("no-such-token")...), "Bearer")
	expect401(t, get(t, h, "/private", cookie("nosuchsession")...), "Bearer")
	expect401(t, get(t, h, "/private", appToken(strings.Repeat("x", 5000))...), "Bearer")
	// A session token is no access token.
	expect401(t, get(t, h, "/private", bearer(app.token)...), `Bearer error="invalid_token"`)
	// The first credential decides: a refused access token is not rescued
	// by a valid cookie.
	expect401(t, get(t, h, "/private", append(bearer("x.y.z"), cookie(web.cookie)...)...), `Bearer error="invalid_token"`)
	// The browser's session token header and cookie are different kinds at
	// Latch: one does not pass for the other.
	expect401(t, get(t, h, "/private", cookie(app.token)...), "Bearer")
	expect401(t, get(t, h, "/private", appToken(web.cookie)...), "Bearer")
}

// segments splits a token and decodes its header and claims.
func segments(t *testing.T, token string) (header, claims map[string]any, sig string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims, parts[2]
}

func enc(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestRefusedAccessTokens(t *testing.T) {
	t.Parallel()
	srv := startLatch(t)
	bob := srv.signup(t, "bob@example.com", "")
	eve := srv.signup(t, "eve@example.com", "")
	a, clk := newAuth(t, latchauth.Config{URL: srv.URL})
	h := resource(a)
	expectUser(t, get(t, h, "/private", bearer(bob.access)...), latchauth.User{ID: bob.userID, Email: "bob@example.com", SessionID: field(segmentsClaims(t, bob.access), "sid")})

	header, claims, sig := segments(t, bob.access)
	payload := strings.Split(bob.access, ".")[1]
	jwks := func() []byte {
		res, err := http.Get(srv.URL + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return b
	}()
	hs256 := func(secret []byte) string {
		h := enc(map[string]any{"alg": "HS256", "kid": header["kid"], "typ": "JWT"})
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(h + "." + payload))
		return h + "." + payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	tampered := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range claims {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	none := enc(map[string]any{"alg": "none", "kid": header["kid"], "typ": "JWT"})

	refused := map[string]string{
		"garbage":                         "not-a-jwt",
		"empty":                           "",
		"tampered subject":                enc(header) + "." + enc(tampered("sub", eve.userID)) + "." + sig,
		"promoted to superuser":           enc(header) + "." + enc(tampered("is_superuser", true)) + "." + sig,
		"flipped signature":               strings.Split(bob.access, ".")[0] + "." + payload + "." + flip(sig),
		"another token's signature":       strings.Split(bob.access, ".")[0] + "." + payload + "." + strings.Split(eve.access, ".")[2],
		"alg none, no signature":          none + "." + payload + ".",
		"alg none, original signature":    none + "." + payload + "." + sig,
		"HS256 keyed with the JWKS":       hs256(jwks),
		"HS256 keyed with the public key": hs256(publicKeyBytes(t, jwks)),
		"unknown kid":                     enc(map[string]any{"alg": "EdDSA", "kid": "made-up", "typ": "JWT"}) + "." + payload + "." + sig,
	}
	for name, tok := range refused {
		t.Run(name, func(t *testing.T) {
			expect401(t, get(t, h, "/private", bearer(tok)...), `Bearer error="invalid_token"`)
		})
	}

	// Issuer and audience are checked: a middleware expecting another
	// refuses Latch's genuine tokens.
	for _, cfg := range []latchauth.Config{
		{URL: srv.URL, Audience: "https://api.example.com"},
		{URL: srv.URL, Issuer: "https://auth.example.com"},
		{URL: srv.URL, Issuer: srv.URL + "/", Audience: srv.URL + "/"},
	} {
		other, _ := newAuth(t, cfg)
		expect401(t, get(t, resource(other), "/private", bearer(bob.access)...), `Bearer error="invalid_token"`)
	}
	// With the audience Latch was configured with, it works.
	ok, _ := newAuth(t, latchauth.Config{URL: srv.URL, Issuer: srv.URL, Audience: srv.URL})
	if got := get(t, resource(ok), "/private", bearer(bob.access)...); got.status != 200 {
		t.Fatalf("explicit issuer and audience: %d", got.status)
	}

	// Expiry: Latch's tokens live five minutes. Seen from six minutes on,
	// they have expired — unless the configured leeway covers the gap.
	clk.advance(6 * time.Minute)
	expect401(t, get(t, h, "/private", bearer(bob.access)...), `Bearer error="invalid_token"`)
	lenient, lclk := newAuth(t, latchauth.Config{URL: srv.URL, Leeway: 2 * time.Minute})
	lclk.advance(6 * time.Minute)
	if got := get(t, resource(lenient), "/private", bearer(bob.access)...); got.status != 200 {
		t.Errorf("expired by a minute, with two minutes' leeway: %d", got.status)
	}
	lclk.advance(2 * time.Minute)
	expect401(t, get(t, resource(lenient), "/private", bearer(bob.access)...), `Bearer error="invalid_token"`)
}

func segmentsClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	_, c, _ := segments(t, token)
	return c
}

// flip changes the first character of a base64url string.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// publicKeyBytes returns the raw public key of the first key of a JWKS.
func publicKeyBytes(t *testing.T, jwks []byte) []byte {
	t.Helper()
	var doc struct {
		Keys []struct {
			X string `json:"x"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil || len(doc.Keys) == 0 {
		t.Fatalf("JWKS %s: %v", jwks, err)
	}
	b, err := base64.RawURLEncoding.DecodeString(doc.Keys[0].X)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLogoutEndsSessionsAfterCacheTTL(t *testing.T) {
	t.Parallel()
	srv := startLatch(t)
	app := srv.signup(t, "cat@example.com", "")
	web := srv.browserLogin(t, "cat@example.com")
	cached, clk := newAuth(t, latchauth.Config{URL: srv.URL, CacheTTL: 2 * time.Second})
	uncached, _ := newAuth(t, latchauth.Config{URL: srv.URL, CacheTTL: -1})
	hc, hu := resource(cached), resource(uncached)
	want := latchauth.User{ID: app.userID, Email: "cat@example.com"}
	for _, cred := range [][]string{appToken(app.token), cookie(web.cookie)} {
		expectUser(t, get(t, hc, "/private", cred...), want)
		expectUser(t, get(t, hu, "/private", cred...), want)
	}

	srv.logout(t, app)
	srv.logout(t, web)
	calls := srv.verifyCalls.Load()
	for _, cred := range [][]string{appToken(app.token), cookie(web.cookie)} {
		// Within the TTL the cached answer stands, without asking Latch...
		expectUser(t, get(t, hc, "/private", cred...), want)
		// ...while without a cache the logout shows at once.
		expect401(t, get(t, hu, "/private", cred...), "Bearer")
	}
	if n := srv.verifyCalls.Load() - calls; n != 2 {
		t.Errorf("%d calls to /auth/verify after logout, want 2 (the uncached middleware's)", n)
	}
	clk.advance(2 * time.Second)
	for _, cred := range [][]string{appToken(app.token), cookie(web.cookie)} {
		expect401(t, get(t, hc, "/private", cred...), "Bearer")
	}
	// The access token, checked offline, lives on until it expires.
	if got := get(t, hc, "/private", bearer(app.access)...); got.status != 200 {
		t.Errorf("access token after logout: %d, want 200 until it expires", got.status)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	srv := startLatch(t)
	old := srv.signup(t, "dan@example.com", "")
	a, clk := newAuth(t, latchauth.Config{URL: srv.URL})
	h := resource(a)
	if got := get(t, h, "/private", bearer(old.access)...); got.status != 200 {
		t.Fatalf("first token: %d", got.status)
	}

	if _, err := srv.keys.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := srv.appAuth(t, "login", map[string]any{"email": "dan@example.com"})
	oldKID, _, _ := segments(t, old.access)
	newKID, _, _ := segments(t, fresh.access)
	if oldKID["kid"] == newKID["kid"] {
		t.Fatal("Latch did not sign with the new key")
	}

	// The JWKS was fetched a moment ago: a token with an unknown kid does
	// not make the middleware fetch it again so soon...
	expect401(t, get(t, h, "/private", bearer(fresh.access)...), `Bearer error="invalid_token"`)
	if n := srv.jwksCalls.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	// ...but a few seconds later it does, once, and the new key verifies.
	clk.advance(6 * time.Second)
	expectUser(t, get(t, h, "/private", bearer(fresh.access)...), latchauth.User{ID: fresh.userID, Email: "dan@example.com", SessionID: field(segmentsClaims(t, fresh.access), "sid")})
	expectUser(t, get(t, h, "/private", bearer(old.access)...), latchauth.User{ID: old.userID, Email: "dan@example.com", SessionID: field(segmentsClaims(t, old.access), "sid")})
	if n := srv.jwksCalls.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}

	// Made-up kids cannot make it hammer Latch: one fetch per interval.
	forged := func(i int) string {
		return enc(map[string]any{"alg": "EdDSA", "kid": "kid-" + string(rune('a'+i)), "typ": "JWT"}) + "." + strings.SplitN(fresh.access, ".", 2)[1]
	}
	clk.advance(6 * time.Second)
	for i := range 20 {
		get(t, h, "/private", bearer(forged(i))...)
	}
	if n := srv.jwksCalls.Load(); n != 3 {
		t.Fatalf("JWKS fetched %d times after 20 unknown kids, want 3", n)
	}
}

func TestRequireStaff(t *testing.T) {
	t.Parallel()
	srv := startLatch(t)
	user := srv.signup(t, "eli@example.com", "")
	if _, err := srv.svc.Users.CreateSuperuser(context.Background(), account.SuperuserInput{Email: "root@example.com", Username: "root", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	root := srv.appAuth(t, "login", map[string]any{"email": "root@example.com"})
	a, _ := newAuth(t, latchauth.Config{URL: srv.URL})
	h := resource(a)

	for _, cred := range [][]string{bearer(user.access), appToken(user.token)} {
		got := get(t, h, "/staff", cred...)
		if got.status != 403 || got.detail != "You do not have permission to perform this action." {
			t.Errorf("normal user at /staff: %d %q", got.status, got.detail)
		}
		if got := get(t, h, "/private", cred...); got.status != 200 {
			t.Errorf("normal user at /private: %d", got.status)
		}
	}
	sid := field(segmentsClaims(t, root.access), "sid")
	expectUser(t, get(t, h, "/staff", bearer(root.access)...), latchauth.User{ID: root.userID, Email: "root@example.com", Username: "root", Staff: true, Superuser: true, SessionID: sid})
	expectUser(t, get(t, h, "/staff", appToken(root.token)...), latchauth.User{ID: root.userID, Email: "root@example.com", Username: "root", Staff: true, Superuser: true})
	expect401(t, get(t, h, "/staff"), "Bearer")
}

func TestSessionCacheIsBounded(t *testing.T) {
	t.Parallel()
	srv := startLatch(t)
	a, _ := newAuth(t, latchauth.Config{URL: srv.URL})
	latchauth.SetCacheLimit(a, 3)
	h := resource(a)
	for i := range 10 {
		expect401(t, get(t, h, "/private", appToken("made-up-"+string(rune('a'+i)))...), "Bearer")
		if n := latchauth.CachedSessions(a); n > 3 {
			t.Fatalf("cache holds %d entries, limit 3", n)
		}
	}
	// The most recent verdict is always kept.
	calls := srv.verifyCalls.Load()
	get(t, h, "/private", appToken("made-up-j")...)
	if srv.verifyCalls.Load() != calls {
		t.Error("the latest verdict was evicted")
	}
}

// jwksServer serves a JWKS for a key the test holds, misbehaving on request.
type jwksServer struct {
	*httptest.Server
	key   *jwt.Key
	calls atomic.Int64
	mode  atomic.Value // string: "ok", "500", "huge", "redirect"
	other string       // where "redirect" points
}

func startJWKS(t *testing.T) *jwksServer {
	key, err := jwt.GenerateKey(jwt.ES256)
	if err != nil {
		t.Fatal(err)
	}
	s := &jwksServer{key: key}
	s.mode.Store("ok")
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		body := jwt.NewKeySet(key.Public()).JWKS()
		switch s.mode.Load() {
		case "500":
			http.Error(w, "down", 500)
			return
		case "huge":
			body = append(body[:len(body)-1], bytes.Repeat([]byte(" "), 300<<10)...)
			body = append(body, '}')
		case "redirect":
			http.Redirect(w, r, s.other+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// sign signs claims issued at now, changed by mutate.
func (s *jwksServer) sign(t *testing.T, now time.Time, mutate func(*jwt.Claims)) string {
	t.Helper()
	c := &jwt.Claims{Issuer: s.URL, Audience: s.URL, Subject: "user-1", SessionID: "7",
		IssuedAt: now.Unix(), Expires: now.Add(5 * time.Minute).Unix(), ID: "j1", Email: "fay@example.com"}
	if mutate != nil {
		mutate(c)
	}
	tok, err := jwt.Sign(s.key, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestJWKSFetching(t *testing.T) {
	t.Parallel()
	js := startJWKS(t)
	good := js.sign(t, time.Now(), nil)
	want := latchauth.User{ID: "user-1", Email: "fay@example.com", SessionID: "7"}

	t.Run("claims", func(t *testing.T) {
		a, _ := newAuth(t, latchauth.Config{URL: js.URL})
		h := resource(a)
		expectUser(t, get(t, h, "/private", bearer(good)...), want)
		for name, mutate := range map[string]func(*jwt.Claims){
			"expired":         func(c *jwt.Claims) { c.IssuedAt -= 600; c.Expires = time.Now().Add(-time.Second).Unix() },
			"issued later":    func(c *jwt.Claims) { c.IssuedAt += 120; c.Expires += 120 },
			"other issuer":    func(c *jwt.Claims) { c.Issuer = "https://evil.example.com" },
			"other audience":  func(c *jwt.Claims) { c.Audience = "https://other.example.com" },
			"no subject":      func(c *jwt.Claims) { c.Subject = "" },
			"no issuer":       func(c *jwt.Claims) { c.Issuer = "" },
			"issuer, slashed": func(c *jwt.Claims) { c.Issuer += "/" },
		} {
			t.Run(name, func(t *testing.T) {
				expect401(t, get(t, h, "/private", bearer(js.sign(t, time.Now(), mutate))...), `Bearer error="invalid_token"`)
			})
		}
	})

	t.Run("failed fetch is retried, not remembered", func(t *testing.T) {
		js.mode.Store("500")
		defer js.mode.Store("ok")
		a, clk := newAuth(t, latchauth.Config{URL: js.URL})
		h := resource(a)
		got := get(t, h, "/private", bearer(good)...)
		if got.status != 503 || got.header.Get("Retry-After") == "" || got.detail != "Authentication service unavailable." {
			t.Fatalf("JWKS down: %d %q %v", got.status, got.detail, got.header)
		}
		js.mode.Store("ok")
		before := js.calls.Load()
		if got := get(t, h, "/private", bearer(good)...); got.status != 503 {
			t.Fatalf("right after a failed fetch: %d, want 503 without refetching", got.status)
		}
		if js.calls.Load() != before {
			t.Fatal("refetched within the interval")
		}
		clk.advance(6 * time.Second)
		expectUser(t, get(t, h, "/private", bearer(good)...), want)

		// A stale set is refreshed; while the JWKS is down the old set serves.
		js.mode.Store("500")
		clk.advance(6 * time.Minute)
		expectUser(t, get(t, h, "/private", bearer(js.sign(t, clk.Now(), nil))...), want)
	})

	t.Run("huge JWKS", func(t *testing.T) {
		js.mode.Store("huge")
		defer js.mode.Store("ok")
		a, _ := newAuth(t, latchauth.Config{URL: js.URL})
		if got := get(t, resource(a), "/private", bearer(good)...); got.status != 503 {
			t.Fatalf("oversized JWKS: %d, want 503", got.status)
		}
	})
}

// TestCredentialsGoOnlyToLatch checks that redirects from the configured
// URL are not followed: neither session credentials nor the JWKS fetch
// leave for another host.
func TestCredentialsGoOnlyToLatch(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		w.Header().Set("X-Latch-User-Id", "attacker")
	}))
	defer evil.Close()
	js := startJWKS(t)
	js.other = evil.URL
	js.mode.Store("redirect")

	a, _ := newAuth(t, latchauth.Config{URL: js.URL, Issuer: js.URL, Audience: js.URL})
	h := resource(a)
	for _, cred := range [][]string{appToken("secret-token"), cookie("secret-cookie"), bearer(js.sign(t, time.Now(), nil))} {
		if got := get(t, h, "/private", cred...); got.status != 503 {
			t.Errorf("%v: %d, want 503", cred, got.status)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("%d requests reached the redirect target", n)
	}

	// A client of the user's own, with a cookie jar and redirects on, is
	// tamed the same way.
	jar, _ := cookiejar.New(nil)
	b, _ := newAuth(t, latchauth.Config{URL: js.URL, HTTPClient: &http.Client{Jar: jar}})
	if got := get(t, resource(b), "/private", appToken("secret-token")...); got.status != 503 {
		t.Errorf("own client: %d, want 503", got.status)
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("%d requests reached the redirect target", n)
	}
}

func TestLatchUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a, _ := newAuth(t, latchauth.Config{URL: "http://" + addr})
	h := resource(a)
	for _, cred := range [][]string{appToken("tok"), cookie("c"), bearer("a.b.c")} {
		got := get(t, h, "/private", cred...)
		if got.status != 503 || got.header.Get("Retry-After") == "" {
			t.Errorf("%v: %d, want 503 with Retry-After", cred, got.status)
		}
		if got := get(t, h, "/public", cred...); got.status != 200 || got.user != nil {
			t.Errorf("%v at /public: %d %+v, want anonymous 200", cred, got.status, got.user)
		}
	}
	// A request without credentials is plainly anonymous.
	expect401(t, get(t, h, "/private"), "Bearer")
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []latchauth.Config{
		{},
		{URL: "auth.example.com"},
		{URL: "ftp://auth.example.com"},
		{URL: "https://"},
		{URL: "https://auth.example.com/?x=1"},
		{URL: "https://user:pw@auth.example.com"},
		{URL: "https://auth.example.com", Leeway: -time.Second},
	} {
		if _, err := latchauth.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	for _, u := range []string{"https://auth.example.com", "http://127.0.0.1:8000/", "https://example.com/latch"} {
		if _, err := latchauth.New(latchauth.Config{URL: u}); err != nil {
			t.Errorf("New(%q): %v", u, err)
		}
	}
}

func TestRequireWithoutMiddleware(t *testing.T) {
	t.Parallel()
	h := latchauth.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("handler reached") }))
	expect401(t, get(t, h, "/"), "Bearer")
	if _, ok := latchauth.UserFrom(context.Background()); ok {
		t.Error("a bare context has a user")
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	srv := startLatch(t)
	gus := srv.signup(t, "gus@example.com", "")
	a, _ := newAuth(t, latchauth.Config{URL: srv.URL})
	h := resource(a)
	var wg sync.WaitGroup
	codes := make([]int, 24)
	for i := range codes {
		wg.Go(func() {
			req := httptest.NewRequest("GET", "/private", nil)
			if i%2 == 0 {
				req.Header.Set("Authorization", "Bearer "+gus.access)
			} else {
				req.Header.Set("X-Session-Token", gus.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: %d", i, c)
		}
	}
	// Requests arriving together wait for one JWKS fetch.
	if n := srv.jwksCalls.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times by concurrent first requests, want 1", n)
	}
}

// A token the middleware has verified before is still refused once it
// expires; each request's user is its own, so what a handler does to it is
// not seen by the next request. (jwt's tests check that a cached token is
// refused for another issuer or audience.)
func TestAccessTokenSeenBefore(t *testing.T) {
	t.Parallel()
	js := startJWKS(t)
	want := latchauth.User{ID: "user-1", Email: "fay@example.com", SessionID: "7"}
	a, clk := newAuth(t, latchauth.Config{URL: js.URL})
	tok := js.sign(t, clk.Now(), func(c *jwt.Claims) { c.Expires = clk.Now().Add(time.Minute).Unix() })
	mutating := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := latchauth.UserFrom(r.Context())
		u.ID, u.Superuser, u.SessionID = "someone else", true, ""
		w.WriteHeader(http.StatusNoContent)
	}))
	h := resource(a)
	for range 3 {
		expectUser(t, get(t, h, "/private", bearer(tok)...), want)
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		mutating.ServeHTTP(httptest.NewRecorder(), req)
	}

	clk.advance(59 * time.Second)
	expectUser(t, get(t, h, "/private", bearer(tok)...), want)
	clk.advance(time.Second)
	expect401(t, get(t, h, "/private", bearer(tok)...), `Bearer error="invalid_token"`)
}

// The context the middleware passes on is the request's: it carries the
// values and the cancellation of the context the request came with.
func TestMiddlewareKeepsContext(t *testing.T) {
	t.Parallel()
	js := startJWKS(t)
	a, clk := newAuth(t, latchauth.Config{URL: js.URL})
	type key struct{}
	for _, hdr := range [][]string{nil, bearer(js.sign(t, clk.Now(), nil))} {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "outer"))
		var seen context.Context
		h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Context() }))
		req := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
		if hdr != nil {
			req.Header.Set(hdr[0], hdr[1])
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if _, ok := latchauth.UserFrom(seen); ok != (hdr != nil) {
			t.Errorf("%v: user %v", hdr, ok)
		}
		if v := seen.Value(key{}); v != "outer" {
			t.Errorf("%v: the request context's value is %v", hdr, v)
		}
		inner, stop := context.WithCancel(seen) // propagation through the middleware's context
		cancel()
		<-seen.Done()
		<-inner.Done()
		if seen.Err() != context.Canceled || inner.Err() != context.Canceled {
			t.Errorf("%v: errors %v, %v after cancel", hdr, seen.Err(), inner.Err())
		}
		stop()
	}
}
