package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/password"
)

// The tutorial-compatible surfaces are tested by replaying what each
// tutorial's frontend sends. Every request and response goes through
// openapi-compat.yaml as well, in both directions: a response the document
// does not describe fails the test, and so does a request the document
// refuses unless the test marks it as breaking the document on purpose.

const compatDocPath = "openapi-compat.yaml"

// compat enables tutorial surfaces on a test server.
func compat(names ...string) serverOption {
	return func(_ *account.Config, h *httpapi.Config) { h.Compat = names }
}

// loadCompatDoc parses and validates openapi-compat.yaml.
func loadCompatDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(compatDocPath)
	if err != nil {
		t.Fatalf("load %s: %v", compatDocPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", compatDocPath, err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("%s: openapi %q, want 3.1", compatDocPath, doc.OpenAPI)
	}
	return doc
}

// tutorialClient is a tutorial's frontend: it keeps cookies as a browser
// does (and, for the browser surfaces, sends the Origin a same-origin fetch
// sends), and follows no redirects by itself.
type tutorialClient struct {
	t      *testing.T
	srv    *latchServer
	jar    *cookiejar.Jar
	origin string
	router routers.Router
}

func newTutorialClient(t *testing.T, srv *latchServer) *tutorialClient {
	t.Helper()
	doc := loadCompatDoc(t)
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	return &tutorialClient{t: t, srv: srv, jar: jar, origin: srv.URL, router: router}
}

// tutorialResp is a decoded response.
type tutorialResp struct {
	Status int
	Header http.Header
	Raw    string
	Body   any
}

// obj returns the body as an object (nil if it is not one).
func (r *tutorialResp) obj() map[string]any { m, _ := r.Body.(map[string]any); return m }

// str returns a string member of the body.
func (r *tutorialResp) str(key string) string { s, _ := r.obj()[key].(string); return s }

// cookie returns the client's cookie.
func (c *tutorialClient) cookie(name string) string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// do sends a request the document accepts. body is JSON-encoded unless it is
// a string, sent as is; headers are name/value pairs, an empty value removing
// the header.
func (c *tutorialClient) do(method, path string, body any, headers ...string) *tutorialResp {
	c.t.Helper()
	return c.send(false, method, path, body, headers...)
}

// off sends a request that breaks the document (missing credentials or
// fields): the test fails unless the document refuses it too.
func (c *tutorialClient) off(method, path string, body any, headers ...string) *tutorialResp {
	c.t.Helper()
	return c.send(true, method, path, body, headers...)
}

func (c *tutorialClient) send(offDoc bool, method, path string, body any, headers ...string) *tutorialResp {
	c.t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		payload, _ = json.Marshal(b)
	}
	build := func() *http.Request {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(context.Background(), method, c.srv.URL+path, rd)
		if err != nil {
			c.t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if method != http.MethodGet && method != http.MethodHead {
			req.Header.Set("Origin", c.origin)
		}
		for _, k := range c.jar.Cookies(req.URL) {
			req.AddCookie(k)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			if headers[i+1] == "" {
				req.Header.Del(headers[i])
			} else {
				req.Header.Set(headers[i], headers[i+1])
			}
		}
		return req
	}
	what := method + " " + path

	vreq := build()
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		c.t.Fatalf("%s: not in %s: %v", what, compatDocPath, err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: compatCredentials}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	switch err := openapi3filter.ValidateRequest(context.Background(), in); {
	case err != nil && !offDoc:
		c.t.Errorf("%s: the document refuses a request meant to be valid: %v", what, err)
	case err == nil && offDoc:
		c.t.Errorf("%s: the document accepts a request meant to break it (body %s)", what, payload)
	}

	sent := build()
	res, err := http.DefaultTransport.RoundTrip(sent)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &tutorialResp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s: response %d does not match the document: %v\nbody: %s", what, res.StatusCode, err, raw)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		c.t.Errorf("%s: Content-Type %q", what, ct)
	}
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		c.t.Fatalf("%s: response %d is not JSON: %q", what, res.StatusCode, raw)
	}
	c.jar.SetCookies(sent.URL, res.Cookies())
	return r
}

// compatCredentials is the document's security schemes as the test client
// understands them: the credential must be present where the scheme says.
func compatCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	s := in.SecurityScheme
	switch {
	case s.Type == "http":
		scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, s.Scheme) {
			return fmt.Errorf("no %s credentials", s.Scheme)
		}
	case s.In == "header":
		if r.Header.Get(s.Name) == "" {
			return fmt.Errorf("no %s header", s.Name)
		}
	case s.In == "cookie":
		if k, err := r.Cookie(s.Name); err != nil || k.Value == "" {
			return fmt.Errorf("no %s cookie", s.Name)
		}
	default:
		return fmt.Errorf("security scheme %s: unexpected %s/%s", in.SecuritySchemeName, s.Type, s.In)
	}
	return nil
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// want fails the test unless r has the status and, when given, exactly this
// JSON body.
func want(t *testing.T, r *tutorialResp, status int, body ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if len(body) > 0 && strings.TrimSpace(r.Raw) != body[0] {
		t.Fatalf("body %s, want %s", strings.TrimSpace(r.Raw), body[0])
	}
}

// plainRequest sends a request outside the document, as any client would,
// and returns its status and body.
func plainRequest(t *testing.T, method, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, u, ct)
	}
	return res.StatusCode, string(b)
}

// createUser stores an account directly, as an import or createsuperuser
// would, with goodPassword.
func createUser(t *testing.T, srv *latchServer, email, username string, superuser bool) *latch.User {
	t.Helper()
	hash, err := password.NewHasher(password.TestParams).Hash(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	now := srv.clock()
	var b [16]byte
	rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	u := &latch.User{PublicID: fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]),
		Username: username, PasswordHash: hash, IsActive: true, IsStaff: superuser, IsSuperuser: superuser,
		DateJoined: now, Updated: now, Email: email}
	if err := srv.db.Users.CreateUser(context.Background(), u, []latch.EmailAddress{{Email: email, Verified: true, Primary: true, Created: now}}); err != nil {
		t.Fatal(err)
	}
	return u
}

// compatRoutes returns the tutorial surfaces' routes in the route table, as
// "METHOD /path" by surface name.
func compatRoutes(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for _, r := range httpapi.AllRoutes() {
		switch r.Surface {
		case "django-session", "drf-session", "drf-jwt", "simplejwt":
			if out[r.Surface] == nil {
				out[r.Surface] = map[string]bool{}
			}
			out[r.Surface][r.Method+" "+r.Path] = true
		}
	}
	return out
}

// TestCompatOpenAPIRoutes keeps openapi-compat.yaml and the surfaces in step:
// every route a compat_<name>.go registers is documented under the tag
// <name>, the document has no operation the surfaces lack, and with "all"
// enabled every documented operation is answered (not 404 or 405).
func TestCompatOpenAPIRoutes(t *testing.T) {
	doc := loadCompatDoc(t)
	surfaces := compatRoutes(t)
	if got := slices.Sorted(maps.Keys(surfaces)); !slices.Equal(got, []string{"django-session", "drf-jwt", "drf-session", "simplejwt"}) {
		t.Fatalf("surfaces found: %v", got)
	}
	documented := map[string]string{} // "METHOD /path" → tag
	redirects := map[string]bool{}
	ids := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if len(op.Tags) != 1 {
				t.Errorf("%s %s: tags %v, want the surface's name", method, path, op.Tags)
				continue
			}
			documented[method+" "+path] = op.Tags[0]
			if ids[op.OperationID] || op.OperationID == "" {
				t.Errorf("%s %s: operationId %q is not unique", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Responses.Len() == 1 && op.Responses.Value("301") != nil {
				redirects[method+" "+path] = true
			} else if op.Responses.Value("500") == nil {
				t.Errorf("%s %s: no 500 response", method, path)
			}
		}
	}
	for name, routes := range surfaces {
		for r := range routes {
			if tag, ok := documented[r]; !ok {
				t.Errorf("%s (%s) is served but not in %s", r, name, compatDocPath)
			} else if tag != name {
				t.Errorf("%s is served by %s but documented under %s", r, name, tag)
			}
		}
	}
	for r, tag := range documented {
		// A redirect to the path with its trailing slash is the router's
		// for every such route: the surface must serve that path.
		if redirects[r] {
			r += "/"
		}
		if !surfaces[tag][r] {
			t.Errorf("%s is in %s under %s but not served by it", r, compatDocPath, tag)
		}
	}

	srv := startLatch(t, openSQLite(t), compat("all"))
	for _, r := range slices.Sorted(maps.Keys(documented)) {
		method, path, _ := strings.Cut(r, " ")
		path = strings.ReplaceAll(path, "{public_id}", "00000000-0000-4000-8000-000000000000")
		if status, body := plainRequest(t, method, srv.URL+path); status == 404 && !strings.Contains(body, "detail") || status == 405 {
			t.Errorf("%s: %d %s", r, status, body)
		}
	}
}

// TestCompatDisabled checks that no tutorial route exists unless its surface
// is enabled, that each surface brings only its own routes, and that naming
// a surface twice (or with "all") is harmless.
func TestCompatDisabled(t *testing.T) {
	surfaces := compatRoutes(t)
	probe := func(srv *latchServer, r string) int {
		method, path, _ := strings.Cut(r, " ")
		path = strings.ReplaceAll(path, "{public_id}", "00000000-0000-4000-8000-000000000000")
		status, body := plainRequest(t, method, srv.URL+path)
		switch {
		case status == 404 && !strings.Contains(body, `"not_found"`):
			return 0 // a surface's own 404 (unknown user), not the fallback's
		case status == http.StatusTemporaryRedirect:
			// A redirect to the same path with a trailing slash: another
			// surface's route.
			return 404
		}
		return status
	}
	db := openSQLite(t)
	off := startLatch(t, db)
	for name, routes := range surfaces {
		for r := range routes {
			if status := probe(off, r); status != 404 {
				t.Errorf("%s (%s) answers %d with no surface enabled, want 404", r, name, status)
			}
		}
	}
	for name := range surfaces {
		srv := startLatch(t, openSQLite(t), compat(name, name, "all", name))
		only := startLatch(t, openSQLite(t), compat(name))
		for other, routes := range surfaces {
			for r := range routes {
				if status := probe(srv, r); status == 404 {
					t.Errorf("with %s twice and all: %s (%s) is 404", name, r, other)
				}
				status := probe(only, r)
				if own := other == name || surfaces[name][r]; own == (status == 404) {
					t.Errorf("with only %s: %s (%s) answers %d", name, r, other, status)
				}
			}
		}
	}
}

// TestCompatAppendSlash: every path of the surfaces that ends in a slash,
// asked for without it, is redirected there in JSON (301 for GET, as
// Django's APPEND_SLASH; 307 otherwise, keeping the method and body) —
// unless another surface serves that path itself.
func TestCompatAppendSlash(t *testing.T) {
	surfaces := compatRoutes(t)
	served := map[string]bool{}
	for _, routes := range surfaces {
		maps.Copy(served, routes)
	}
	srv := startLatch(t, openSQLite(t), compat("all"))
	checked := 0
	for r := range served {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasSuffix(path, "/") || served[method+" "+strings.TrimSuffix(path, "/")] {
			continue
		}
		path = strings.ReplaceAll(strings.TrimSuffix(path, "/"), "{public_id}", "abc")
		status, body := plainRequest(t, method, srv.URL+path+"?next=1")
		wantStatus := http.StatusTemporaryRedirect
		if method == http.MethodGet {
			wantStatus = http.StatusMovedPermanently
		}
		if status != wantStatus || body != `{"detail":"This endpoint is at `+path+`/?next=1"}`+"\n" {
			t.Errorf("%s %s: %d %s", method, path, status, body)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d routes checked", checked)
	}

	// A client that follows redirects logs in at /token-auth.
	createUser(t, srv, "gil@example.com", "gil", false)
	res, err := http.Post(srv.URL+"/token-auth", "application/json", strings.NewReader(`{"username": "gil", "password": "`+goodPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/token-auth/" {
		t.Errorf("POST /token-auth, followed: %d at %s", res.StatusCode, res.Request.URL.Path)
	}
}
