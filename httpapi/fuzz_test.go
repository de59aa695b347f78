package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"golang.org/x/net/http/httpguts"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/latchtest"
	"github.com/latchauth/latch/sqlstore"
)

// FuzzRequestBodies sends arbitrary bodies to every route of the route table
// that reads a request (the headless API of both clients, the tutorial
// surfaces and the admin API) on a real SQLite-backed server, as an
// anonymous or a logged-in caller (for the admin API: a staff backend with
// an admin API key, on a fresh user), with the CSRF cookie and header a
// browser sends. Whatever the
// body, the answer is never a 5xx (a panic would be one, or a dropped
// connection), it is a JSON object whose status is the HTTP status, every
// error entry has a message and a code, and it matches the route's OpenAPI
// document (openapi.yaml, or openapi-compat.yaml for a tutorial surface).
//
// The route is named by its "METHOD path"; any other string picks a route by
// its hash, so that the fuzzer's mutations still land on routes. The mode
// byte chooses: bit 0 a logged-in caller (a fresh account), bits 1–2 the
// Content-Type, bit 3 a broken CSRF header (the body is then the header),
// bit 4 the body as the credential too (the session cookie of a browser,
// the X-Session-Token of an app, else the whole Authorization header: a
// bearer JWT, an admin API key, Basic credentials). On a GET the body is
// also sent as the email-verification and reset keys.
func FuzzRequestBodies(f *testing.F) {
	srv := latchtest.Start(f, latchtest.Options{
		Account: func(c *account.Config) {
			// Every optional route that leaves signup as it is (passkey
			// signup needs mandatory verification by code).
			c.LoginByCode, c.MFA.PasskeyLogin, c.AccountDeletion = true, true, true
		},
		HTTP: func(h *httpapi.Config) { h.Compat = []string{"all"} },
	})
	fz := &bodyFuzzer{url: srv.URL, docs: fuzzRouters(f)}
	for _, rt := range httpapi.AllRoutes() {
		switch rt.Surface {
		case "jwks", "forward-auth", "ops", "web-app", "brand":
			continue // no session, no body: nothing to decode
		case "provider-callback":
			continue // a provider's redirect, answered with redirects; its state is fuzzed by the social tests
		}
		if !fz.served(f, rt) {
			f.Logf("not served here: %s %s", rt.Method, rt.Path)
			continue
		}
		fz.routes = append(fz.routes, rt)
	}
	f.Logf("fuzzing %d routes", len(fz.routes))
	fz.anonCSRF = fz.csrfCookie(f)
	key, err := srv.Svc.Admin.CreateAPIKey(context.Background(), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	fz.adminKey, fz.db = key, srv.DB

	// One seed per route, anonymous or logged in in turn (the route's
	// access level decides which is the interesting one).
	for i, rt := range fz.routes {
		body := `{"email":"ann@example.com","password":"violet-Harbor-92","username":"ann","key":"k","code":"BCDF-GHJK"}`
		if i%2 == 1 {
			body = `{"email":1,"password":[],"refresh_token":{},"current_password":null,"primary":"yes"}`
		}
		f.Add(rt.Method+" "+rt.Path, byte(i%2), []byte(body))
	}
	signup := "POST /_allauth/app/v1/auth/signup"
	for i, body := range []string{
		"", "null", "[]", `"x"`, "{", `{"email":"a@b.c"}x`, "\xff", `{"email":"\u0000\ud800"}`,
		`{"a":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
		`{"email":"` + strings.Repeat("a", 300) + `@example.com","password":"` + strings.Repeat("p", 5000) + `"}`,
		`{"email":"ann@example.com","email":"bob@example.com","password":1e999}`,
	} {
		f.Add(signup, byte(i%2), []byte(body))
	}
	f.Add("POST /_allauth/browser/v1/auth/login", byte(9), []byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
	f.Add("POST /_allauth/browser/v1/auth/login", byte(4), []byte(`{"email":"a@b.c","password":"x"}`))
	f.Add("GET /_allauth/app/v1/auth/password/reset", byte(0), []byte("not-a-key"))
	f.Add("unknown route", byte(6), []byte(`{}`))
	f.Add("GET /_latch/admin/v1/users", byte(16), []byte("Bearer latch_admin_AAAA"))
	f.Add("GET /api/user/", byte(16), []byte("JWT eyJhbGciOiJFZERTQSJ9.e30.AAAA"))
	f.Add("POST /api/auth/login", byte(16), []byte("Basic YW5uOnBhc3N3b3Jk"))
	f.Add("GET /_allauth/app/v1/auth/session", byte(17), []byte("not-a-session-token"))
	f.Add("GET /_allauth/browser/v1/auth/session", byte(16), []byte(`"quoted"`))
	f.Fuzz(fz.check)
}

// bodyFuzzer is FuzzRequestBodies' client.
type bodyFuzzer struct {
	url      string
	routes   []httpapi.Route
	docs     []routers.Router // openapi.yaml, openapi-compat.yaml
	anonCSRF string           // a csrftoken for a caller without a session
	adminKey string           // an admin API key
	db       *sqlstore.DB
	accounts atomic.Int64
}

// contentTypes are the Content-Types the mode byte picks from ("" is none).
var contentTypes = [4]string{"application/json", "", "text/plain", "application/merge-patch+json; charset=utf-8"}

func (fz *bodyFuzzer) check(t *testing.T, name string, mode byte, body []byte) {
	rt := fz.pick(name)
	browser := rt.Surface == "headless-browser" || rt.Surface == "django-session" || rt.Surface == "drf-session"
	var who caller
	who.csrf, who.publicID = fz.anonCSRF, "usr_x"
	if mode&1 != 0 {
		who = fz.login(t, browser)
	}
	path := strings.NewReplacer("{public_id}", who.publicID, "{id}", who.publicID).Replace(rt.Path)
	// A request that hangs is a finding too: the server's own deadline
	// (LATCH_REQUEST_TIMEOUT, 10 s) should have answered it long before.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, rt.Method, fz.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct := contentTypes[mode>>1&3]; ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	header := who.csrf
	if mode&8 != 0 {
		header = headerValue(body)
	}
	switch {
	case browser:
		req.Header.Set("Origin", fz.url)
		req.Header.Set("Cookie", "csrftoken="+who.csrf)
		if who.sessionCookie != "" {
			req.Header.Add("Cookie", "sessionid="+who.sessionCookie)
		}
		req.Header.Set("X-CSRFToken", header)
	case who.publicID == "usr_x": // anonymous
	case rt.Surface == "headless-app":
		req.Header.Set("X-Session-Token", who.sessionToken)
	case rt.Surface == "admin":
		req.Header.Set("Authorization", "Bearer "+fz.adminKey)
	default:
		req.Header.Set("Authorization", "Bearer "+who.accessToken)
	}
	if mode&16 != 0 {
		switch v := headerValue(body); {
		case browser:
			req.Header.Add("Cookie", "sessionid="+v)
		case rt.Surface == "headless-app":
			req.Header.Set("X-Session-Token", v)
		default:
			req.Header.Set("Authorization", v)
		}
	}
	if rt.Method == http.MethodGet {
		req.Header.Set("X-Email-Verification-Key", headerValue(body))
		req.Header.Set("X-Password-Reset-Key", headerValue(body))
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %q: %v", name, body, err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()

	what := fmt.Sprintf("%s %s (mode %#x, body %.200q)", rt.Method, rt.Path, mode, body)
	if res.StatusCode >= 500 {
		t.Fatalf("%s: %d %s", what, res.StatusCode, raw)
	}
	if res.StatusCode == http.StatusNoContent && len(raw) == 0 {
		fz.validate(t, what, req, res, raw)
		return
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: %d with Content-Type %q: %s", what, res.StatusCode, ct, raw)
	}
	if !json.Valid(raw) {
		t.Fatalf("%s: %d, not JSON: %s", what, res.StatusCode, raw)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); (err != nil || obj == nil) && (res.StatusCode >= 400 || rt.Surface == "headless-browser" || rt.Surface == "headless-app") {
		t.Fatalf("%s: %d, not a JSON object: %s", what, res.StatusCode, raw)
	}
	if strings.HasPrefix(rt.Surface, "headless-") || rt.Surface == "admin" {
		checkEnvelope(t, what, rt.Path, res.StatusCode, obj)
	}
	fz.validate(t, what, req, res, raw)
}

// served reports whether the server serves rt: a route of a feature that is
// off is "No such endpoint".
func (fz *bodyFuzzer) served(tb testing.TB, rt httpapi.Route) bool {
	tb.Helper()
	path := strings.NewReplacer("{public_id}", "usr_x", "{id}", "usr_x").Replace(rt.Path)
	req, _ := http.NewRequest(rt.Method, fz.url+path, nil)
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode != http.StatusNotFound || !bytes.Contains(raw, []byte("No such endpoint"))
}

// pick returns the route name names, or one chosen by its hash.
func (fz *bodyFuzzer) pick(name string) httpapi.Route {
	for _, rt := range fz.routes {
		if rt.Method+" "+rt.Path == name {
			return rt
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fz.routes[h.Sum32()%uint32(len(fz.routes))]
}

// checkEnvelope checks a headless answer: its status is the HTTP status, and
// a 4xx either lists errors, each with a message and a code, or is one of
// the answers that carry none (the flows of a 401 or 410, a bare 403, 404 or
// 409, and allauth's bare 400 for a refused refresh token).
func checkEnvelope(t *testing.T, what, path string, status int, obj map[string]any) {
	t.Helper()
	if got, ok := obj["status"].(float64); !ok || int(got) != status {
		t.Fatalf("%s: body status %v, HTTP status %d", what, obj["status"], status)
	}
	if status < 400 {
		return
	}
	errs, has := obj["errors"].([]any)
	switch {
	case has && len(errs) == 0:
		t.Fatalf("%s: %d with an empty error list", what, status)
	case !has && status == 400 && strings.HasSuffix(path, "/tokens/refresh"):
	case !has && status != 401 && status != 403 && status != 404 && status != 409 && status != 410:
		t.Fatalf("%s: %d without errors: %v", what, status, obj)
	}
	for _, e := range errs {
		m, _ := e.(map[string]any)
		msg, _ := m["message"].(string)
		code, _ := m["code"].(string)
		if msg == "" || code == "" {
			t.Fatalf("%s: error entry %v lacks a message or a code", what, e)
		}
	}
}

// headerValue returns b as a header value, with the bytes a header cannot
// carry dropped.
func headerValue(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c != 0x7f {
			out = append(out, c)
		}
	}
	v := strings.TrimSpace(string(out))
	if !httpguts.ValidHeaderFieldValue(v) {
		return ""
	}
	return v
}

// csrfCookie returns the csrftoken cookie a GET of the browser config sets.
func (fz *bodyFuzzer) csrfCookie(tb testing.TB) string {
	tb.Helper()
	res, err := http.Get(fz.url + "/_allauth/browser/v1/config")
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "csrftoken" {
			return c.Value
		}
	}
	tb.Fatal("no csrftoken cookie")
	return ""
}

// caller is who sends a request: its public id ("usr_x" for an anonymous
// caller) and its credentials.
type caller struct {
	publicID                  string
	sessionCookie, csrf       string // browser
	sessionToken, accessToken string // app
}

// login signs up a fresh account (a request may log it out or change its
// password) and returns its session: for a browser the session cookie and
// the csrftoken issued with it, for an app the access token (which the app
// tree also takes in place of the session token, and the token surfaces
// take as a bearer); and its public id.
func (fz *bodyFuzzer) login(t *testing.T, browser bool) caller {
	n := fz.accounts.Add(1)
	kind := "app"
	if browser {
		kind = "browser"
	}
	email := fmt.Sprintf("fuzz%d@example.com", n)
	body := `{"email":"` + email + `","password":"violet-Harbor-92"}`
	req, _ := http.NewRequest("POST", fz.url+"/_allauth/"+kind+"/v1/auth/signup", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if browser {
		req.Header.Set("Origin", fz.url)
		req.Header.Set("Cookie", "csrftoken="+fz.anonCSRF)
		req.Header.Set("X-CSRFToken", fz.anonCSRF)
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		Meta struct {
			SessionToken string `json:"session_token"`
			AccessToken  string `json:"access_token"`
		} `json:"meta"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil || res.StatusCode != 200 {
		t.Fatalf("signup: %d, %v", res.StatusCode, err)
	}
	u, err := fz.db.Users.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	c := caller{publicID: u.PublicID, sessionToken: env.Meta.SessionToken, accessToken: env.Meta.AccessToken}
	if !browser {
		if c.sessionToken == "" || c.accessToken == "" {
			t.Fatal("signup: no session or access token")
		}
		return c
	}
	for _, k := range res.Cookies() {
		switch k.Name {
		case "sessionid":
			c.sessionCookie = k.Value
		case "csrftoken":
			c.csrf = k.Value
		}
	}
	if c.sessionCookie == "" || c.csrf == "" {
		t.Fatal("signup: no session or csrftoken cookie")
	}
	return c
}

// fuzzRouters returns routers over openapi.yaml and openapi-compat.yaml.
func fuzzRouters(tb testing.TB) []routers.Router {
	tb.Helper()
	var out []routers.Router
	for _, path := range []string{oaDocPath, compatDocPath} {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(path)
		if err != nil {
			tb.Fatalf("load %s: %v", path, err)
		}
		doc.Servers = openapi3.Servers{{URL: harnessBase}}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			tb.Fatalf("router for %s: %v", path, err)
		}
		out = append(out, router)
	}
	return out
}

// validate checks the response against the document that has its operation.
func (fz *bodyFuzzer) validate(t *testing.T, what string, req *http.Request, res *http.Response, raw []byte) {
	t.Helper()
	vreq, _ := http.NewRequest(req.Method, harnessBase+req.URL.RequestURI(), nil)
	vreq.Header = req.Header.Clone()
	for _, router := range fz.docs {
		route, params, err := router.FindRoute(vreq)
		if err != nil {
			continue
		}
		opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
		in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
		out.SetBodyBytes(raw)
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Fatalf("%s: response %d does not match the document: %v\nbody: %s", what, res.StatusCode, err, raw)
		}
		return
	}
	t.Fatalf("%s: in neither OpenAPI document", what)
}
