package httpapi_test

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/latchtest"
	"github.com/latchauth/latch/internal/smtptest"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/sqlstore"
)

// latchServer is a real Latch HTTP server on a fresh database, with a clock
// the test controls.
type latchServer struct {
	*httptest.Server
	db   *sqlstore.DB
	smtp *smtptest.Server // receives everything the server mails
	keys *keyring.Keyring
	core *account.Service
	mu   sync.Mutex
	now  time.Time
}

func (s *latchServer) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// advance moves the server's clock forward.
func (s *latchServer) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

type serverOption func(*account.Config, *httpapi.Config)

// startLatch starts a server on db with the default configuration changed by opts.
func startLatch(t *testing.T, db *sqlstore.DB, opts ...serverOption) *latchServer {
	t.Helper()
	return startLatchLogging(t, db, io.Discard, opts...)
}

// startLatchLogging is startLatch with the server's log written to logs.
// The server is the shared test wiring (internal/latchtest) with the session
// strategy, no rate limits, and a clock the test moves.
func startLatchLogging(t *testing.T, db *sqlstore.DB, logs io.Writer, opts ...serverOption) *latchServer {
	t.Helper()
	return startLatchWith(t, latchtest.Options{DB: db, Log: logs}, opts...)
}

// startLatchWith is startLatch with the test wiring's other options (a
// hasher or rate limiter of the test's) taken from base.
func startLatchWith(t *testing.T, base latchtest.Options, opts ...serverOption) *latchServer {
	t.Helper()
	s := &latchServer{db: base.DB, now: time.Now()}
	// An option touches one of the two configurations; each is applied to
	// the real one of its kind and a throwaway of the other.
	srv := latchtest.Start(t, latchtest.Options{DB: base.DB, Now: s.clock, Log: base.Log, Hasher: base.Hasher, Limiter: base.Limiter,
		HTTP: func(h *httpapi.Config) {
			for _, o := range opts {
				o(&account.Config{}, h)
			}
		},
		Account: func(c *account.Config) {
			c.Tokens.Strategy = "session"
			for _, o := range opts {
				o(c, &httpapi.Config{})
			}
		},
	})
	s.Server, s.smtp, s.keys, s.db, s.core = srv.Server, srv.SMTP, srv.Keys, srv.DB, srv.Svc
	return s
}

// eachEngine runs fn once per database engine.
func eachEngine(t *testing.T, fn func(t *testing.T, db func(t *testing.T) *sqlstore.DB)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, func(t *testing.T) *sqlstore.DB { return e.Open(t) })
		})
	}
}

// client speaks one client kind of the headless API, keeping its session as
// that kind does: cookies and CSRF for the browser, X-Session-Token for the app.
type client struct {
	t      *testing.T
	srv    *latchServer
	kind   string
	http   *http.Client
	token  string // app: the current session token
	origin string // browser: the Origin header to send
}

func newClient(t *testing.T, srv *latchServer, kind string) *client {
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, srv: srv, kind: kind, http: &http.Client{Jar: jar}, origin: srv.URL}
	if kind == "browser" {
		c.do("GET", "/config", nil) // receive the csrftoken cookie
	}
	return c
}

// response is a decoded envelope.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r *response) data() map[string]any { m, _ := r.Body["data"].(map[string]any); return m }
func (r *response) meta() map[string]any { m, _ := r.Body["meta"].(map[string]any); return m }

// errorCodes lists "param:code" of every error entry ("code" alone without param).
func (r *response) errorCodes() []string {
	var out []string
	list, _ := r.Body["errors"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		code, _ := m["code"].(string)
		if p, ok := m["param"].(string); ok {
			code = p + ":" + code
		}
		out = append(out, code)
	}
	return out
}

func (r *response) flowIDs() []string {
	var out []string
	flows, _ := r.data()["flows"].([]any)
	for _, f := range flows {
		m := f.(map[string]any)
		id := m["id"].(string)
		if m["is_pending"] == true {
			id += "*"
		}
		out = append(out, id)
	}
	return out
}

func (c *client) csrf() string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.http.Jar.Cookies(u) {
		if k.Name == "csrftoken" {
			return k.Value
		}
	}
	return ""
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.srv.URL)
	for _, k := range c.http.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// do sends a request to path under the client's API tree; body is encoded
// as JSON unless it is a string, which is sent as is.
func (c *client) do(method, path string, body any, headers ...string) *response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, c.srv.URL+"/_allauth/"+c.kind+"/v1"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.kind == "app" {
		if c.token != "" {
			req.Header.Set("X-Session-Token", c.token)
		}
	} else if method != "GET" {
		req.Header.Set("X-CSRFToken", c.csrf())
		req.Header.Set("Origin", c.origin)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	validateHarnessResponse(c.t, req, res, raw)
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		c.t.Fatalf("%s %s: response is not JSON (%d): %q", method, path, res.StatusCode, raw)
	}
	if got, ok := r.Body["status"].(float64); !ok || int(got) != res.StatusCode {
		c.t.Errorf("%s %s: body status %v, HTTP status %d", method, path, r.Body["status"], res.StatusCode)
	}
	if tok, ok := r.meta()["session_token"].(string); ok {
		if c.kind != "app" {
			c.t.Errorf("%s %s: browser response carries a session token", method, path)
		}
		c.token = tok
	}
	return r
}

// expect fails the test unless r has the status and, when given, the error codes.
func expect(t *testing.T, r *response, status int, codes ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if len(codes) > 0 && strings.Join(r.errorCodes(), ",") != strings.Join(codes, ",") {
		t.Fatalf("errors %v, want %v: %s", r.errorCodes(), codes, r.Raw)
	}
}

const goodPassword = "violet-Harbor-92"

// signup creates an account through c and fails the test unless it works.
func (c *client) signup(email, username string) *response {
	c.t.Helper()
	body := map[string]any{"email": email, "password": goodPassword}
	if username != "" {
		body["username"] = username
	}
	r := c.do("POST", "/auth/signup", body)
	expect(c.t, r, 200)
	return r
}

func openSQLite(t *testing.T) *sqlstore.DB { return testdb.OpenSQLite(t) }

// djangoHash makes a hash the way Django's PBKDF2PasswordHasher does.
func djangoHash(plain, salt string, iterations int) string {
	key, _ := pbkdf2.Key(sha256.New, plain, []byte(salt), iterations, 32)
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iterations, salt, base64.StdEncoding.EncodeToString(key))
}

// mailTo waits for the next mail to addr.
func (s *latchServer) mailTo(t *testing.T, addr string) smtptest.Received {
	t.Helper()
	return s.smtp.Wait(t, addr, 5*time.Second)
}

var (
	codePattern = regexp.MustCompile(`\b[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}\b`)
	keyPattern  = regexp.MustCompile(`/(?:verify-email|reset/key)/([A-Za-z0-9_-]{20,})`)
)

// codeIn returns the code in a mail, failing the test when there is none.
func codeIn(t *testing.T, m smtptest.Received) string {
	t.Helper()
	code := codePattern.FindString(m.Text)
	if code == "" {
		t.Fatalf("no code in mail %q: %s", m.Subject, m.Text)
	}
	return code
}

// keyIn returns the key of the link in a mail.
func keyIn(t *testing.T, m smtptest.Received) string {
	t.Helper()
	k := keyPattern.FindStringSubmatch(m.Text)
	if k == nil {
		t.Fatalf("no link key in mail %q: %s", m.Subject, m.Text)
	}
	return k[1]
}

// harnessRouter is a router over openapi.yaml, served at harnessBase, for
// validating the harness client's responses.
var harnessRouter struct {
	once   sync.Once
	router routers.Router
}

const harnessBase = "http://latch.test"

// validateHarnessResponse checks the response to a request for a documented
// operation against the document, as the OpenAPI client does (which also
// checks requests: the harness's tests send malformed ones on purpose).
func validateHarnessResponse(t *testing.T, req *http.Request, res *http.Response, raw []byte) {
	t.Helper()
	harnessRouter.once.Do(func() {
		doc := loadOpenAPIDoc(t)
		doc.Servers = openapi3.Servers{{URL: harnessBase}}
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			t.Fatalf("router: %v", err)
		}
		harnessRouter.router = router
	})
	if harnessRouter.router == nil {
		t.Fatal("openapi.yaml did not load")
	}
	vreq, _ := http.NewRequest(req.Method, harnessBase+req.URL.RequestURI(), nil)
	vreq.Header = req.Header.Clone()
	route, params, err := harnessRouter.router.FindRoute(vreq)
	if err != nil {
		// Not an operation of the document (a test of the 404 and 405
		// answers): TestOpenAPIRoutes and the OpenAPI client cover those.
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: response %d does not match the document: %v\nbody: %s", req.Method, req.URL.Path, res.StatusCode, err, raw)
	}
}
