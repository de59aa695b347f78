package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// csrfCookieHTTPOnly is LATCH_CSRF_COOKIE_HTTPONLY (Django's
// CSRF_COOKIE_HTTPONLY).
func csrfCookieHTTPOnly(_ *account.Config, h *httpapi.Config) { h.CSRFCookieHTTPOnly = true }

// csrfCookieAttrs reports whether a response sets the csrftoken cookie and
// whether that cookie is HttpOnly.
func csrfCookieAttrs(h http.Header) (set bool, httpOnly bool) {
	for _, k := range (&http.Response{Header: h}).Cookies() {
		if k.Name == "csrftoken" {
			return true, k.HttpOnly
		}
	}
	return false, false
}

// TestCompatDjangoSessionCSRFCookieHTTPOnly replays the django-session
// tutorial's frontend in the modes that set CSRF_COOKIE_HTTPONLY=True: it
// never reads the csrftoken cookie (scripts cannot), only the X-CSRFToken
// header of GET /api/csrf/, fetched again after the login rotates it.
func TestCompatDjangoSessionCSRFCookieHTTPOnly(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), compat("django-session"), csrfCookieHTTPOnly)
		createUser(t, srv, "ann@example.com", "ann", false)
		c := newTutorialClient(t, srv)

		r := c.do("GET", "/api/session/", nil)
		want(t, r, 200, `{"isAuthenticated":false}`)
		if set, httpOnly := csrfCookieAttrs(r.Header); !set || !httpOnly {
			t.Fatalf("csrftoken cookie set %v, HttpOnly %v: want an HttpOnly cookie (Set-Cookie %q)", set, httpOnly, r.Header.Values("Set-Cookie"))
		}
		r = c.do("GET", "/api/csrf/", nil)
		want(t, r, 200, `{"detail":"CSRF cookie set"}`)
		token := r.Header.Get("X-CSRFToken")
		login := map[string]any{"username": "ann", "password": goodPassword}
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", token), 200, `{"detail":"Successfully logged in."}`)
		want(t, c.do("GET", "/api/whoami/", nil), 200, `{"username":"ann"}`)

		// The login rotated the token: the old header value is refused, a
		// new GET /api/csrf/ gives the current one.
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", token), 403, `{"detail":"CSRF Failed: CSRF token incorrect."}`)
		r = c.do("GET", "/api/csrf/", nil)
		fresh := r.Header.Get("X-CSRFToken")
		if fresh == "" || fresh == token {
			t.Fatalf("X-CSRFToken after login %q (before %q)", fresh, token)
		}
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", fresh), 200)

		want(t, c.do("GET", "/api/logout/", nil, "Sec-Fetch-Site", "same-origin"), 200, `{"detail":"Successfully logged out."}`)
		want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":false}`)
	})
}

// TestCSRFCookieHTTPOnlySetting: the csrftoken cookie is readable by
// scripts by default, as Django's, on every surface, and HttpOnly on every
// surface with the setting.
func TestCSRFCookieHTTPOnlySetting(t *testing.T) {
	for _, on := range []bool{false, true} {
		opts := []serverOption{compat("django-session")}
		if on {
			opts = append(opts, csrfCookieHTTPOnly)
		}
		srv := startLatch(t, openSQLite(t), opts...)
		for _, path := range []string{"/_allauth/browser/v1/config", "/api/session/"} {
			res, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			set, httpOnly := csrfCookieAttrs(res.Header)
			if !set || httpOnly != on {
				t.Errorf("setting %v, GET %s: csrftoken set %v, HttpOnly %v (%s)", on, path, set, httpOnly, strings.Join(res.Header.Values("Set-Cookie"), "; "))
			}
		}
	}
}
