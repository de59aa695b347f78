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
	"os"
	"regexp"
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
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sqlstore"
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
}

func startOpenAPIServer(t *testing.T, configure func(*account.Config)) *oaServer {
	t.Helper()
	cfg := account.DefaultConfig()
	if configure != nil {
		configure(&cfg)
	}
	db := testdb.OpenSQLite(t)
	log := slog.New(slog.DiscardHandler)
	svc := account.New(cfg, db, oaNoMail{}, password.NewHasher(password.TestParams), ratelimit.NewMemory(nil), log, nil)
	hs := httptest.NewUnstartedServer(nil)
	hs.Config.Handler = httpapi.New(httpapi.Config{
		PublicURL: &url.URL{Scheme: "http", Host: hs.Listener.Addr().String()},
	}, svc, db, log)
	hs.Start()
	t.Cleanup(hs.Close)
	s := &oaServer{Server: hs, db: db}
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
	offDoc      bool // the document must refuse this request
	unrouted    bool // the document has no operation for it (404/405)
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
// understands them: an API key must be present where the scheme says.
func oaCheckCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	s := in.SecurityScheme
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
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("%s: Content-Type %q", what, ct)
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
	oaWant(t, u.do("GET", "/auth/session", nil), 500, "internal_error")
	oaWant(t, u.do("GET", "/config", nil), 500, "internal_error")
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
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": work}, oaOffDoc()), 401)
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
			oaWant(t, c.do("POST", "/account/email", map[string]any{"email": "owner@example.com"}), 400, "email:email_taken")
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
// route registered in routes.go is in the document (once per client tree
// for the headless API), the document has no operation the route table
// lacks, and every operation of the document is answered by the running
// server (not with 404 or 405).
func TestOpenAPIRoutes(t *testing.T) {
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	code := string(src)
	if !strings.Contains(code, `[]latch.ClientKind{latch.Browser, latch.App}`) || !strings.Contains(code, `"/_allauth/" + string(kind) + "/v1"`) {
		t.Fatal("routes.go no longer registers the headless API once per client tree under /_allauth/{kind}/v1; update this test")
	}
	served := map[string]bool{} // "METHOD /path"
	for _, m := range regexp.MustCompile(`\bapi\("([A-Z]+) (/[^"]*)"`).FindAllStringSubmatch(code, -1) {
		for _, kind := range []string{"browser", "app"} {
			served[m[1]+" /_allauth/"+kind+"/v1"+m[2]] = true
		}
	}
	direct := regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`)
	for _, m := range direct.FindAllStringSubmatch(code, -1) {
		served[m[1]+" "+m[2]] = true
	}
	// Any other registration is one this test cannot read.
	for _, call := range regexp.MustCompile(`mux\.Handle(?:Func)?\([^\n]*`).FindAllString(code, -1) {
		if !direct.MatchString(call) && !strings.HasPrefix(call, `mux.Handle(method+" "+p+path,`) {
			t.Errorf("routes.go: cannot read the route of %q; update this test", call)
		}
	}
	if len(served) < 10 {
		t.Fatalf("found only %d routes in routes.go", len(served))
	}

	// Some routes are registered only when their feature is on.
	s := startOpenAPIServer(t, func(c *account.Config) {
		c.LoginByCode, c.VerificationByCode, c.PasswordResetByCode = true, true, true
	})
	documented := map[string]bool{}
	for path, item := range s.doc.Paths.Map() {
		if strings.Contains(path, "{") {
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

	// Every documented operation answers (anonymously), and not as unknown.
	for _, r := range slices.Sorted(maps.Keys(documented)) {
		method, path, _ := strings.Cut(r, " ")
		req, _ := http.NewRequest(method, s.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
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

	check := func(name, method, path string, status int, body string, header http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, nil)
		route, params, err := s.router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		if header == nil {
			header = http.Header{}
		}
		header.Set("Content-Type", "application/json")
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 status, Header: header, Options: oaValidationOptions(),
		}
		in.SetBodyBytes([]byte(body))
		if err := openapi3filter.ValidateResponse(context.Background(), in); err == nil {
			t.Errorf("%s: the document accepts %d %s", name, status, body)
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
	check("config without usersessions", "GET", "/_allauth/app/v1/config", 200,
		`{"status":200,"data":{"account":{"login_methods":["email"],"is_open_for_signup":true,"email_verification_by_code_enabled":false,"login_by_code_enabled":false,"password_reset_by_code_enabled":false,"authentication_method":"email"}}}`, nil)
}
