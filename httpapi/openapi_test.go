package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/server"
	"github.com/latchauth/latch/sqlstore"
	"github.com/latchauth/latch/webauthn"
)

// The OpenAPI document is checked against the running server: every request
// the scenarios below send and every response they get is validated against
// openapi.yaml, in both directions — a request the document calls invalid
// must be refused by the server, and a request the document calls valid must
// be one the test meant to be valid. A change of a response shape, status or
// error code that the document does not follow fails these tests.

const oaDocPath = "openapi.yaml"

// loadOpenAPIDoc parses and validates openapi.yaml.
func loadOpenAPIDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(oaDocPath)
	if err != nil {
		t.Fatalf("load %s: %v", oaDocPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", oaDocPath, err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("%s: openapi %q, want 3.1", oaDocPath, doc.OpenAPI)
	}
	return doc
}

// oaServer is a real Latch server on a fresh SQLite database, with a router
// over the OpenAPI document whose server URL is the test server's.
type oaServer struct {
	*httptest.Server
	db     *sqlstore.DB
	doc    *openapi3.T
	router routers.Router
	// latch is the harness server behind a startOpenAPIMailServer: its
	// mail and clock. Nil for startOpenAPIServer's.
	latch *latchServer
	// svc is the account service behind a startOpenAPIServer. Nil for
	// startOpenAPIMailServer's.
	svc *account.Service
}

// startOpenAPIServer starts a server as `latch serve` does, signing keys
// (EdDSA) and JWKS included, with the default configuration changed by
// configure.
func startOpenAPIServer(t *testing.T, configure func(*account.Config)) *oaServer {
	t.Helper()
	return startOpenAPIServerAlg(t, jwt.EdDSA, configure)
}

// startOpenAPIServerAlg is startOpenAPIServer with signing keys of alg.
func startOpenAPIServerAlg(t *testing.T, alg jwt.Algorithm, configure func(*account.Config)) *oaServer {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	t.Cleanup(hs.Close)
	public := &url.URL{Scheme: "http", Host: hs.Listener.Addr().String()}
	cfg := account.DefaultConfig()
	cfg.Tokens.Issuer, cfg.Tokens.Audience = public.String(), public.String()
	cfg.Tokens.Secret = []byte("openapi test refresh secret")
	if configure != nil {
		configure(&cfg)
	}
	db := testdb.OpenSQLite(t)
	keys, err := keyring.Open(context.Background(), db.Keys, strings.Repeat("k", 32), alg, cfg.Tokens.AccessTTL, nil)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := webauthn.New(webauthn.Config{RPID: "localhost", RPName: "Latch", Origins: []string{public.String()}})
	if err != nil {
		t.Fatal(err)
	}
	built, err := server.New(server.Parts{DB: db, Account: cfg, HTTP: httpapi.Config{PublicURL: public,
		Brand: httpapi.Brand{Logo: []byte("\x89PNG\r\n\x1a\n"), LogoType: "image/png"}}, Mail: oaNoMail{},
		Hasher: password.NewHasher(password.TestParams), Limiter: ratelimit.NewMemory(nil), Keys: keys, Log: slog.New(slog.DiscardHandler),
		WebAuthn: rp})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = built.API
	hs.Start()
	s := &oaServer{Server: hs, db: db, svc: built.Core}
	s.route(t)
	return s
}

// startOpenAPIMailServer is the harness's server (see startLatch: real mail
// to s.latch.smtp, a clock the test moves, no rate limits unless an option
// sets them) on a fresh SQLite database, for the flows that need the codes
// and links the server mails.
func startOpenAPIMailServer(t *testing.T, opts ...serverOption) *oaServer {
	t.Helper()
	ls := startLatch(t, testdb.OpenSQLite(t), opts...)
	s := &oaServer{Server: ls.Server, db: ls.db, latch: ls}
	s.route(t)
	return s
}

// route loads the document with the test server as its server.
func (s *oaServer) route(t *testing.T) {
	t.Helper()
	s.doc = loadOpenAPIDoc(t)
	s.doc.Servers = openapi3.Servers{{URL: s.URL}}
	router, err := gorillamux.NewRouter(s.doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	s.router = router
}

// code and key wait for the next mail to addr and return its code or the
// key of its link.
func (s *oaServer) code(t *testing.T, addr string) string {
	t.Helper()
	return codeIn(t, s.latch.mailTo(t, addr))
}

func (s *oaServer) key(t *testing.T, addr string) string {
	t.Helper()
	return keyIn(t, s.latch.mailTo(t, addr))
}

// oaNoMail drops the mails the server sends; these tests only look at HTTP.
type oaNoMail struct{}

func (oaNoMail) Send(context.Context, string, string, map[string]any) error { return nil }

// oaClient speaks to one tree of the API ("browser" or "app") the way that
// client does, or to the server root (kind "") for the ops endpoints.
type oaClient struct {
	t     *testing.T
	s     *oaServer
	kind  string
	jar   *cookiejar.Jar
	token string
}

func (s *oaServer) client(t *testing.T, kind string) *oaClient {
	jar, _ := cookiejar.New(nil)
	return &oaClient{t: t, s: s, kind: kind, jar: jar}
}

// oaResp is a response, decoded.
type oaResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r *oaResp) data() map[string]any { m, _ := r.body["data"].(map[string]any); return m }
func (r *oaResp) meta() map[string]any { m, _ := r.body["meta"].(map[string]any); return m }
func (r *oaResp) list() []any          { l, _ := r.body["data"].([]any); return l }

// codes lists the errors as "param:code", or "code" for form-level errors.
func (r *oaResp) codes() []string {
	var out []string
	list, _ := r.body["errors"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		code, _ := m["code"].(string)
		if p, ok := m["param"].(string); ok {
			code = p + ":" + code
		}
		out = append(out, code)
	}
	return out
}

// flowStates lists the flows as "id", "id*" (is_pending true) or "id-"
// (is_pending false), comma-separated.
func (r *oaResp) flowStates() string {
	var out []string
	list, _ := r.data()["flows"].([]any)
	for _, f := range list {
		m, _ := f.(map[string]any)
		id, _ := m["id"].(string)
		switch m["is_pending"] {
		case true:
			id += "*"
		case false:
			id += "-"
		}
		out = append(out, id)
	}
	return strings.Join(out, ",")
}

func (r *oaResp) flows() []string {
	var out []string
	list, _ := r.data()["flows"].([]any)
	for _, f := range list {
		m, _ := f.(map[string]any)
		id, _ := m["id"].(string)
		out = append(out, id)
	}
	return out
}

// oaOpts changes one request.
type oaOpts struct {
	rawBody     *string
	contentType string
	headers     [][2]string
	noCookies   bool
	offDoc      bool   // the document must refuse this request
	unrouted    bool   // the document has no operation for it (404/405)
	mediaType   string // the response's Content-Type, if not application/json
}

type oaOpt func(*oaOpts)

// offDoc marks a request that breaks the document (missing credentials, a
// body of the wrong shape or type): the test fails unless the document
// refuses it too.
func oaOffDoc() oaOpt { return func(o *oaOpts) { o.offDoc = true } }

// unrouted marks a request for a path or method the server does not serve.
func oaUnrouted() oaOpt { return func(o *oaOpts) { o.unrouted = true } }

// raw sends body as is, with the given content type.
func oaRaw(contentType, body string) oaOpt {
	return func(o *oaOpts) { o.rawBody, o.contentType = &body, contentType }
}

// hdr sets a request header; an empty value removes it.
func oaHdr(name, value string) oaOpt {
	return func(o *oaOpts) { o.headers = append(o.headers, [2]string{name, value}) }
}

// noCookies sends the request without the client's cookies.
func oaNoCookies() oaOpt { return func(o *oaOpts) { o.noCookies = true } }

// bearer sends an access token in the Authorization header.
func oaBearer(token string) oaOpt { return oaHdr("Authorization", "Bearer "+token) }

// mediaType expects a response Content-Type other than application/json.
func oaMediaType(ct string) oaOpt { return func(o *oaOpts) { o.mediaType = ct } }

func (c *oaClient) cookie(name string) string {
	u, _ := url.Parse(c.s.URL)
	for _, k := range c.jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

func (c *oaClient) url(path string) string {
	if c.kind == "" || strings.HasPrefix(path, "/_allauth/") {
		return c.s.URL + path
	}
	return c.s.URL + "/_allauth/" + c.kind + "/v1" + path
}

// oaCheckCredentials is the document's security schemes as the test client
// understands them: an API key must be present where the scheme says, a
// bearer token in the Authorization header.
func oaCheckCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	s := in.SecurityScheme
	if s.Type == "http" {
		h := r.Header.Get("Authorization")
		if !strings.EqualFold(s.Scheme, "bearer") || len(h) < 8 || !strings.EqualFold(h[:7], "bearer ") {
			return fmt.Errorf("security scheme %s: no %s credentials", in.SecuritySchemeName, s.Scheme)
		}
		return nil
	}
	switch s.In {
	case "header":
		if r.Header.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	case "cookie":
		if k, err := r.Cookie(s.Name); err != nil || k.Value == "" {
			return fmt.Errorf("no %s cookie", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %s: unexpected location %q", in.SecuritySchemeName, s.In)
	}
	return nil
}

func oaValidationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus: true,
		AuthenticationFunc:    oaCheckCredentials,
	}
}

// do sends a request, validating it and its response against the document.
// body is encoded as JSON unless nil.
func (c *oaClient) do(method, path string, body any, opts ...oaOpt) *oaResp {
	c.t.Helper()
	var o oaOpts
	for _, f := range opts {
		f(&o)
	}
	var payload []byte
	hasBody := false
	switch {
	case o.rawBody != nil:
		payload, hasBody = []byte(*o.rawBody), true
	case body != nil:
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		payload, hasBody, o.contentType = b, true, "application/json"
	}
	build := func() *http.Request {
		var rd io.Reader
		if hasBody {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequest(method, c.url(path), rd)
		if err != nil {
			c.t.Fatal(err)
		}
		if o.contentType != "" {
			req.Header.Set("Content-Type", o.contentType)
		}
		switch c.kind {
		case "app":
			if c.token != "" {
				req.Header.Set("X-Session-Token", c.token)
			}
		case "browser":
			if method != http.MethodGet && method != http.MethodHead {
				req.Header.Set("X-CSRFToken", c.cookie("csrftoken"))
				req.Header.Set("Origin", c.s.URL)
			}
			if !o.noCookies {
				for _, k := range c.jar.Cookies(req.URL) {
					req.AddCookie(k)
				}
			}
		}
		for _, h := range o.headers {
			if h[1] == "" {
				req.Header.Del(h[0])
			} else {
				req.Header.Set(h[0], h[1])
			}
		}
		return req
	}
	what := method + " " + c.url(path)[len(c.s.URL):]

	// The request, against the document.
	vreq := build()
	var route *routers.Route
	var params map[string]string
	var err error
	if o.unrouted {
		if _, _, err := c.s.router.FindRoute(vreq); err == nil {
			c.t.Errorf("%s: the document has an operation for a request meant to be unrouted", what)
		}
		route = c.s.unroutedRoute(vreq)
	} else if route, params, err = c.s.router.FindRoute(vreq); err != nil {
		c.t.Fatalf("%s: not in the document: %v", what, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: oaValidationOptions()}
	if !o.unrouted {
		err := openapi3filter.ValidateRequest(context.Background(), in)
		switch {
		case err != nil && !o.offDoc:
			c.t.Errorf("%s: the document refuses a request meant to be valid: %v", what, err)
		case err == nil && o.offDoc:
			c.t.Errorf("%s: the document accepts a request meant to break it (body %s)", what, payload)
		}
	}

	// The request, to the server.
	sent := build()
	res, err := http.DefaultTransport.RoundTrip(sent)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	rawBody, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	r := &oaResp{status: res.StatusCode, header: res.Header, raw: string(rawBody)}

	// The response, against the document.
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: oaValidationOptions(),
	}
	out.SetBodyBytes(rawBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s: response %d does not match the document: %v\nbody: %s", what, res.StatusCode, err, rawBody)
	}
	if err := json.Unmarshal(rawBody, &r.body); err != nil {
		c.t.Fatalf("%s: response %d is not a JSON object: %q", what, res.StatusCode, rawBody)
	}
	wantCT := "application/json"
	if o.mediaType != "" {
		wantCT = o.mediaType
	}
	if ct := res.Header.Get("Content-Type"); ct != wantCT {
		c.t.Errorf("%s: Content-Type %q, want %q", what, ct, wantCT)
	}
	if st, ok := r.body["status"].(float64); ok && c.kind != "" && int(st) != res.StatusCode {
		c.t.Errorf("%s: body status %v, HTTP status %d", what, st, res.StatusCode)
	}

	// Keep the session as the client would.
	switch c.kind {
	case "browser":
		if _, err := sent.Cookie("csrftoken"); err != nil && !o.unrouted &&
			!slices.ContainsFunc(res.Cookies(), func(k *http.Cookie) bool { return k.Name == "csrftoken" && k.Value != "" }) {
			c.t.Errorf("%s: a browser request without a csrftoken cookie got none", what)
		}
		c.jar.SetCookies(sent.URL, res.Cookies())
	case "app":
		if len(res.Cookies()) > 0 {
			c.t.Errorf("%s: the app client got cookies: %v", what, res.Header.Values("Set-Cookie"))
		}
		if tok, ok := r.meta()["session_token"].(string); ok {
			c.token = tok
		}
		if res.StatusCode == http.StatusGone && vreq.Header.Get("X-Session-Token") == c.token {
			c.token = "" // the client's own token is gone
		}
	}
	return r
}

// unroutedRoute is a pseudo-operation whose only responses are the
// document's NotFound and MethodNotAllowed, to validate the answers to
// requests no operation covers.
func (s *oaServer) unroutedRoute(r *http.Request) *routers.Route {
	op := openapi3.NewOperation()
	op.Responses = openapi3.NewResponses(
		openapi3.WithStatus(http.StatusNotFound, s.doc.Components.Responses["NotFound"]),
		openapi3.WithStatus(http.StatusMethodNotAllowed, s.doc.Components.Responses["MethodNotAllowed"]),
	)
	return &routers.Route{Spec: s.doc, Path: r.URL.Path, PathItem: &openapi3.PathItem{}, Method: r.Method, Operation: op}
}

// want fails the test unless r has the status and, when given, exactly
// these error codes ("param:code", or "code" for form-level errors).
func oaWant(t *testing.T, r *oaResp, status int, codes ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if len(codes) > 0 && !slices.Equal(r.codes(), codes) {
		t.Fatalf("errors %v, want %v: %s", r.codes(), codes, r.raw)
	}
}

// currentSessionID returns the id of the caller's session from a sessions list.
func oaCurrentSession(t *testing.T, r *oaResp) (current float64, others []float64) {
	t.Helper()
	found := false
	for _, x := range r.list() {
		m := x.(map[string]any)
		if m["is_current"] == true {
			current, found = m["id"].(float64), true
		} else {
			others = append(others, m["id"].(float64))
		}
	}
	if !found {
		t.Fatalf("no current session in %s", r.raw)
	}
	return current, others
}

const (
	oaPassword  = "violet-Harbor-92"
	oaPassword2 = "amber-Lantern-57"
)

// oaHuge is a valid login body larger than the default 64 KiB limit.
var oaHuge = map[string]any{"email": "big@example.com", "password": strings.Repeat("p", 70<<10)}

func TestOpenAPIAppClient(t *testing.T) {
	s := startOpenAPIServer(t, nil)
	a := s.client(t, "app")

	r := a.do("GET", "/config", nil)
	oaWant(t, r, 200)
	if m := r.data()["account"].(map[string]any); m["authentication_method"] != "username_email" || m["is_open_for_signup"] != true {
		t.Errorf("config: %s", r.raw)
	}
	r = a.do("GET", "/auth/session", nil)
	oaWant(t, r, 401)
	if got := strings.Join(r.flows(), ","); got != "login,signup" {
		t.Errorf("flows %s", got)
	}
	oaWant(t, a.do("GET", "/auth/sessions", nil, oaOffDoc()), 401)
	oaWant(t, a.do("POST", "/account/password/change", map[string]any{"current_password": "x", "new_password": "y"}, oaOffDoc()), 401)
	oaWant(t, a.do("DELETE", "/auth/sessions", map[string]any{"sessions": []int{1}}, oaOffDoc()), 401)

	// Signup.
	oaWant(t, a.do("POST", "/auth/signup", map[string]any{"email": "not-an-address", "username": "has space", "password": "12345"}),
		400, "username:invalid", "email:invalid", "password:password_too_short", "password:password_too_common", "password:password_entirely_numeric")
	oaWant(t, a.do("POST", "/auth/signup", map[string]any{"email": "ann@example.com", "username": strings.Repeat("u", 151), "password": oaPassword}, oaOffDoc()),
		400, "username:max_length")
	oaWant(t, a.do("POST", "/auth/signup", map[string]any{"username": "ann"}, oaOffDoc()), 400, "email:required", "password:required")
	r = a.do("POST", "/auth/signup", map[string]any{"email": "Ann@Example.com", "username": "ann", "password": oaPassword})
	oaWant(t, r, 200)
	if a.token == "" {
		t.Fatal("signup gave no session_token")
	}
	user := r.data()["user"].(map[string]any)
	if user["email"] != "ann@example.com" || user["username"] != "ann" || user["display"] != "ann" {
		t.Errorf("user %v", user)
	}
	r = a.do("GET", "/auth/session", nil)
	oaWant(t, r, 200)
	if _, ok := r.meta()["session_token"]; ok {
		t.Errorf("GET session issued a token: %s", r.raw)
	}
	oaWant(t, a.do("POST", "/auth/signup", map[string]any{"email": "ann@example.com", "username": "ANN", "password": oaPassword}),
		400, "username:username_taken", "email:email_taken")
	oaWant(t, a.do("POST", "/auth/signup", map[string]any{"email": "ann2@example.com", "password": oaPassword}), 409)

	// Login.
	b := s.client(t, "app")
	oaWant(t, b.do("POST", "/auth/login", map[string]any{"email": "ann@example.com", "password": "wrong"}), 400, "password:email_password_mismatch")
	oaWant(t, b.do("POST", "/auth/login", map[string]any{"username": "nobody", "password": "wrong"}), 400, "password:username_password_mismatch")
	oaWant(t, b.do("POST", "/auth/login", map[string]any{"email": "ann@example.com", "username": "ann", "password": oaPassword}, oaOffDoc()), 400, "invalid_login")
	oaWant(t, b.do("POST", "/auth/login", map[string]any{"password": oaPassword}, oaOffDoc()), 400, "invalid_login")
	oaWant(t, b.do("POST", "/auth/login", map[string]any{"email": "ann@example.com"}, oaOffDoc()), 400, "password:required")
	oaWant(t, b.do("POST", "/auth/login", map[string]any{"email": 7, "password": oaPassword}, oaOffDoc()), 400, "email:invalid")
	oaWant(t, b.do("POST", "/auth/login", nil, oaRaw("application/json", ""), oaOffDoc()), 400, "password:required")
	oaWant(t, b.do("POST", "/auth/login", nil, oaRaw("application/json", `{"email":`), oaOffDoc()), 400, "invalid")
	oaWant(t, b.do("POST", "/auth/login", nil, oaRaw("application/json", `["x"]`), oaOffDoc()), 400, "invalid")
	oaWant(t, b.do("POST", "/auth/login", nil, oaRaw("text/plain", `{"email":"ann@example.com","password":"x"}`), oaOffDoc()), 415, "unsupported_media_type")
	oaWant(t, b.do("POST", "/auth/login", oaHuge), 413, "too_large")
	r = b.do("POST", "/auth/login", map[string]any{"username": "ann", "password": oaPassword})
	oaWant(t, r, 200)
	if b.token == "" || b.token == a.token {
		t.Fatalf("login token %q (signup's %q)", b.token, a.token)
	}
	if m := r.data()["methods"].([]any)[0].(map[string]any); m["username"] != "ann" || m["method"] != "password" {
		t.Errorf("methods %s", r.raw)
	}
	oaWant(t, a.do("POST", "/auth/login", map[string]any{"email": "ann@example.com", "password": oaPassword}), 409)

	// Sessions and password change.
	r = a.do("GET", "/auth/sessions", nil)
	oaWant(t, r, 200)
	if len(r.list()) != 2 {
		t.Fatalf("sessions: %s", r.raw)
	}
	oaWant(t, a.do("POST", "/account/password/change", map[string]any{"current_password": "wrong", "new_password": "short"}),
		400, "current_password:enter_current_password", "new_password:password_too_short")
	oaWant(t, a.do("POST", "/account/password/change", map[string]any{"new_password": oaPassword2}), 400, "current_password:required")
	oaWant(t, a.do("POST", "/account/password/change", map[string]any{"current_password": oaPassword}, oaOffDoc()), 400, "new_password:required")
	oaWant(t, a.do("POST", "/account/password/change", nil, oaRaw("application/x-www-form-urlencoded", "new_password=x"), oaOffDoc()), 415, "unsupported_media_type")
	oaWant(t, a.do("POST", "/account/password/change", map[string]any{"current_password": oaPassword, "new_password": strings.Repeat("n", 70<<10)}), 413, "too_large")
	old := a.token
	r = a.do("POST", "/account/password/change", map[string]any{"current_password": oaPassword, "new_password": oaPassword2})
	oaWant(t, r, 200)
	if a.token == old || r.meta()["session_token"] == nil {
		t.Fatalf("password change kept the token: %s", r.raw)
	}
	oaWant(t, a.do("GET", "/auth/session", nil, oaHdr("X-Session-Token", old)), 410)
	oaWant(t, b.do("GET", "/auth/session", nil), 410) // other sessions end
	if b.token != "" {
		t.Fatal("the client kept a gone token")
	}
	oaWant(t, b.do("GET", "/config", nil, oaHdr("X-Session-Token", old)), 410)

	// Ending sessions.
	c := s.client(t, "app")
	oaWant(t, c.do("POST", "/auth/login", map[string]any{"email": "ann@example.com", "password": oaPassword2}), 200)
	r = a.do("GET", "/auth/sessions", nil)
	oaWant(t, r, 200)
	current, others := oaCurrentSession(t, r)
	if len(others) != 1 {
		t.Fatalf("sessions: %s", r.raw)
	}
	oaWant(t, a.do("DELETE", "/auth/sessions", map[string]any{"sessions": "all"}, oaOffDoc()), 400, "sessions:invalid_list")
	oaWant(t, a.do("DELETE", "/auth/sessions", map[string]any{"sessions": []string{"abc"}}, oaOffDoc()), 400, "sessions:invalid_pk_value")
	oaWant(t, a.do("DELETE", "/auth/sessions", map[string]any{"sessions": []int{}}, oaOffDoc()), 400, "sessions:required")
	oaWant(t, a.do("DELETE", "/auth/sessions", map[string]any{}, oaOffDoc()), 400, "sessions:required")
	oaWant(t, a.do("DELETE", "/auth/sessions", map[string]any{"sessions": []int{999999}}), 400, "sessions:invalid_choice")
	oaWant(t, a.do("DELETE", "/auth/sessions", nil, oaRaw("text/plain", "1"), oaOffDoc()), 415, "unsupported_media_type")
	r = a.do("DELETE", "/auth/sessions", map[string]any{"sessions": others})
	oaWant(t, r, 200)
	if len(r.list()) != 1 || r.list()[0].(map[string]any)["id"] != current {
		t.Fatalf("remaining sessions: %s", r.raw)
	}
	oaWant(t, c.do("GET", "/auth/sessions", nil), 410)

	d := s.client(t, "app")
	oaWant(t, d.do("POST", "/auth/login", map[string]any{"email": "ann@example.com", "password": oaPassword2}), 200)
	own, _ := oaCurrentSession(t, d.do("GET", "/auth/sessions", nil))
	r = d.do("DELETE", "/auth/sessions", map[string]any{"sessions": []float64{own}})
	oaWant(t, r, 401)
	if r.meta()["session_token"] != nil {
		t.Errorf("ending the own session issued a token: %s", r.raw)
	}

	// Logout.
	gone := a.token
	r = a.do("DELETE", "/auth/session", nil)
	oaWant(t, r, 401)
	if r.meta()["session_token"] != nil || r.meta()["is_authenticated"] != false {
		t.Errorf("logout: %s", r.raw)
	}
	r = a.do("GET", "/auth/session", nil)
	oaWant(t, r, 410)
	if got := strings.Join(r.flows(), ","); got != "login,signup" {
		t.Errorf("410 flows %s", got)
	}
	oaWant(t, a.do("DELETE", "/auth/session", nil), 401) // logout without a session
	oaWant(t, a.do("DELETE", "/auth/session", nil, oaHdr("X-Session-Token", gone)), 410)
	oaWant(t, a.do("POST", "/auth/login", map[string]any{"email": "ann@example.com", "password": oaPassword2}, oaHdr("X-Session-Token", gone)), 410)

	// Outside the document.
	oaWant(t, a.do("GET", "/auth/nothing-here", nil, oaUnrouted()), 404, "not_found")
	r = a.do("PUT", "/auth/login", map[string]any{}, oaUnrouted())
	oaWant(t, r, 405, "method_not_allowed")
	if r.header.Get("Allow") != "POST, OPTIONS" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

func TestOpenAPIBrowserClient(t *testing.T) {
	s := startOpenAPIServer(t, nil)
	x := s.client(t, "browser")

	oaWant(t, x.do("GET", "/config", nil), 200)
	if x.cookie("csrftoken") == "" {
		t.Fatal("GET /config set no csrftoken cookie")
	}
	oaWant(t, x.do("GET", "/auth/session", nil), 401)
	oaWant(t, x.do("GET", "/auth/sessions", nil, oaOffDoc()), 401)

	// CSRF refusals.
	login := map[string]any{"email": "bea@example.com", "password": oaPassword}
	oaWant(t, x.do("POST", "/auth/login", login, oaHdr("X-CSRFToken", ""), oaOffDoc()), 403, "csrf_header_missing")
	oaWant(t, x.do("POST", "/auth/login", login, oaNoCookies(), oaOffDoc()), 403, "csrf_cookie_missing")
	oaWant(t, x.do("POST", "/auth/login", login, oaHdr("X-CSRFToken", strings.Repeat("a", 32))), 403, "csrf_token_mismatch")
	oaWant(t, x.do("POST", "/auth/login", login, oaHdr("Origin", "https://evil.example")), 403, "csrf_origin")
	oaWant(t, x.do("POST", "/auth/signup", login, oaHdr("Origin", "https://evil.example")), 403, "csrf_origin")
	oaWant(t, x.do("DELETE", "/auth/session", nil, oaHdr("X-CSRFToken", ""), oaOffDoc()), 403, "csrf_header_missing")

	// Signup and login.
	before := x.cookie("csrftoken")
	oaWant(t, x.do("POST", "/auth/signup", map[string]any{"email": "bea@example.com", "password": "bea@example.com"}),
		400, "password:password_too_similar")
	r := x.do("POST", "/auth/signup", map[string]any{"email": "bea@example.com", "password": oaPassword})
	oaWant(t, r, 200)
	if x.cookie("sessionid") == "" || x.cookie("csrftoken") == before {
		t.Fatal("signup did not set the session cookie and a new CSRF token")
	}
	if u := r.data()["user"].(map[string]any); u["display"] != "bea@example.com" || u["username"] != nil {
		t.Errorf("user %s", r.raw)
	}
	oaWant(t, x.do("GET", "/auth/session", nil), 200)
	oaWant(t, x.do("POST", "/auth/signup", map[string]any{"email": "bea2@example.com", "password": oaPassword}), 409)
	oaWant(t, x.do("POST", "/auth/signup", nil, oaRaw("text/plain", "hello"), oaOffDoc()), 415, "unsupported_media_type")
	oaWant(t, x.do("POST", "/auth/login", map[string]any{"email": "bea@example.com", "password": "wrong"}), 400, "password:email_password_mismatch")
	oaWant(t, x.do("POST", "/auth/login", login), 409)

	y := s.client(t, "browser")
	oaWant(t, y.do("GET", "/config", nil), 200)
	oaWant(t, y.do("POST", "/auth/login", login), 200)

	// Sessions and password change.
	r = x.do("GET", "/auth/sessions", nil)
	oaWant(t, r, 200)
	if len(r.list()) != 2 {
		t.Fatalf("sessions: %s", r.raw)
	}
	oldCookie, oldCSRF := x.cookie("sessionid"), x.cookie("csrftoken")
	oaWant(t, x.do("POST", "/account/password/change", map[string]any{"current_password": "nope", "new_password": "password"}),
		400, "current_password:enter_current_password", "new_password:password_too_common")
	r = x.do("POST", "/account/password/change", map[string]any{"current_password": oaPassword, "new_password": oaPassword2})
	oaWant(t, r, 200)
	if x.cookie("sessionid") == oldCookie || x.cookie("csrftoken") == oldCSRF {
		t.Fatal("password change did not rotate the cookies")
	}
	oaWant(t, y.do("GET", "/auth/session", nil), 401) // ended; the browser never gets 410
	if y.cookie("sessionid") != "" {
		t.Error("the ended session's cookie was not cleared")
	}
	oaWant(t, y.do("POST", "/auth/login", map[string]any{"email": "bea@example.com", "password": oaPassword2}), 200)

	// Ending sessions.
	r = x.do("GET", "/auth/sessions", nil)
	oaWant(t, r, 200)
	current, others := oaCurrentSession(t, r)
	if len(others) != 1 {
		t.Fatalf("sessions: %s", r.raw)
	}
	oaWant(t, x.do("DELETE", "/auth/sessions", map[string]any{"sessions": map[string]any{"a": 1}}, oaOffDoc()), 400, "sessions:invalid_list")
	oaWant(t, x.do("DELETE", "/auth/sessions", map[string]any{"sessions": others}, oaHdr("X-CSRFToken", ""), oaOffDoc()), 403, "csrf_header_missing")
	oaWant(t, x.do("DELETE", "/auth/sessions", map[string]any{"sessions": []any{others[0], strings.Repeat("9", 70<<10)}}, oaOffDoc()), 413, "too_large")
	r = x.do("DELETE", "/auth/sessions", map[string]any{"sessions": others})
	oaWant(t, r, 200)
	if len(r.list()) != 1 {
		t.Fatalf("remaining: %s", r.raw)
	}
	oaWant(t, y.do("GET", "/auth/session", nil), 401)
	oaWant(t, x.do("POST", "/account/password/change", map[string]any{"current_password": oaPassword2, "new_password": oaPassword}, oaHdr("Origin", "http://evil.example")), 403, "csrf_origin")
	oaWant(t, x.do("DELETE", "/auth/sessions", map[string]any{"sessions": []float64{current}}), 401)
	if x.cookie("sessionid") != "" {
		t.Error("ending the own session left the cookie")
	}

	// Logout.
	oaWant(t, x.do("POST", "/auth/login", map[string]any{"email": "bea@example.com", "password": oaPassword2}), 200)
	oaWant(t, x.do("DELETE", "/auth/session", nil), 401)
	if x.cookie("sessionid") != "" {
		t.Error("logout left the session cookie")
	}
	oaWant(t, x.do("DELETE", "/auth/session", nil), 401)
	oaWant(t, x.do("GET", "/auth/session", nil, oaHdr("Cookie", "sessionid=unknown")), 401)

	// Outside the document.
	oaWant(t, x.do("GET", "/_allauth/browser/v2/config", nil, oaUnrouted()), 404, "not_found")
	oaWant(t, x.do("GET", "/nothing", nil, oaUnrouted()), 404, "not_found")
	r = x.do("PATCH", "/auth/sessions", nil, oaUnrouted())
	oaWant(t, r, 405, "method_not_allowed")
	if r.header.Get("Allow") != "GET, DELETE, OPTIONS" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
}

// TestOpenAPIConfigVariants covers answers that depend on the configuration:
// signup closed, username as the only login method.
func TestOpenAPIConfigVariants(t *testing.T) {
	s := startOpenAPIServer(t, func(c *account.Config) {
		c.SignupClosed = true
		c.LoginMethods = []string{"username"}
	})
	for _, kind := range []string{"browser", "app"} {
		t.Run(kind, func(t *testing.T) {
			c := s.client(t, kind)
			r := c.do("GET", "/config", nil)
			oaWant(t, r, 200)
			m := r.data()["account"].(map[string]any)
			if m["is_open_for_signup"] != false || m["authentication_method"] != "username" {
				t.Errorf("config %s", r.raw)
			}
			r = c.do("GET", "/auth/session", nil)
			oaWant(t, r, 401)
			if got := strings.Join(r.flows(), ","); got != "login" {
				t.Errorf("flows %s", got)
			}
			oaWant(t, c.do("POST", "/auth/signup", map[string]any{"email": "cy@example.com", "username": "cy", "password": oaPassword}), 403)
			oaWant(t, c.do("POST", "/auth/signup", map[string]any{"email": "cy@example.com", "password": oaPassword}), 400, "username:required")
			// email is not a login method here: it is ignored.
			oaWant(t, c.do("POST", "/auth/login", map[string]any{"email": "cy@example.com", "password": oaPassword}), 400, "username:required")
		})
	}
}

// TestOpenAPILimitsAndFailures covers rate limits, the failed-login budget,
// the ops endpoints and a database that stops answering.
func TestOpenAPILimitsAndFailures(t *testing.T) {
	s := startOpenAPIServer(t, nil)
	ops := s.client(t, "")
	oaWant(t, ops.do("GET", "/healthz", nil), 200)
	oaWant(t, ops.do("GET", "/readyz", nil), 200)
	// A browser session, for the token endpoints once the database is gone.
	fb := s.client(t, "browser").start()
	oaWant(t, fb.do("POST", "/auth/signup", map[string]any{"email": "fay@example.com", "password": oaPassword}), 200)

	u := s.client(t, "app")
	oaWant(t, u.do("POST", "/auth/signup", map[string]any{"email": "dan@example.com", "password": oaPassword}), 200)
	change := map[string]any{"current_password": "wrong", "new_password": oaPassword2}
	for range 5 {
		oaWant(t, u.do("POST", "/account/password/change", change), 400, "current_password:enter_current_password")
	}
	r := u.do("POST", "/account/password/change", change)
	oaWant(t, r, 429, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	v := s.client(t, "browser")
	oaWant(t, v.do("GET", "/config", nil), 200)
	bad := map[string]any{"email": "dan@example.com", "password": "wrong"}
	for range 5 {
		oaWant(t, v.do("POST", "/auth/login", bad), 400, "password:email_password_mismatch")
	}
	oaWant(t, v.do("POST", "/auth/login", bad), 400, "too_many_login_attempts")

	w := s.client(t, "browser")
	oaWant(t, w.do("GET", "/config", nil), 200)
	// Even the right password is refused while the budget is spent.
	oaWant(t, w.do("POST", "/auth/login", map[string]any{"email": "dan@example.com", "password": oaPassword}), 400, "too_many_login_attempts")

	// The database goes away.
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	oaWant(t, ops.do("GET", "/readyz", nil), 503)
	oaWant(t, ops.do("GET", "/healthz", nil), 200)
	oaWant(t, u.do("GET", "/auth/session", nil), 503, "service_unavailable")
	oaWant(t, u.do("GET", "/config", nil), 503, "service_unavailable")
	oaWant(t, fb.do("POST", "/tokens/access", nil), 503, "service_unavailable")
	oaWant(t, s.verify(t, oaHdr("Cookie", "sessionid="+fb.cookie("sessionid"))), 503, "service_unavailable")
	oaWant(t, s.verify(t, oaHdr("X-Session-Token", "x")), 503, "service_unavailable")
	oaWant(t, s.client(t, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": "x"}), 503, "service_unavailable")
	s.jwks(t) // the keys are in memory
}

// oaKinds are the two client trees of the headless API.
var oaKinds = []string{"browser", "app"}

// start gives a browser client its csrftoken cookie, as a frontend's first
// request does; an app client needs nothing.
func (c *oaClient) start() *oaClient {
	c.t.Helper()
	if c.kind == "browser" {
		oaWant(c.t, c.do("GET", "/config", nil), 200)
	}
	return c
}

// oaEmails returns an address list as "email[ v][ p]" entries (v:
// verified, p: primary), comma-separated.
func oaEmails(t *testing.T, r *oaResp) string {
	t.Helper()
	var out []string
	for _, x := range r.list() {
		m := x.(map[string]any)
		e := m["email"].(string)
		if m["verified"] == true {
			e += " v"
		}
		if m["primary"] == true {
			e += " p"
		}
		out = append(out, e)
	}
	return strings.Join(out, ", ")
}

const (
	oaVerifyKey = "X-Email-Verification-Key"
	oaResetKey  = "X-Password-Reset-Key"
)

// TestOpenAPIEmailByLink covers optional verification by link and the
// address endpoints.
func TestOpenAPIEmailByLink(t *testing.T) {
	s := startOpenAPIMailServer(t, func(c *account.Config, _ *httpapi.Config) { c.MaxEmailAddresses = 2 })
	o := s.client(t, "app")
	oaWant(t, o.do("POST", "/auth/signup", map[string]any{"email": "owner@example.com", "password": oaPassword}), 200)
	s.latch.mailTo(t, "owner@example.com")

	for _, kind := range oaKinds {
		t.Run(kind, func(t *testing.T) {
			c := s.client(t, kind).start()
			addr, work := kind+"@example.com", kind+".work@example.com"
			oaWant(t, c.do("GET", "/account/email", nil, oaOffDoc()), 401)
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": work}, oaOffDoc()), 409)
			oaWant(t, c.do("POST", "/auth/email/verify/resend", nil), 409)

			// Signup mails a link; its key is checked, then used.
			oaWant(t, c.do("POST", "/auth/signup", map[string]any{"email": addr, "password": oaPassword}), 200)
			key := s.key(t, addr)
			oaWant(t, c.do("GET", "/auth/email/verify", nil, oaOffDoc()), 400, "key:required")
			oaWant(t, c.do("GET", "/auth/email/verify", nil, oaHdr(oaVerifyKey, "nope")), 400, "key:invalid_or_expired_key")
			r := c.do("GET", "/auth/email/verify", nil, oaHdr(oaVerifyKey, key))
			oaWant(t, r, 200)
			if r.data()["email"] != addr || r.meta()["is_authenticating"] != false || r.data()["user"].(map[string]any)["email"] != addr {
				t.Errorf("verification info: %s", r.raw)
			}
			oaWant(t, c.do("POST", "/auth/email/verify", map[string]any{}, oaOffDoc()), 400, "key:required")
			oaWant(t, c.do("POST", "/auth/email/verify", map[string]any{"key": 7}, oaOffDoc()), 400, "key:invalid")
			oaWant(t, c.do("POST", "/auth/email/verify", nil, oaRaw("text/plain", key), oaOffDoc()), 415, "unsupported_media_type")
			r = c.do("POST", "/auth/email/verify", map[string]any{"key": key})
			oaWant(t, r, 200) // logged in, and stays so
			if r.meta()["session_token"] != nil {
				t.Errorf("verifying while logged in issued a token: %s", r.raw)
			}
			oaWant(t, c.do("POST", "/auth/email/verify", map[string]any{"key": key}), 400, "key:invalid_or_expired_key")
			oaWant(t, c.do("POST", "/auth/email/verify/resend", nil), 409) // link mode

			// Adding addresses.
			r = c.do("GET", "/account/email", nil)
			oaWant(t, r, 200)
			if got := oaEmails(t, r); got != addr+" v p" {
				t.Errorf("addresses: %s", got)
			}
			oaWant(t, c.do("POST", "/account/email", map[string]any{}, oaOffDoc()), 400, "email:required")
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": "nope"}), 400, "email:invalid")
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": strings.ToUpper(addr)}), 400, "email:duplicate_email")
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": "owner@example.com"}), 200) // as a free address
			oaWant(t, c.do("DELETE", "/account/email", map[string]any{"email": "owner@example.com"}), 200)
			oaWant(t, c.do("POST", "/account/email", nil, oaRaw("text/plain", work), oaOffDoc()), 415, "unsupported_media_type")
			r = c.do("POST", "/account/email", map[string]any{"email": work})
			oaWant(t, r, 200)
			if got := oaEmails(t, r); got != addr+" v p, "+work {
				t.Errorf("addresses after adding: %s", got)
			}
			workKey := s.key(t, work)
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": "third@example.com"}), 400, "email:max_email_addresses")

			// Resending the verification.
			oaWant(t, c.do("PUT", "/account/email", map[string]any{"email": addr}), 403) // verified: no mail
			oaWant(t, c.do("PUT", "/account/email", map[string]any{"email": "stranger@example.com"}), 400, "email:unknown_email")
			oaWant(t, c.do("PUT", "/account/email", map[string]any{"email": work}), 200)
			s.latch.mailTo(t, work)

			// Making it primary, which takes a verified address.
			oaWant(t, c.do("PATCH", "/account/email", map[string]any{"email": work, "primary": true}), 400, "email:unverified_primary_email")
			oaWant(t, c.do("PATCH", "/account/email", map[string]any{"email": work}, oaOffDoc()), 400, "primary:required")
			oaWant(t, c.do("PATCH", "/account/email", map[string]any{"email": work, "primary": "yes"}, oaOffDoc()), 400, "primary:invalid")
			oaWant(t, c.do("PATCH", "/account/email", map[string]any{"email": "stranger@example.com", "primary": true}), 400, "email:unknown_email")
			// Anyone with the link can verify: an anonymous caller gets a
			// 401 that is not a failure.
			a := s.client(t, kind)
			r = a.do("GET", "/auth/email/verify", nil, oaHdr(oaVerifyKey, workKey))
			oaWant(t, r, 200)
			if r.data()["email"] != work || r.data()["user"].(map[string]any)["email"] != addr {
				t.Errorf("verification info: %s", r.raw)
			}
			r = a.do("POST", "/auth/email/verify", map[string]any{"key": workKey})
			oaWant(t, r, 401)
			if got := r.flowStates(); got != "login,signup" || r.meta()["session_token"] != nil {
				t.Errorf("anonymous verification: %s", r.raw)
			}
			r = c.do("PATCH", "/account/email", map[string]any{"email": work, "primary": true})
			oaWant(t, r, 200)
			if got := oaEmails(t, r); got != work+" v p, "+addr+" v" {
				t.Errorf("addresses after make-primary: %s", got)
			}
			if u := c.do("GET", "/auth/session", nil).data()["user"].(map[string]any); u["email"] != work {
				t.Errorf("session user: %v", u)
			}

			// Removing.
			oaWant(t, c.do("DELETE", "/account/email", map[string]any{"email": work}), 400, "email:cannot_remove_primary_email")
			oaWant(t, c.do("DELETE", "/account/email", map[string]any{"email": "stranger@example.com"}), 400, "email:unknown_email")
			oaWant(t, c.do("DELETE", "/account/email", map[string]any{"email": 1}, oaOffDoc()), 400, "email:invalid")
			if kind == "browser" {
				oaWant(t, c.do("DELETE", "/account/email", map[string]any{"email": addr}, oaHdr("X-CSRFToken", ""), oaOffDoc()), 403, "csrf_header_missing")
				oaWant(t, c.do("PUT", "/account/email", map[string]any{"email": addr}, oaHdr("Origin", "https://evil.example")), 403, "csrf_origin")
			}
			r = c.do("DELETE", "/account/email", map[string]any{"email": addr})
			oaWant(t, r, 200)
			if got := oaEmails(t, r); got != work+" v p" {
				t.Errorf("addresses after removing: %s", got)
			}
			oaWant(t, c.do("DELETE", "/auth/session", nil), 401)
			c.token = "" // logged out: the app drops its token
			oaWant(t, c.do("DELETE", "/account/email", map[string]any{"email": work}, oaOffDoc()), 401)
		})
	}
}

// TestOpenAPIMandatoryByCode covers mandatory verification by code: signup
// and login wait for the address (401, verify_email pending), the code
// finishes them; and addresses added and verified by code.
func TestOpenAPIMandatoryByCode(t *testing.T) {
	s := startOpenAPIMailServer(t, mandatory(true))
	for _, kind := range oaKinds {
		t.Run(kind, func(t *testing.T) {
			c := s.client(t, kind).start()
			addr := "m." + kind + "@example.com"
			r := c.do("POST", "/auth/signup", map[string]any{"email": addr, "password": oaPassword})
			oaWant(t, r, 401)
			if got := r.flowStates(); got != "login,signup,verify_email*" {
				t.Errorf("flows %s", got)
			}
			if c.token == "" && c.cookie("sessionid") == "" {
				t.Fatal("the pending signup gave the client no session")
			}
			pending := c.token
			first := s.code(t, addr)
			r = c.do("GET", "/auth/session", nil)
			oaWant(t, r, 401)
			if got := r.flowStates(); got != "login,signup,verify_email*" {
				t.Errorf("flows %s", got)
			}
			oaWant(t, c.do("GET", "/account/email", nil), 401)
			oaWant(t, c.do("GET", "/auth/email/verify", nil, oaHdr(oaVerifyKey, "BBBB-BBBB")), 400, "key:incorrect_code")
			r = c.do("GET", "/auth/email/verify", nil, oaHdr(oaVerifyKey, first))
			oaWant(t, r, 200)
			if r.data()["email"] != addr || r.meta()["is_authenticating"] != true {
				t.Errorf("verification info: %s", r.raw)
			}
			oaWant(t, c.do("POST", "/auth/email/verify/resend", nil), 200)
			code := s.code(t, addr)
			oaWant(t, c.do("POST", "/auth/email/verify", map[string]any{"key": "ZZZZ-ZZZZ"}), 400, "key:incorrect_code")
			r = c.do("POST", "/auth/email/verify", map[string]any{"key": code})
			oaWant(t, r, 200)
			if kind == "app" && (c.token == "" || c.token == pending) {
				t.Errorf("finishing the login gave no new token: %s", r.raw)
			}
			if m := r.data()["methods"].([]any); len(m) != 1 || m[0].(map[string]any)["method"] != "password" {
				t.Errorf("methods %s", r.raw)
			}
			oaWant(t, c.do("POST", "/auth/email/verify/resend", nil), 409) // nothing in progress
			other := s.client(t, kind).start()
			oaWant(t, other.do("GET", "/auth/email/verify", nil, oaHdr(oaVerifyKey, code)), 409)
			oaWant(t, other.do("POST", "/auth/email/verify", map[string]any{"key": code}), 409)

			// A login with an unverified address waits the same way.
			late := "late." + kind + "@example.com"
			oaWant(t, s.client(t, kind).start().do("POST", "/auth/signup", map[string]any{"email": late, "password": oaPassword}), 401)
			s.latch.mailTo(t, late)
			l := s.client(t, kind).start()
			r = l.do("POST", "/auth/login", map[string]any{"email": late, "password": oaPassword})
			oaWant(t, r, 401)
			if got := r.flowStates(); got != "login,signup,verify_email*" {
				t.Errorf("flows %s", got)
			}
			r = l.do("POST", "/auth/email/verify", map[string]any{"key": s.code(t, late)})
			oaWant(t, r, 200)
			if r.data()["user"].(map[string]any)["email"] != late {
				t.Errorf("login after verification: %s", r.raw)
			}

			// An address added by code is listed, unverified, while being
			// verified; it cannot become primary meanwhile.
			extra := "extra." + kind + "@example.com"
			r = c.do("POST", "/account/email", map[string]any{"email": extra})
			oaWant(t, r, 200)
			if got := oaEmails(t, r); got != addr+" v p, "+extra {
				t.Errorf("addresses: %s", got)
			}
			s.latch.mailTo(t, extra)
			oaWant(t, c.do("PATCH", "/account/email", map[string]any{"email": extra, "primary": true}), 400, "email:unverified_primary_email")
			r = c.do("DELETE", "/account/email", map[string]any{"email": extra}) // abandons it
			oaWant(t, r, 200)
			if got := oaEmails(t, r); got != addr+" v p" {
				t.Errorf("addresses after abandoning: %s", got)
			}
			// Another account takes the address while it is being verified.
			taken := "taken." + kind + "@example.com"
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": taken}), 200)
			code = s.code(t, taken)
			oaWant(t, s.client(t, kind).start().do("POST", "/auth/signup", map[string]any{"email": taken, "password": oaPassword}), 401)
			s.latch.mailTo(t, taken)
			oaWant(t, c.do("POST", "/auth/email/verify", map[string]any{"key": code}), 400, "key:email_taken")
		})
	}
}

// TestOpenAPIPasswordResetByLink covers the reset by mailed link.
func TestOpenAPIPasswordResetByLink(t *testing.T) {
	s := startOpenAPIMailServer(t)
	for _, kind := range oaKinds {
		t.Run(kind, func(t *testing.T) {
			addr := "link." + kind + "@example.com"
			u := s.client(t, "app")
			oaWant(t, u.do("POST", "/auth/signup", map[string]any{"email": addr, "password": oaPassword}), 200)
			s.latch.mailTo(t, addr)

			c := s.client(t, kind).start()
			oaWant(t, c.do("POST", "/auth/password/request", map[string]any{}, oaOffDoc()), 400, "email:required")
			oaWant(t, c.do("POST", "/auth/password/request", map[string]any{"email": "nope"}), 400, "email:invalid")
			known := c.do("POST", "/auth/password/request", map[string]any{"email": strings.ToUpper(addr)})
			oaWant(t, known, 200)
			unknown := c.do("POST", "/auth/password/request", map[string]any{"email": "nobody." + kind + "@example.com"})
			if unknown.raw != known.raw {
				t.Errorf("known %s, unknown %s", known.raw, unknown.raw)
			}
			key := s.key(t, addr)

			oaWant(t, c.do("GET", "/auth/password/reset", nil, oaOffDoc()), 400, "key:required")
			oaWant(t, c.do("GET", "/auth/password/reset", nil, oaHdr(oaResetKey, "bogus")), 400, "key:invalid_password_reset")
			r := c.do("GET", "/auth/password/reset", nil, oaHdr(oaResetKey, key))
			oaWant(t, r, 200)
			if r.data()["user"].(map[string]any)["email"] != addr {
				t.Errorf("reset info: %s", r.raw)
			}
			oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key}, oaOffDoc()), 400, "password:required")
			oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"password": oaPassword2}, oaOffDoc()), 400, "key:required")
			oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": "password"}), 400, "password:password_too_common")
			oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"key": "bogus", "password": oaPassword2}), 400, "key:invalid_password_reset")
			r = c.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": oaPassword2})
			oaWant(t, r, 401) // done, and not logged in
			if got := r.flowStates(); got != "login,signup" {
				t.Errorf("flows %s", got)
			}
			oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": oaPassword}), 400, "key:invalid_password_reset")
			// Every session of the user ended.
			oaWant(t, u.do("GET", "/account/email", nil), 410)
			oaWant(t, c.do("POST", "/auth/login", map[string]any{"email": addr, "password": oaPassword2}), 200)
		})
	}
}

// TestOpenAPIPasswordResetByCode covers the reset by mailed code, without
// and with a login after it.
func TestOpenAPIPasswordResetByCode(t *testing.T) {
	for _, loginAfter := range []bool{false, true} {
		s := startOpenAPIMailServer(t, func(c *account.Config, _ *httpapi.Config) {
			c.PasswordResetByCode, c.LoginOnPasswordReset = true, loginAfter
		})
		for _, kind := range oaKinds {
			t.Run(fmt.Sprintf("%s/login=%v", kind, loginAfter), func(t *testing.T) {
				addr := "code." + kind + "@example.com"
				u := s.client(t, "app")
				oaWant(t, u.do("POST", "/auth/signup", map[string]any{"email": addr, "password": oaPassword}), 200)
				s.latch.mailTo(t, addr)
				// A logged-in caller keeps its session (200).
				r := u.do("POST", "/auth/password/request", map[string]any{"email": addr})
				oaWant(t, r, 200)
				if r.data()["user"].(map[string]any)["email"] != addr {
					t.Errorf("logged-in reset request: %s", r.raw)
				}
				s.latch.mailTo(t, addr)

				c := s.client(t, kind).start()
				r = c.do("GET", "/auth/session", nil)
				if got := r.flowStates(); got != "login,signup,password_reset_by_code-" {
					t.Errorf("flows %s", got)
				}
				oaWant(t, c.do("GET", "/auth/password/reset", nil, oaHdr(oaResetKey, "BBBB-BBBB")), 409)
				oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"key": "BBBB-BBBB", "password": oaPassword2}), 409)
				r = c.do("POST", "/auth/password/request", map[string]any{"email": addr})
				oaWant(t, r, 401)
				if got := r.flowStates(); got != "login,signup,password_reset_by_code*" {
					t.Errorf("flows %s", got)
				}
				if c.token == "" && c.cookie("sessionid") == "" {
					t.Fatal("the reset by code gave the client no session")
				}
				code := s.code(t, addr)
				oaWant(t, c.do("GET", "/auth/password/reset", nil, oaOffDoc()), 400, "key:required")
				oaWant(t, c.do("GET", "/auth/password/reset", nil, oaHdr(oaResetKey, "BBBB-BBBB")), 400, "key:incorrect_code")
				r = c.do("GET", "/auth/password/reset", nil, oaHdr(oaResetKey, code))
				oaWant(t, r, 200)
				if r.data()["user"].(map[string]any)["email"] != addr {
					t.Errorf("reset info: %s", r.raw)
				}
				oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"key": code, "password": "12345"}),
					400, "password:password_too_short", "password:password_too_common", "password:password_entirely_numeric")
				r = c.do("POST", "/auth/password/reset", map[string]any{"key": code, "password": oaPassword2})
				if !loginAfter {
					oaWant(t, r, 401)
					if got := r.flowStates(); got != "login,signup,password_reset_by_code-" {
						t.Errorf("flows %s", got)
					}
				} else {
					oaWant(t, r, 200)
					if m := r.data()["methods"].([]any)[0].(map[string]any); m["method"] != "password_reset" || m["email"] != addr {
						t.Errorf("methods %s", r.raw)
					}
				}
				oaWant(t, c.do("POST", "/auth/password/reset", map[string]any{"key": code, "password": oaPassword}), 409)
				oaWant(t, u.do("GET", "/auth/session", nil), 410)
			})
		}
	}
}

// TestOpenAPILoginByCode covers the passwordless login, and its paths when
// it is off.
func TestOpenAPILoginByCode(t *testing.T) {
	s := startOpenAPIMailServer(t, func(c *account.Config, _ *httpapi.Config) { c.LoginByCode = true })
	const addr = "coder@example.com"
	oaWant(t, s.client(t, "app").do("POST", "/auth/signup", map[string]any{"email": addr, "password": oaPassword}), 200)
	s.latch.mailTo(t, addr)
	for _, kind := range oaKinds {
		t.Run(kind, func(t *testing.T) {
			c := s.client(t, kind)
			r := c.do("GET", "/config", nil)
			if r.data()["account"].(map[string]any)["login_by_code_enabled"] != true {
				t.Errorf("config %s", r.raw)
			}
			if got := c.do("GET", "/auth/session", nil).flowStates(); got != "login,login_by_code,signup" {
				t.Errorf("flows %s", got)
			}
			oaWant(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 409)
			oaWant(t, c.do("POST", "/auth/code/resend", nil), 409)
			oaWant(t, c.do("POST", "/auth/code/request", map[string]any{}, oaOffDoc()), 400, "email:required")
			oaWant(t, c.do("POST", "/auth/code/request", map[string]any{"email": "nope"}), 400, "email:invalid")
			r = c.do("POST", "/auth/code/request", map[string]any{"email": addr})
			oaWant(t, r, 401)
			if got := r.flowStates(); got != "login,login_by_code*,signup" {
				t.Errorf("flows %s", got)
			}
			pending := c.token
			s.latch.mailTo(t, addr)
			oaWant(t, c.do("POST", "/auth/code/resend", nil), 200)
			code := s.code(t, addr)
			oaWant(t, c.do("POST", "/auth/code/confirm", map[string]any{}, oaOffDoc()), 400, "code:required")
			oaWant(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 400, "code:incorrect_code")
			r = c.do("POST", "/auth/code/confirm", map[string]any{"code": code})
			oaWant(t, r, 200)
			if m := r.data()["methods"].([]any)[0].(map[string]any); m["method"] != "code" || m["email"] != addr {
				t.Errorf("methods %s", r.raw)
			}
			if kind == "app" && (c.token == "" || c.token == pending) {
				t.Errorf("the code login gave no new token: %s", r.raw)
			}
			// Logged in: nothing to do.
			oaWant(t, c.do("POST", "/auth/code/request", map[string]any{"email": addr}), 200)
			oaWant(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": code}), 409)
		})
	}

	off := startOpenAPIServer(t, nil)
	for _, kind := range oaKinds {
		c := off.client(t, kind).start()
		oaWant(t, c.do("POST", "/auth/code/request", map[string]any{"email": addr}), 404, "not_found")
		oaWant(t, c.do("POST", "/auth/code/resend", nil), 404, "not_found")
		oaWant(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 409)
	}
}

// TestOpenAPIFlowLimits covers the rate limits of the mail flows and the
// address endpoints.
func TestOpenAPIFlowLimits(t *testing.T) {
	s := startOpenAPIMailServer(t, mandatory(true), func(c *account.Config, _ *httpapi.Config) {
		c.LoginByCode = true
		c.RateLimits = account.DefaultRateLimits()
	})
	limited := func(r *oaResp) {
		t.Helper()
		oaWant(t, r, 429, "rate_limited")
		if r.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}

	// One verification code per address per 10 seconds.
	a := s.client(t, "app")
	oaWant(t, a.do("POST", "/auth/signup", map[string]any{"email": "lim@example.com", "password": oaPassword}), 401)
	s.latch.mailTo(t, "lim@example.com")
	limited(a.do("POST", "/auth/email/verify/resend", nil))
	// A login that would mail another code meanwhile is refused as allauth does.
	oaWant(t, s.client(t, "browser").start().do("POST", "/auth/login", map[string]any{"email": "lim@example.com", "password": oaPassword}),
		400, "too_many_login_attempts")
	s.latch.advance(11 * time.Second)
	oaWant(t, a.do("POST", "/auth/email/verify/resend", nil), 200)
	oaWant(t, a.do("POST", "/auth/email/verify", map[string]any{"key": s.code(t, "lim@example.com")}), 200)

	// Ten address changes per user a minute.
	for range 10 {
		oaWant(t, a.do("PUT", "/account/email", map[string]any{"email": "stranger@example.com"}), 400, "email:unknown_email")
	}
	limited(a.do("POST", "/account/email", map[string]any{"email": "new@example.com"}))
	limited(a.do("PUT", "/account/email", map[string]any{"email": "lim@example.com"}))
	limited(a.do("PATCH", "/account/email", map[string]any{"email": "lim@example.com", "primary": true}))
	limited(a.do("DELETE", "/account/email", map[string]any{"email": "lim@example.com"}))

	// Five reset requests per address a minute, twenty resets per IP.
	b := s.client(t, "browser").start()
	for range 5 {
		oaWant(t, b.do("POST", "/auth/password/request", map[string]any{"email": "nobody@example.com"}), 200)
	}
	limited(b.do("POST", "/auth/password/request", map[string]any{"email": "nobody@example.com"}))
	for range 20 {
		oaWant(t, b.do("POST", "/auth/password/reset", map[string]any{"key": "bogus", "password": oaPassword2}), 400, "key:invalid_password_reset")
	}
	limited(b.do("POST", "/auth/password/reset", map[string]any{"key": "bogus", "password": oaPassword2}))

	// Three login codes per address a minute; not a 429 but a 400, as allauth.
	var last *oaClient
	for range 3 {
		last = s.client(t, "app")
		oaWant(t, last.do("POST", "/auth/code/request", map[string]any{"email": "lim@example.com"}), 401)
	}
	oaWant(t, s.client(t, "app").do("POST", "/auth/code/request", map[string]any{"email": "lim@example.com"}), 400, "email:too_many_login_attempts")
	oaWant(t, last.do("POST", "/auth/code/resend", nil), 409)
}

// TestOpenAPIRoutes keeps the document and the route table in step: every
// route the server serves (the headless API once per client tree, JWKS,
// forward auth, ops; the tutorial surfaces have openapi-compat.yaml) is in
// the document, the document has no operation the route table lacks, and
// every operation of the document is answered by the running server (not
// with 404 or 405).
func TestOpenAPIRoutes(t *testing.T) {
	// Some routes are served only when their feature is on.
	s := startOpenAPIServer(t, func(c *account.Config) {
		c.LoginByCode, c.VerificationByCode, c.PasswordResetByCode = true, true, true
		c.MFA.PasskeyLogin, c.MFA.PasskeySignup = true, true
		c.EmailVerification = account.VerificationMandatory
	})
	api, ok := s.Config.Handler.(*httpapi.Server)
	if !ok {
		t.Fatalf("the test server's handler is a %T, not the *httpapi.Server whose routes this test reads", s.Config.Handler)
	}
	served := map[string]bool{} // "METHOD /path"
	for _, r := range httpapi.Routes(api) {
		if r.Surface != "web-app" {
			served[r.Method+" "+r.Path] = true
		}
	}
	if len(served) < 10 {
		t.Fatalf("the route table holds only %d routes", len(served))
	}
	documented := map[string]bool{}
	for path, item := range s.doc.Paths.Map() {
		// The provider callbacks are allauth's templated paths (kind, id),
		// and the admin API names its resources by id.
		if strings.Contains(path, "{") && !strings.HasPrefix(path, "/accounts/") && !strings.HasPrefix(path, "/_latch/admin/") {
			t.Errorf("%s: path templates are not used; spell each client tree out", path)
		}
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(served)) {
		if !documented[r] {
			t.Errorf("%s is served but not in %s", r, oaDocPath)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(documented)) {
		if !served[r] {
			t.Errorf("%s is in %s but not served", r, oaDocPath)
		}
	}

	// Every documented operation answers (anonymously), and not as unknown;
	// a redirect is its answer (the provider callbacks redirect).
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, r := range slices.Sorted(maps.Keys(documented)) {
		method, path, _ := strings.Cut(r, " ")
		path = strings.ReplaceAll(path, "{id}", "00000000-0000-4000-8000-000000000000")
		req, _ := http.NewRequest(method, s.URL+path, nil)
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Errors []struct{ Code string }
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode == 404 || res.StatusCode == 405 {
			t.Errorf("%s: %d %v", r, res.StatusCode, body.Errors)
		}
	}

	// Operation ids are unique and every operation documents its 500 (API)
	// and, per tree, the client's own failure: 410 (app) or 403 (browser,
	// unsafe methods).
	ids := map[string]string{}
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if prev, ok := ids[op.OperationID]; ok || op.OperationID == "" {
				t.Errorf("%s %s: operationId %q (also %s)", method, path, op.OperationID, prev)
			}
			ids[op.OperationID] = method + " " + path
			if !strings.HasPrefix(path, "/_allauth/") {
				continue
			}
			has := func(status string) bool { return op.Responses.Value(status) != nil }
			csrf := false
			if r := op.Responses.Value("403"); r != nil {
				csrf = r.Ref == "#/components/responses/CSRFFailure" || r.Value.Description != nil && strings.Contains(*r.Value.Description, "CSRF")
			}
			if !has("500") {
				t.Errorf("%s %s: no 500", method, path)
			}
			switch {
			case strings.HasPrefix(path, "/_allauth/app/"):
				if !has("410") || csrf {
					t.Errorf("%s %s: app operations have a 410 and no CSRF 403", method, path)
				}
			case method != http.MethodGet:
				if !csrf || has("410") {
					t.Errorf("%s %s: unsafe browser operations have a CSRF 403 and no 410", method, path)
				}
			default:
				if has("410") || csrf {
					t.Errorf("%s %s: safe browser operations have no 410 and no CSRF 403", method, path)
				}
			}
		}
	}
}

// TestOpenAPIRefusesWrongShapes makes sure the document is strict enough to
// notice a changed response: a few altered copies of real answers must fail.
func TestOpenAPIRefusesWrongShapes(t *testing.T) {
	s := startOpenAPIServer(t, nil)
	c := s.client(t, "app")
	r := c.do("POST", "/auth/signup", map[string]any{"email": "eve@example.com", "password": oaPassword})
	oaWant(t, r, 200)

	validate := func(method, path string, status int, body string, header http.Header) error {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, nil)
		route, params, err := s.router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		if header == nil {
			header = http.Header{}
		}
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/json")
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 status, Header: header, Options: oaValidationOptions(),
		}
		in.SetBodyBytes([]byte(body))
		return openapi3filter.ValidateResponse(context.Background(), in)
	}
	check := func(name, method, path string, status int, body string, header http.Header) {
		t.Helper()
		if err := validate(method, path, status, body, header); err == nil {
			t.Errorf("%s: the document accepts %d %s", name, status, body)
		}
	}
	// accept guards the alterations below: their base must be valid.
	accept := func(name, method, path string, status int, body string, header http.Header) {
		t.Helper()
		if err := validate(method, path, status, body, header); err != nil {
			t.Errorf("%s: the document refuses %d %s: %v", name, status, body, err)
		}
	}
	alter := func(v map[string]any, f func(map[string]any)) string {
		b, _ := json.Marshal(v)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		f(m)
		out, _ := json.Marshal(m)
		return string(out)
	}
	user := func(m map[string]any) map[string]any { return m["data"].(map[string]any)["user"].(map[string]any) }
	const session = "/_allauth/app/v1/auth/session"
	check("integer user id", "GET", session, 200, alter(r.body, func(m map[string]any) { user(m)["id"] = 1 }), nil)
	check("extra user key", "GET", session, 200, alter(r.body, func(m map[string]any) { user(m)["is_staff"] = false }), nil)
	check("no methods", "GET", session, 200, alter(r.body, func(m map[string]any) { delete(m["data"].(map[string]any), "methods") }), nil)
	check("status mismatch", "GET", session, 200, alter(r.body, func(m map[string]any) { m["status"] = 201 }), nil)
	check("null is_authenticated", "GET", session, 410, `{"status":410,"data":{"flows":[{"id":"login"}]},"meta":{"is_authenticated":null}}`, nil)
	check("is_pending false", "GET", session, 401, `{"status":401,"data":{"flows":[{"id":"login","is_pending":false}]},"meta":{"is_authenticated":false}}`, nil)
	check("token in browser meta", "GET", "/_allauth/browser/v1/auth/session", 200,
		alter(r.body, func(m map[string]any) { m["meta"].(map[string]any)["session_token"] = c.token }), nil)
	check("undocumented status", "GET", session, 404, `{"status":404}`, nil)
	check("null param", "POST", "/_allauth/app/v1/auth/login", 400, `{"status":400,"errors":[{"message":"x","code":"invalid","param":null}]}`, nil)
	check("no errors", "POST", "/_allauth/app/v1/auth/login", 400, `{"status":400}`, nil)
	check("429 without Retry-After", "POST", "/_allauth/app/v1/auth/login", 429,
		`{"status":429,"errors":[{"message":"x","code":"rate_limited"}]}`, nil)
	check("wrong 413 code", "POST", "/_allauth/app/v1/auth/login", 413,
		`{"status":413,"errors":[{"message":"x","code":"too_big"}]}`, nil)
	check("session without last_seen_at", "GET", "/_allauth/app/v1/auth/sessions", 200,
		`{"status":200,"data":[{"user_agent":"","ip":"127.0.0.1","created_at":1.5,"is_current":true,"id":1}]}`, nil)
	const flows401 = `{"status":401,"data":{"flows":[%s]},"meta":{"is_authenticated":false}}`
	check("verify_email not pending", "GET", session, 401, fmt.Sprintf(flows401, `{"id":"login"},{"id":"verify_email"}`), nil)
	check("password_reset_by_code without is_pending", "GET", session, 401, fmt.Sprintf(flows401, `{"id":"login"},{"id":"password_reset_by_code"}`), nil)
	check("unknown flow", "GET", session, 401, fmt.Sprintf(flows401, `{"id":"login"},{"id":"mfa_authenticate","is_pending":true}`), nil)
	check("code request without the pending stage", "POST", "/_allauth/app/v1/auth/code/request", 401,
		fmt.Sprintf(flows401, `{"id":"login"},{"id":"login_by_code"},{"id":"signup"}`), nil)
	check("signup 401 without verify_email", "POST", "/_allauth/browser/v1/auth/signup", 401, fmt.Sprintf(flows401, `{"id":"login"}`), nil)
	check("reset request 401 not pending", "POST", "/_allauth/app/v1/auth/password/request", 401,
		fmt.Sprintf(flows401, `{"id":"login"},{"id":"password_reset_by_code","is_pending":false}`), nil)
	check("unknown method", "GET", session, 200, alter(r.body, func(m map[string]any) {
		m["data"].(map[string]any)["methods"].([]any)[0].(map[string]any)["method"] = "mfa"
	}), nil)
	check("address without verified", "GET", "/_allauth/app/v1/account/email", 200,
		`{"status":200,"data":[{"email":"eve@example.com","primary":true}]}`, nil)
	check("verification info without is_authenticating", "GET", "/_allauth/app/v1/auth/email/verify", 200,
		alter(map[string]any{"status": 200, "data": map[string]any{"email": "eve@example.com", "user": user(r.body)}}, func(map[string]any) {}), nil)
	check("reset info with email", "GET", "/_allauth/browser/v1/auth/password/reset", 200,
		alter(map[string]any{"status": 200, "data": map[string]any{"user": user(r.body), "email": "eve@example.com"}}, func(map[string]any) {}), nil)
	check("error code of another endpoint", "PATCH", "/_allauth/app/v1/account/email", 400,
		`{"status":400,"errors":[{"message":"x","code":"email_taken","param":"email"}]}`, nil)
	check("error on another field", "POST", "/_allauth/app/v1/auth/code/confirm", 400,
		`{"status":400,"errors":[{"message":"x","code":"incorrect_code","param":"key"}]}`, nil)
	check("resend with data", "POST", "/_allauth/browser/v1/auth/email/verify/resend", 200, `{"status":200,"data":{}}`, nil)
	check("no-mail 403 with errors", "PUT", "/_allauth/app/v1/account/email", 403,
		`{"status":403,"errors":[{"message":"x","code":"csrf_origin"}]}`, nil)
	tokensIn := func(m map[string]any) map[string]any {
		meta := m["meta"].(map[string]any)
		meta["access_token"], meta["refresh_token"] = "eyJh.eyJp.c2ln", strings.Repeat("r", 43)
		return meta
	}
	const appLogin, refreshPath, accessPath = "/_allauth/app/v1/auth/login", "/_allauth/app/v1/tokens/refresh", "/_allauth/browser/v1/tokens/access"
	accept("app login with tokens", "POST", appLogin, 200, alter(r.body, func(m map[string]any) { tokensIn(m) }), nil)
	check("access token without refresh token", "POST", appLogin, 200, alter(r.body, func(m map[string]any) { delete(tokensIn(m), "refresh_token") }), nil)
	check("refresh token without access token", "POST", appLogin, 200, alter(r.body, func(m map[string]any) { delete(tokensIn(m), "access_token") }), nil)
	check("tokens without session token", "POST", appLogin, 200, alter(r.body, func(m map[string]any) { delete(tokensIn(m), "session_token") }), nil)
	check("access token not a JWT", "POST", appLogin, 200, alter(r.body, func(m map[string]any) { tokensIn(m)["access_token"] = "abc" }), nil)
	check("tokens in browser meta", "POST", "/_allauth/browser/v1/auth/login", 200, alter(r.body, func(m map[string]any) { delete(tokensIn(m), "session_token") }), nil)
	check("tokens in a 401", "POST", appLogin, 401, fmt.Sprintf(`{"status":401,"data":{"flows":[{"id":"login"}]},"meta":{"is_authenticated":false,"access_token":"eyJh.eyJp.c2ln","refresh_token":%q}}`, strings.Repeat("r", 43)), nil)
	pair := fmt.Sprintf(`{"status":200,"data":{"access_token":"eyJh.eyJp.c2ln","refresh_token":%q}%%s}`, strings.Repeat("r", 43))
	accept("refreshed pair", "POST", refreshPath, 200, fmt.Sprintf(pair, ""), nil)
	check("refreshed pair with meta", "POST", refreshPath, 200, fmt.Sprintf(pair, `,"meta":{"is_authenticated":true}`), nil)
	check("refreshed pair without refresh token", "POST", refreshPath, 200, `{"status":200,"data":{"access_token":"eyJh.eyJp.c2ln"}}`, nil)
	accept("refused refresh", "POST", refreshPath, 400, `{"status":400}`, nil)
	accept("refresh input error", "POST", refreshPath, 400, `{"status":400,"errors":[{"message":"x","code":"required","param":"refresh_token"}]}`, nil)
	check("refused refresh with a message", "POST", refreshPath, 400, `{"status":400,"errors":[]}`, nil)
	check("refresh error on another field", "POST", refreshPath, 400, `{"status":400,"errors":[{"message":"x","code":"required","param":"token"}]}`, nil)
	check("refresh error of another endpoint", "POST", refreshPath, 400, `{"status":400,"errors":[{"message":"x","code":"invalid_or_expired_key","param":"refresh_token"}]}`, nil)
	check("refresh 401", "POST", refreshPath, 401, `{"status":401,"data":{"flows":[{"id":"login"}]},"meta":{"is_authenticated":false}}`, nil)
	const browserToken = `{"status":200,"data":{"access_token":"eyJh.eyJp.c2ln","expires_at":1711555357,"expires_in":%s}}`
	accept("browser access token", "POST", accessPath, 200, fmt.Sprintf(browserToken, "300"), nil)
	check("float expires_in", "POST", accessPath, 200, fmt.Sprintf(browserToken, "300.5"), nil)
	check("browser access token with a refresh token", "POST", accessPath, 200,
		`{"status":200,"data":{"access_token":"eyJh.eyJp.c2ln","refresh_token":"x","expires_at":1711555357,"expires_in":300}}`, nil)
	check("browser access token 410", "POST", accessPath, 410, `{"status":410,"data":{"flows":[{"id":"login"}]},"meta":{"is_authenticated":false}}`, nil)

	verified := alter(map[string]any{"status": 200, "data": map[string]any{"user": user(r.body)}}, func(map[string]any) {})
	latchHeaders := func() http.Header {
		return http.Header{"X-Latch-User-Id": {user(r.body)["id"].(string)}, "X-Latch-User-Email": {"eve@example.com"},
			"X-Latch-Username": {""}, "X-Latch-Roles": {"staff,superuser"}}
	}
	accept("forward auth", "GET", "/auth/verify", 200, verified, latchHeaders())
	noID := latchHeaders()
	noID.Del("X-Latch-User-Id")
	check("forward auth without X-Latch-User-Id", "GET", "/auth/verify", 200, verified, noID)
	badRoles := latchHeaders()
	badRoles.Set("X-Latch-Roles", "admin")
	check("forward auth with an unknown role", "GET", "/auth/verify", 200, verified, badRoles)
	check("forward auth with methods", "GET", "/auth/verify", 200, alter(r.body, func(m map[string]any) { delete(m, "meta") }), latchHeaders())
	check("forward auth 401 with flows", "GET", "/auth/verify", 401, `{"status":401,"data":{"flows":[{"id":"login"}]},"meta":{"is_authenticated":false}}`, nil)
	check("forward auth 401 with another code", "GET", "/auth/verify", 401, `{"status":401,"errors":[{"message":"x","code":"not_authenticated"}]}`, nil)
	check("forward auth 410", "GET", "/auth/verify", 410, `{"status":410,"errors":[{"message":"x","code":"unauthenticated"}]}`, nil)

	b43 := strings.Repeat("A", 43)
	jwksHeader := func(ct string) http.Header {
		return http.Header{"Content-Type": {ct}, "Cache-Control": {"public, max-age=25"}, "Access-Control-Allow-Origin": {"*"}}
	}
	const jwkSet = "application/jwk-set+json"
	okp := fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","x":%q,"kid":%q,"alg":"EdDSA","use":"sig"%%s}`, b43, b43)
	accept("JWKS", "GET", "/.well-known/jwks.json", 200, `{"keys":[`+fmt.Sprintf(okp, "")+`]}`, jwksHeader(jwkSet))
	check("JWKS with a private member", "GET", "/.well-known/jwks.json", 200, `{"keys":[`+fmt.Sprintf(okp, `,"d":"`+b43+`"`)+`]}`, jwksHeader(jwkSet))
	check("JWKS as application/json", "GET", "/.well-known/jwks.json", 200, `{"keys":[`+fmt.Sprintf(okp, "")+`]}`, jwksHeader("application/json"))
	noCache := jwksHeader(jwkSet)
	noCache.Del("Cache-Control")
	check("JWKS without Cache-Control", "GET", "/.well-known/jwks.json", 200, `{"keys":[`+fmt.Sprintf(okp, "")+`]}`, noCache)
	check("empty JWKS", "GET", "/.well-known/jwks.json", 200, `{"keys":[]}`, jwksHeader(jwkSet))
	check("JWKS in the envelope", "GET", "/.well-known/jwks.json", 200, `{"status":200,"keys":[`+fmt.Sprintf(okp, "")+`]}`, jwksHeader(jwkSet))
	check("EC key on the Ed25519 curve", "GET", "/.well-known/jwks.json", 200,
		fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"Ed25519","x":%q,"y":%q,"kid":%q,"alg":"ES256","use":"sig"}]}`, b43, b43, b43), jwksHeader(jwkSet))
	check("RSA key of 1024 bits", "GET", "/.well-known/jwks.json", 200,
		fmt.Sprintf(`{"keys":[{"kty":"RSA","n":%q,"e":"AQAB","kid":%q,"alg":"RS256","use":"sig"}]}`, strings.Repeat("A", 171), b43), jwksHeader(jwkSet))
	check("config without usersessions", "GET", "/_allauth/app/v1/config", 200,
		`{"status":200,"data":{"account":{"login_methods":["email"],"is_open_for_signup":true,"email_verification_by_code_enabled":false,"login_by_code_enabled":false,"password_reset_by_code_enabled":false,"authentication_method":"email"}}}`, nil)
}

// ---- Tokens and forward auth ---------------------------------------------

// now is the server's clock.
func (s *oaServer) now() time.Time {
	if s.latch != nil {
		return s.latch.clock()
	}
	return time.Now()
}

// jwks fetches the JWKS as a verifier does, validating the answer.
func (s *oaServer) jwks(t *testing.T) *jwt.KeySet {
	t.Helper()
	r := s.client(t, "").do("GET", "/.well-known/jwks.json", nil, oaMediaType("application/jwk-set+json"))
	oaWant(t, r, 200)
	// A cached copy must not outlive the time a new key is published
	// before it signs, or a verifier meets a kid its copy lacks.
	cc := r.header.Get("Cache-Control")
	var age int
	if _, err := fmt.Sscanf(cc, "public, max-age=%d", &age); err != nil || time.Duration(age)*time.Second >= keyring.PublishDelay {
		t.Errorf("JWKS Cache-Control %q: max-age must be under keyring.PublishDelay (%v)", cc, keyring.PublishDelay)
	}
	ks, err := jwt.ParseJWKS([]byte(r.raw))
	if err != nil {
		t.Fatalf("JWKS: %v: %s", err, r.raw)
	}
	return ks
}

// verifyAccess checks an access token the way another service would:
// against the JWKS, with the public URL as issuer and audience.
func (s *oaServer) verifyAccess(t *testing.T, token string) *jwt.Claims {
	t.Helper()
	c, err := s.jwks(t).Verify(token, s.now(), 0, s.URL, s.URL)
	if err != nil {
		t.Fatalf("access token does not verify against the JWKS: %v", err)
	}
	return c
}

// tokens returns the access and refresh tokens of an app response that
// logged in under the JWT strategy, and checks that the access token names
// the response's user.
func (s *oaServer) tokens(t *testing.T, r *oaResp) (access, refresh string) {
	t.Helper()
	access, _ = r.meta()["access_token"].(string)
	refresh, _ = r.meta()["refresh_token"].(string)
	if access == "" || refresh == "" || r.meta()["session_token"] == nil {
		t.Fatalf("a login without tokens in meta: %s", r.raw)
	}
	if c := s.verifyAccess(t, access); c.Subject != oaUserID(r) || c.SessionID == "" {
		t.Errorf("claims %+v for %s", c, r.raw)
	}
	return access, refresh
}

// verify asks forward auth about a request carrying what opts add.
func (s *oaServer) verify(t *testing.T, opts ...oaOpt) *oaResp {
	t.Helper()
	r := s.client(t, "").do("GET", "/auth/verify", nil, opts...)
	if st, _ := r.body["status"].(float64); int(st) != r.status {
		t.Errorf("forward auth: body status %v, HTTP status %d", r.body["status"], r.status)
	}
	return r
}

func oaUserID(r *oaResp) string {
	u, _ := r.data()["user"].(map[string]any)
	id, _ := u["id"].(string)
	return id
}

// oaWantUser fails the test unless forward auth let the request through
// for the user, naming it in the headers and the body.
func oaWantUser(t *testing.T, r *oaResp, id, email, username, roles string) {
	t.Helper()
	oaWant(t, r, 200)
	h := r.header
	if h.Get("X-Latch-User-Id") != id || h.Get("X-Latch-User-Email") != email || h.Get("X-Latch-Username") != username ||
		h.Get("X-Latch-Roles") != roles || oaUserID(r) != id {
		t.Errorf("forward auth for %s: headers %v, body %s", id, h, r.raw)
	}
}

// oaRefused fails the test unless r is the bare answer to a refused
// refresh token.
func oaRefused(t *testing.T, r *oaResp) {
	t.Helper()
	if r.status != 400 || r.raw != "{\"status\":400}\n" {
		t.Fatalf("want a refused refresh token, got %d: %s", r.status, r.raw)
	}
}

// TestOpenAPITokensJWT covers the app client under the JWT strategy: the
// tokens a login answers with, the access token in place of the session
// token, and the refresh endpoint: errors, rotation, the grace window,
// reuse detection, and the tokens' end with their session.
func TestOpenAPITokensJWT(t *testing.T) {
	s := startOpenAPIMailServer(t, jwtStrategy)
	const addr = "tia@example.com"
	login := map[string]any{"username": "tia", "password": oaPassword}

	a := s.client(t, "app")
	r := a.do("POST", "/auth/signup", map[string]any{"email": addr, "username": "tia", "password": oaPassword})
	oaWant(t, r, 200)
	access, refresh := s.tokens(t, r)
	id := oaUserID(r)
	s.latch.mailTo(t, addr)
	r = a.do("GET", "/auth/session", nil)
	oaWant(t, r, 200)
	if r.meta()["access_token"] != nil || r.meta()["refresh_token"] != nil {
		t.Errorf("the session check issued tokens: %s", r.raw)
	}

	// The access token stands in for the session token.
	b := s.client(t, "app")
	oaWant(t, b.do("GET", "/auth/session", nil, oaBearer(access)), 200)
	own, _ := oaCurrentSession(t, b.do("GET", "/auth/sessions", nil, oaBearer(access)))
	if mine, _ := oaCurrentSession(t, a.do("GET", "/auth/sessions", nil)); mine != own {
		t.Errorf("the access token's session %v, the session token's %v", own, mine)
	}
	r = b.do("GET", "/account/email", nil, oaBearer(access))
	oaWant(t, r, 200)
	if got := oaEmails(t, r); got != addr+" p" {
		t.Errorf("addresses %s", got)
	}
	oaWant(t, b.do("GET", "/config", nil, oaBearer(access)), 200)
	oaWant(t, b.do("POST", "/auth/login", login, oaBearer(access)), 409)
	if b.token != "" {
		t.Fatal("the bearer client got a session token")
	}
	// Tokens that do not verify are no credentials at all.
	oaWant(t, b.do("GET", "/auth/session", nil, oaBearer("not.a.token")), 401)
	oaWant(t, b.do("GET", "/auth/sessions", nil, oaBearer(access[:len(access)-6]+"AAAAAA")), 401)
	oaWant(t, b.do("GET", "/auth/sessions", nil, oaHdr("Authorization", "Basic dGlhOng="), oaOffDoc()), 401) // not a bearer: no credentials
	// With both, the session token wins.
	c := s.client(t, "app")
	r = c.do("POST", "/auth/login", login)
	oaWant(t, r, 200)
	cAccess, cRefresh := s.tokens(t, r)
	if cAccess == access || cRefresh == refresh {
		t.Fatal("two logins got the same tokens")
	}
	if mine, _ := oaCurrentSession(t, a.do("GET", "/auth/sessions", nil, oaBearer(cAccess))); mine != own {
		t.Error("the access token won over the session token")
	}

	// Refresh: input errors and refused tokens.
	x := s.client(t, "app")
	oaWant(t, x.do("POST", "/tokens/refresh", map[string]any{}, oaOffDoc()), 400, "refresh_token:required")
	oaWant(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": ""}, oaOffDoc()), 400, "refresh_token:required")
	oaWant(t, x.do("POST", "/tokens/refresh", nil, oaRaw("application/json", ""), oaOffDoc()), 400, "refresh_token:required")
	oaWant(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": 7}, oaOffDoc()), 400, "refresh_token:invalid")
	oaWant(t, x.do("POST", "/tokens/refresh", nil, oaRaw("application/json", `{"refresh_token":`), oaOffDoc()), 400, "invalid")
	oaWant(t, x.do("POST", "/tokens/refresh", nil, oaRaw("application/json", `["x"]`), oaOffDoc()), 400, "invalid")
	oaWant(t, x.do("POST", "/tokens/refresh", nil, oaRaw("text/plain", refresh), oaOffDoc()), 415, "unsupported_media_type")
	oaWant(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": strings.Repeat("r", 70<<10)}), 413, "too_large")
	oaRefused(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": "garbage"}))
	oaRefused(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": access}))
	oaRefused(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": a.token}))

	// Rotation: each refresh token works once; repeated within the grace
	// window it gets the same pair.
	r1 := x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh})
	oaWant(t, r1, 200)
	s.latch.advance(2 * time.Second)
	r2 := s.client(t, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh})
	oaWant(t, r2, 200)
	if r1.raw != r2.raw {
		t.Errorf("a repeat within the grace window got another pair:\n%s\n%s", r1.raw, r2.raw)
	}
	access1, refresh1 := r1.data()["access_token"].(string), r1.data()["refresh_token"].(string)
	if access1 == access || refresh1 == refresh {
		t.Fatalf("refresh did not rotate: %s", r1.raw)
	}
	if cl := s.verifyAccess(t, access1); cl.Subject != id {
		t.Errorf("refreshed claims %+v", cl)
	}
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(access1)), 200)
	r = x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh1})
	oaWant(t, r, 200)
	refresh2 := r.data()["refresh_token"].(string)

	// A password change keeps the session and its tokens, and issues none.
	r = a.do("POST", "/account/password/change", map[string]any{"current_password": oaPassword, "new_password": oaPassword2})
	oaWant(t, r, 200)
	if r.meta()["access_token"] != nil || r.meta()["refresh_token"] != nil {
		t.Errorf("the password change issued tokens: %s", r.raw)
	}
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(access1)), 200)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(cAccess)), 410) // the other session ended
	oaRefused(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": cRefresh}))
	r = x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh2})
	oaWant(t, r, 200)
	refresh3 := r.data()["refresh_token"].(string)

	// Another session of the user, started before the theft below so that
	// its row id is not the ended session's (see
	// TestOpenAPIAccessTokenOfEndedSessionStaysDead).
	d := s.client(t, "app")
	login2 := map[string]any{"email": addr, "password": oaPassword2}
	r = d.do("POST", "/auth/login", login2)
	oaWant(t, r, 200)
	dAccess, dRefresh := s.tokens(t, r)

	// After the window, a spent token is theft: the session ends, with its
	// session token, access tokens and every refresh token of the family.
	s.latch.advance(6 * time.Second)
	gone := a.token
	oaRefused(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh}))
	oaRefused(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh3}))
	oaWant(t, a.do("GET", "/auth/session", nil), 410)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(access1)), 410)
	oaWant(t, s.client(t, "app").do("GET", "/config", nil, oaBearer(access)), 410)
	oaWant(t, s.client(t, "app").do("DELETE", "/account/email", map[string]any{"email": addr}, oaBearer(access1)), 410)

	oaWant(t, d.do("GET", "/auth/session", nil), 200) // the other session lives on

	// A gone credential sent along with a refresh gets 410, and the
	// refresh token is not spent.
	oaWant(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": dRefresh}, oaHdr("X-Session-Token", gone)), 410)
	oaWant(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": dRefresh}, oaBearer(access1)), 410)
	r = x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": dRefresh}, oaBearer(dAccess))
	oaWant(t, r, 200)
	dAccess2, dRefresh2 := r.data()["access_token"].(string), r.data()["refresh_token"].(string)

	// Logging out with the access token alone ends the session and its tokens.
	oaWant(t, s.client(t, "app").do("DELETE", "/auth/session", nil, oaBearer(dAccess2)), 401)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(dAccess)), 410)
	oaRefused(t, x.do("POST", "/tokens/refresh", map[string]any{"refresh_token": dRefresh2}))
	oaWant(t, d.do("GET", "/auth/session", nil), 410)

	// Key rotation: both keys are published while the old one's tokens
	// live; expired access tokens are no credentials, and refreshing gives
	// a token of the new key.
	e := s.client(t, "app")
	r = e.do("POST", "/auth/login", login2)
	oaWant(t, r, 200)
	eAccess, eRefresh := s.tokens(t, r)
	if _, err := s.latch.keys.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.jwks(t).Keys()); n != 2 {
		t.Errorf("JWKS after rotation: %d keys", n)
	}
	s.verifyAccess(t, eAccess)
	s.latch.advance(5*time.Minute + time.Second)
	oaWant(t, s.client(t, "app").do("GET", "/auth/sessions", nil, oaBearer(eAccess)), 401)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(eAccess)), 401)
	r = s.client(t, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": eRefresh})
	oaWant(t, r, 200)
	eAccess2 := r.data()["access_token"].(string)
	if err := s.latch.keys.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.jwks(t).Keys()); n != 1 {
		t.Errorf("JWKS after the old key retired: %d keys", n)
	}
	s.verifyAccess(t, eAccess2)
	oaWant(t, s.client(t, "app").do("GET", "/auth/sessions", nil, oaBearer(eAccess2)), 200)

	// The browser client gets no tokens at login (its schema has no room
	// for them), ignores Authorization, and has no refresh endpoint; the
	// app refuses the browser's access tokens.
	br := s.client(t, "browser").start()
	oaWant(t, br.do("POST", "/auth/login", login2), 200)
	oaWant(t, s.client(t, "browser").start().do("GET", "/auth/session", nil, oaBearer(eAccess2)), 401)
	oaWant(t, br.do("POST", "/tokens/refresh", map[string]any{"refresh_token": eRefresh}, oaUnrouted()), 404, "not_found")
	r = br.do("POST", "/tokens/access", nil)
	oaWant(t, r, 200)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(r.data()["access_token"].(string))), 401)
	oaWant(t, e.do("GET", "/tokens/refresh", nil, oaUnrouted()), 405, "method_not_allowed")
}

// TestOpenAPITokensJWTFlows covers the other requests that log an app
// client in under the JWT strategy: the verification that finishes a
// signup, a login by code, a password reset that logs in.
func TestOpenAPITokensJWTFlows(t *testing.T) {
	s := startOpenAPIMailServer(t, jwtStrategy, mandatory(true), func(c *account.Config, _ *httpapi.Config) {
		c.LoginByCode, c.LoginOnPasswordReset = true, true
	})
	const addr = "uma@example.com"
	a := s.client(t, "app")
	oaWant(t, a.do("POST", "/auth/signup", map[string]any{"email": addr, "password": oaPassword}), 401) // no tokens while pending
	r := a.do("POST", "/auth/email/verify", map[string]any{"key": s.code(t, addr)})
	oaWant(t, r, 200)
	aAccess, aRefresh := s.tokens(t, r)
	oaWant(t, s.client(t, "app").do("GET", "/account/email", nil, oaBearer(aAccess)), 200)

	b := s.client(t, "app")
	oaWant(t, b.do("POST", "/auth/code/request", map[string]any{"email": addr}), 401)
	r = b.do("POST", "/auth/code/confirm", map[string]any{"code": s.code(t, addr)})
	oaWant(t, r, 200)
	bAccess, bRefresh := s.tokens(t, r)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(bAccess)), 200)
	oaWant(t, s.client(t, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": bRefresh}), 200)

	c := s.client(t, "app")
	oaWant(t, c.do("POST", "/auth/password/request", map[string]any{"email": addr}), 200)
	r = c.do("POST", "/auth/password/reset", map[string]any{"key": s.key(t, addr), "password": oaPassword2})
	oaWant(t, r, 200)
	cAccess, _ := s.tokens(t, r)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(cAccess)), 200)
	// The reset ended every other session, and their tokens with them.
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(aAccess)), 410)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(bAccess)), 410)
	oaRefused(t, s.client(t, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": aRefresh}))
}

// TestOpenAPITokensSessionStrategy covers the token endpoints under the
// default session strategy: the app gets no tokens and every refresh is
// refused; the browser's access token works as under the JWT strategy.
func TestOpenAPITokensSessionStrategy(t *testing.T) {
	s := startOpenAPIServer(t, nil)
	const addr = "vic@example.com"
	a := s.client(t, "app")
	r := a.do("POST", "/auth/signup", map[string]any{"email": addr, "password": oaPassword})
	oaWant(t, r, 200)
	if r.meta()["access_token"] != nil || r.meta()["refresh_token"] != nil {
		t.Errorf("the session strategy issued tokens: %s", r.raw)
	}
	id := oaUserID(r)
	oaRefused(t, a.do("POST", "/tokens/refresh", map[string]any{"refresh_token": a.token}))
	oaWant(t, a.do("POST", "/tokens/refresh", map[string]any{}, oaOffDoc()), 400, "refresh_token:required")
	oaWant(t, a.do("POST", "/tokens/refresh", map[string]any{"refresh_token": "x"}, oaHdr("X-Session-Token", "gone")), 410)

	// The browser's access token.
	x := s.client(t, "browser").start()
	oaWant(t, x.do("POST", "/tokens/access", nil, oaOffDoc()), 401)
	login := map[string]any{"email": addr, "password": oaPassword}
	oaWant(t, x.do("POST", "/auth/login", login), 200)
	oaWant(t, x.do("POST", "/tokens/access", nil, oaHdr("X-CSRFToken", ""), oaOffDoc()), 403, "csrf_header_missing")
	oaWant(t, x.do("POST", "/tokens/access", nil, oaNoCookies(), oaOffDoc()), 403, "csrf_cookie_missing")
	oaWant(t, x.do("POST", "/tokens/access", nil, oaHdr("X-CSRFToken", strings.Repeat("a", 32))), 403, "csrf_token_mismatch")
	oaWant(t, x.do("POST", "/tokens/access", nil, oaHdr("Origin", "https://evil.example")), 403, "csrf_origin")
	r = x.do("POST", "/tokens/access", nil)
	oaWant(t, r, 200)
	token := r.data()["access_token"].(string)
	claims := s.verifyAccess(t, token)
	if claims.Subject != id || claims.Email != addr || int64(r.data()["expires_at"].(float64)) != claims.Expires ||
		r.data()["expires_in"] != float64(300) || claims.Expires-claims.IssuedAt != 300 {
		t.Errorf("access token %s, claims %+v", r.raw, claims)
	}
	// A body is ignored, whatever it is.
	oaWant(t, x.do("POST", "/tokens/access", map[string]any{"anything": 1}), 200)
	oaWant(t, x.do("POST", "/tokens/access", nil, oaRaw("text/plain", "x")), 200)
	// Latch's own API does not take it.
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(token)), 401)
	oaWant(t, s.client(t, "app").do("GET", "/auth/sessions", nil, oaBearer(token)), 401)
	oaWant(t, s.client(t, "browser").start().do("GET", "/auth/session", nil, oaBearer(token)), 401)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(token)), 401)
	// Logged out: nothing to give, and the token is dead.
	oaWant(t, x.do("DELETE", "/auth/session", nil), 401)
	oaWant(t, x.do("POST", "/tokens/access", nil, oaOffDoc()), 401)
	oaWant(t, s.verify(t, oaBearer(token)), 401, "unauthenticated")
	// An unknown cookie is no session (and is cleared).
	r = x.do("POST", "/tokens/access", nil, oaHdr("Cookie", "sessionid=unknown; csrftoken="+x.cookie("csrftoken")))
	oaWant(t, r, 401)
	if !slices.ContainsFunc(r.header.Values("Set-Cookie"), func(v string) bool { return strings.HasPrefix(v, "sessionid=;") }) {
		t.Errorf("the unknown cookie was not cleared: %v", r.header.Values("Set-Cookie"))
	}
}

// TestOpenAPIAccessTokenOfEndedSessionStaysDead: an access token names its
// session by row id (claim sid), and SQLite reuses the largest deleted row
// id, so a new session of the same user can bring the token of an ended
// one back to life.
func TestOpenAPIAccessTokenOfEndedSessionStaysDead(t *testing.T) {
	s := startOpenAPIServer(t, func(c *account.Config) { c.Tokens.Strategy = "jwt" })
	a := s.client(t, "app")
	r := a.do("POST", "/auth/signup", map[string]any{"email": "zoe@example.com", "password": oaPassword})
	oaWant(t, r, 200)
	access, _ := s.tokens(t, r)
	oaWant(t, a.do("DELETE", "/auth/session", nil), 401)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(access)), 410)
	oaWant(t, s.client(t, "app").do("POST", "/auth/login", map[string]any{"email": "zoe@example.com", "password": oaPassword}), 200)
	oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(access)), 410)
	oaWant(t, s.verify(t, oaBearer(access)), 401, "unauthenticated")
}

// TestOpenAPIForwardAuth covers /auth/verify with every kind of credential,
// under both app token strategies.
func TestOpenAPIForwardAuth(t *testing.T) {
	for _, strategy := range []string{"session", "jwt"} {
		t.Run(strategy, func(t *testing.T) {
			s := startOpenAPIServer(t, func(c *account.Config) { c.Tokens.Strategy = strategy })
			root, err := s.svc.Users.CreateSuperuser(context.Background(), account.SuperuserInput{Email: "root@example.com", Password: oaPassword})
			if err != nil {
				t.Fatal(err)
			}

			// Nothing, or nothing valid.
			oaWant(t, s.verify(t), 401, "unauthenticated")
			oaWant(t, s.verify(t, oaHdr("Cookie", "sessionid=nope")), 401, "unauthenticated")
			oaWant(t, s.verify(t, oaHdr("X-Session-Token", "nope")), 401, "unauthenticated")
			oaWant(t, s.verify(t, oaBearer("not.a.token")), 401, "unauthenticated")

			// A browser session, and its access token.
			b := s.client(t, "browser").start()
			r := b.do("POST", "/auth/signup", map[string]any{"email": "wes@example.com", "username": "wes", "password": oaPassword})
			oaWant(t, r, 200)
			wes := oaUserID(r)
			cookie := "sessionid=" + b.cookie("sessionid")
			oaWantUser(t, s.verify(t, oaHdr("Cookie", cookie)), wes, "wes@example.com", "wes", "")
			r = b.do("POST", "/tokens/access", nil)
			oaWant(t, r, 200)
			browserToken := r.data()["access_token"].(string)
			oaWantUser(t, s.verify(t, oaBearer(browserToken)), wes, "wes@example.com", "wes", "")
			// A browser cookie is not an app token, nor the other way round.
			oaWant(t, s.verify(t, oaHdr("X-Session-Token", b.cookie("sessionid"))), 401, "unauthenticated")

			// An app session of a superuser without a username.
			a := s.client(t, "app")
			r = a.do("POST", "/auth/login", map[string]any{"email": "root@example.com", "password": oaPassword})
			oaWant(t, r, 200)
			oaWantUser(t, s.verify(t, oaHdr("X-Session-Token", a.token)), root.PublicID, "root@example.com", "", "staff,superuser")
			oaWant(t, s.verify(t, oaHdr("Cookie", "sessionid="+a.token)), 401, "unauthenticated")
			var appToken string
			if strategy == "jwt" {
				appToken, _ = s.tokens(t, r)
				oaWantUser(t, s.verify(t, oaBearer(appToken)), root.PublicID, "root@example.com", "", "staff,superuser")
			} else if r.meta()["access_token"] != nil {
				t.Errorf("the session strategy issued tokens: %s", r.raw)
			}

			// The first credential present decides.
			oaWant(t, s.verify(t, oaBearer("not.a.token"), oaHdr("Cookie", cookie)), 401, "unauthenticated")
			oaWant(t, s.verify(t, oaHdr("X-Session-Token", "nope"), oaHdr("Cookie", cookie)), 401, "unauthenticated")
			oaWantUser(t, s.verify(t, oaBearer(browserToken), oaHdr("X-Session-Token", a.token)), wes, "wes@example.com", "wes", "")
			oaWantUser(t, s.verify(t, oaHdr("X-Session-Token", a.token), oaHdr("Cookie", cookie)), root.PublicID, "root@example.com", "", "staff,superuser")

			// Ended sessions: 401, never 410.
			gone := a.token
			oaWant(t, a.do("DELETE", "/auth/session", nil), 401)
			oaWant(t, s.verify(t, oaHdr("X-Session-Token", gone)), 401, "unauthenticated")
			if appToken != "" {
				oaWant(t, s.verify(t, oaBearer(appToken)), 401, "unauthenticated")
			}
			oaWant(t, b.do("DELETE", "/auth/session", nil), 401)
			oaWant(t, s.verify(t, oaHdr("Cookie", cookie)), 401, "unauthenticated")
			oaWant(t, s.verify(t, oaBearer(browserToken)), 401, "unauthenticated")
		})
	}
}

// TestOpenAPIJWKS covers the key set with keys of each algorithm.
func TestOpenAPIJWKS(t *testing.T) {
	for _, alg := range []jwt.Algorithm{jwt.EdDSA, jwt.RS256, jwt.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			s := startOpenAPIServerAlg(t, alg, func(c *account.Config) { c.Tokens.Strategy = "jwt" })
			r := s.client(t, "").do("GET", "/.well-known/jwks.json", nil, oaMediaType("application/jwk-set+json"))
			oaWant(t, r, 200)
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("JWKS headers %v", r.header)
			}
			keys := s.jwks(t).Keys()
			if len(keys) != 1 || keys[0].Alg != alg {
				t.Fatalf("JWKS %s", r.raw)
			}
			a := s.client(t, "app")
			r = a.do("POST", "/auth/signup", map[string]any{"email": "xia@example.com", "password": oaPassword})
			oaWant(t, r, 200)
			access, _ := s.tokens(t, r)
			oaWant(t, s.client(t, "app").do("GET", "/auth/session", nil, oaBearer(access)), 200)
			oaWant(t, s.client(t, "").do("POST", "/.well-known/jwks.json", nil, oaUnrouted()), 405, "method_not_allowed")
		})
	}
}
