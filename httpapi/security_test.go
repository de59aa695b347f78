package httpapi_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
)

// TestCSRF probes the browser API as a browser and as an attacker would.
func TestCSRF(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(_ *account.Config, h *httpapi.Config) {
		h.CORSOrigins = []string{"http://spa.example:5173"}
		h.TrustedOrigins = []string{"https://proxy.example"}
	})
	login := map[string]any{"email": "nan@example.com", "password": goodPassword}
	setup := newClient(t, srv, "browser")
	setup.signup("nan@example.com", "")

	tests := []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"valid", nil, 200, ""},
		{"no header", []string{"X-CSRFToken", ""}, 403, "csrf_header_missing"},
		{"wrong token", []string{"X-CSRFToken", strings.Repeat("a", 32)}, 403, "csrf_token_mismatch"},
		{"malformed token", []string{"X-CSRFToken", "<script>"}, 403, "csrf_token_mismatch"},
		{"no cookie", []string{"Cookie", "drop"}, 403, "csrf_cookie_missing"},
		{"foreign origin", []string{"Origin", "https://evil.example"}, 403, "csrf_origin"},
		{"cross-site fetch", []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}, 403, "csrf_origin"},
		{"cors origin", []string{"Origin", "http://spa.example:5173"}, 200, ""},
		{"trusted origin", []string{"Origin", "https://proxy.example"}, 200, ""},
		{"same-origin fetch", []string{"Origin", "", "Sec-Fetch-Site", "same-origin"}, 200, ""},
		{"no origin (non-browser client)", []string{"Origin", ""}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv, "browser")
			if len(tt.headers) == 2 && tt.headers[0] == "Cookie" {
				// Forget the cookie but still send its value in the header.
				token := c.csrf()
				c.http.Jar, _ = cookiejar.New(nil)
				tt.headers = []string{"X-CSRFToken", token}
			}
			r := c.do("POST", "/auth/login", login, tt.headers...)
			if tt.code == "" {
				expect(t, r, tt.status)
				return
			}
			expect(t, r, tt.status, tt.code)
			if msg := r.Body["errors"].([]any)[0].(map[string]any)["message"].(string); !strings.Contains(msg, "LATCH_") && !strings.Contains(msg, "X-CSRFToken") && !strings.Contains(msg, "cookie") {
				t.Errorf("refusal does not say how to fix it: %q", msg)
			}
		})
	}

	// The masked 64-character form Django's templates use is accepted too.
	c := newClient(t, srv, "browser")
	expect(t, c.do("POST", "/auth/login", login, "X-CSRFToken", mask(c.csrf())), 200)

	// Login rotates both the session cookie and the CSRF token; the old
	// token no longer works.
	c = newClient(t, srv, "browser")
	before := c.csrf()
	expect(t, c.do("POST", "/auth/login", login), 200)
	if c.csrf() == before || c.cookie("sessionid") == "" {
		t.Error("login did not rotate the CSRF token or set the session cookie")
	}
	expect(t, c.do("DELETE", "/auth/session", nil, "X-CSRFToken", before), 403, "csrf_token_mismatch")
	expect(t, c.do("DELETE", "/auth/session", nil), 401)
	if c.cookie("sessionid") != "" {
		t.Error("logout left the session cookie")
	}

	// The app client has no CSRF and ignores cookies.
	app := newClient(t, srv, "app")
	expect(t, app.do("POST", "/auth/login", login, "Origin", "https://evil.example"), 200)
}

// mask produces Django's masked CSRF token form for a 32-character secret.
func mask(secret string) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	m := "0123456789abcdefghijklmnopqrstuv"
	out := []byte(m)
	for i := 0; i < 32; i++ {
		x := strings.IndexByte(chars, secret[i])
		y := strings.IndexByte(chars, m[i])
		out = append(out, chars[(x+y)%len(chars)])
	}
	return string(out)
}

func TestCORS(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(_ *account.Config, h *httpapi.Config) {
		h.CORSOrigins = []string{"http://spa.example:5173"}
	})
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", srv.URL+"/_allauth/browser/v1/auth/login", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-csrftoken")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := preflight("http://spa.example:5173")
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "http://spa.example:5173" ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "x-csrftoken") {
		t.Errorf("allowed preflight: %d %v", res.StatusCode, res.Header)
	}
	res = preflight("https://evil.example")
	if res.StatusCode != 403 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: %d %v", res.StatusCode, res.Header)
	}
	c := newClient(t, srv, "browser")
	r := c.do("GET", "/auth/session", nil, "Origin", "http://spa.example:5173")
	if r.Header.Get("Access-Control-Allow-Origin") != "http://spa.example:5173" || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("simple request headers: %v", r.Header)
	}
	r = c.do("GET", "/auth/session", nil, "Origin", "https://evil.example")
	if r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("foreign origin got CORS headers")
	}
}

func TestSecurityHeaders(t *testing.T) {
	for _, public := range []string{"", "https://auth.example.com"} {
		srv := startLatch(t, openSQLite(t), func(_ *account.Config, h *httpapi.Config) {
			if public != "" {
				h.PublicURL, _ = url.Parse(public)
			}
		})
		c := newClient(t, srv, "browser")
		r := c.do("GET", "/auth/session", nil)
		// A JSON answer needs no document-only header (X-Frame-Options,
		// Referrer-Policy, COOP): the web app's pages carry those
		// (TestAppRoutes, package web).
		for k, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"Content-Type":            "application/json",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
		}
		hsts := r.Header.Get("Strict-Transport-Security")
		if (public != "") != (hsts != "") {
			t.Errorf("public URL %q: HSTS = %q", public, hsts)
		}
		if public != "" {
			r = c.do("POST", "/auth/signup", map[string]any{"email": "oz@example.com", "password": goodPassword}, "Origin", public)
			for _, v := range r.Header.Values("Set-Cookie") {
				if !strings.Contains(v, "Secure") {
					t.Errorf("cookie without Secure behind https: %s", v)
				}
			}
		}
	}
}

// TestBadInput throws malformed requests at every endpoint: each answer is a
// JSON error of the spec's shape, never HTML, never a 500.
func TestBadInput(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(_ *account.Config, h *httpapi.Config) { h.MaxBodyBytes = 4096 })
	endpoints := []struct{ method, path string }{
		{"POST", "/auth/login"}, {"POST", "/auth/signup"}, {"DELETE", "/auth/sessions"},
		{"POST", "/account/password/change"}, {"DELETE", "/auth/session"},
	}
	huge := `{"email":"` + strings.Repeat("a", 10000) + `"}`
	bodies := []struct {
		name   string
		body   string
		ctype  string
		status []int
	}{
		{"malformed", `{"email":`, "application/json", []int{400, 401}},
		{"array", `[1,2]`, "application/json", []int{400, 401}},
		{"string", `"x"`, "application/json", []int{400, 401}},
		{"not utf-8", "{\"email\":\"\xff\"}", "application/json", []int{400, 401}},
		{"huge", huge, "application/json", []int{413, 401}},
		{"form encoded", "email=a", "application/x-www-form-urlencoded", []int{415, 401}},
		{"wrong types", `{"email":[],"username":{},"password":1,"sessions":{"a":1},"current_password":false,"new_password":null}`, "application/json", []int{400, 401}},
	}
	for _, kind := range []string{"app", "browser"} {
		c := newClient(t, srv, kind)
		for _, ep := range endpoints {
			for _, b := range bodies {
				r := c.do(ep.method, ep.path, b.body, "Content-Type", b.ctype)
				if r.Status != b.status[0] && r.Status != b.status[1] {
					t.Errorf("%s %s %s %s: status %d: %s", kind, ep.method, ep.path, b.name, r.Status, r.Raw)
				}
				if r.Status == 400 && len(r.errorCodes()) == 0 {
					t.Errorf("%s %s %s %s: 400 without errors", kind, ep.method, ep.path, b.name)
				}
			}
		}
		expect(t, c.do("GET", "/no/such/path", nil), 404, "not_found")
		r := c.do("PUT", "/auth/login", nil)
		expect(t, r, 405, "method_not_allowed")
		if !strings.Contains(r.Header.Get("Allow"), "POST") {
			t.Errorf("405 Allow = %q", r.Header.Get("Allow"))
		}
		expect(t, c.do("PATCH", "/config", nil), 405, "method_not_allowed")
	}
	for _, path := range []string{"/", "/_allauth/", "/_allauth/browser/v2/config", "/admin"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

func TestHealth(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	srv.db.Close()
	res, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 {
		t.Errorf("/readyz with the database closed: %d", res.StatusCode)
	}
}
