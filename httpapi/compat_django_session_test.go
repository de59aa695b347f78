package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// TestCompatDjangoSession replays the frontend of the "Django session-based
// auth for single-page apps" tutorial: session check, CSRF fetch, login with
// X-CSRFToken, whoami, logout through Django's APPEND_SLASH redirect.
func TestCompatDjangoSession(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), compat("django-session"))
		createUser(t, srv, "ann@example.com", "ann", false)
		c := newTutorialClient(t, srv)

		// componentDidMount → getSession → getCSRF.
		want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":false}`)
		cookie := c.cookie("csrftoken")
		if len(cookie) != 32 {
			t.Fatalf("csrftoken cookie after GET /api/session/ = %q", cookie)
		}
		r := c.do("GET", "/api/csrf/", nil)
		want(t, r, 200, `{"detail":"CSRF cookie set"}`)
		csrf := r.Header.Get("X-CSRFToken")
		if len(csrf) != 64 || csrf[32:] == cookie || c.cookie("csrftoken") != cookie {
			t.Fatalf("X-CSRFToken %q for cookie %q (now %q): want Django's masked form of the same secret", csrf, cookie, c.cookie("csrftoken"))
		}
		if again := c.do("GET", "/api/csrf/", nil).Header.Get("X-CSRFToken"); again == csrf {
			t.Error("the masked token is the same on every call")
		}
		want(t, c.do("GET", "/api/whoami/", nil), 200, `{"isAuthenticated":false}`)

		// What Django's CSRF middleware and the view refuse.
		login := map[string]any{"username": "ann", "password": goodPassword}
		want(t, c.off("POST", "/api/login/", login), 403, `{"detail":"CSRF Failed: CSRF token missing."}`)
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", tamper(csrf)), 403, `{"detail":"CSRF Failed: CSRF token incorrect."}`)
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", csrf, "Origin", "https://evil.example"), 403,
			`{"detail":"CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins."}`)
		fresh := newTutorialClient(t, srv)
		want(t, fresh.off("POST", "/api/login/", login, "X-CSRFToken", csrf), 403, `{"detail":"CSRF Failed: CSRF cookie not set."}`)
		want(t, c.do("POST", "/api/login/", map[string]any{"username": "ann", "password": "wrong"}, "X-CSRFToken", csrf), 400,
			`{"detail":"Invalid credentials."}`)
		want(t, c.do("POST", "/api/login/", map[string]any{"username": "bob", "password": goodPassword}, "X-CSRFToken", csrf), 400,
			`{"detail":"Invalid credentials."}`)
		want(t, c.off("POST", "/api/login/", map[string]any{"username": "ann"}, "X-CSRFToken", csrf), 400,
			`{"detail":"Please provide username and password."}`)
		want(t, c.off("POST", "/api/login/", `{"username": "ann",`, "X-CSRFToken", csrf), 400)
		want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":false}`)

		// login → getSession → whoami.
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", csrf), 200, `{"detail":"Successfully logged in."}`)
		session := c.cookie("sessionid")
		if session == "" || c.cookie("csrftoken") == cookie {
			t.Fatalf("after login: sessionid %q, csrftoken %q (was %q): want a session and a rotated CSRF token", session, c.cookie("csrftoken"), cookie)
		}
		want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":true}`)
		want(t, c.do("GET", "/api/whoami/", nil), 200, `{"username":"ann"}`)
		// The CSRF token read before login is stale, as with Django.
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", csrf), 403, `{"detail":"CSRF Failed: CSRF token incorrect."}`)

		// It is the core's browser session: the headless API sees it.
		hc := newClient(t, srv, "browser")
		hc.http.Jar.SetCookies(mustURL(t, srv.URL), []*http.Cookie{{Name: "sessionid", Value: session}})
		expect(t, hc.do("GET", "/auth/session", nil), 200)

		// Logging in again (with the rotated token) replaces the session.
		want(t, c.do("POST", "/api/login/", login, "X-CSRFToken", c.cookie("csrftoken")), 200)
		if c.cookie("sessionid") == session {
			t.Error("a second login kept the session key")
		}
		expect(t, hc.do("GET", "/auth/session", nil), 401)

		// logout: the tutorial calls /api/logout and relies on APPEND_SLASH.
		r = c.do("GET", "/api/logout", nil)
		want(t, r, 301)
		if loc := r.Header.Get("Location"); loc != "/api/logout/" {
			t.Fatalf("Location %q", loc)
		}
		session = c.cookie("sessionid")
		// Another site cannot log the user out by sending the browser there.
		want(t, c.do("GET", "/api/logout/", nil, "Sec-Fetch-Site", "cross-site"), 403,
			`{"detail":"CSRF Failed: Origin checking failed - cross-site request without an Origin header."}`)
		want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":true}`)
		want(t, c.do("GET", "/api/logout/", nil, "Sec-Fetch-Site", "same-origin"), 200, `{"detail":"Successfully logged out."}`)
		if c.cookie("sessionid") != "" {
			t.Error("logout left the session cookie")
		}
		want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":false}`)
		want(t, c.do("GET", "/api/logout/", nil, "Sec-Fetch-Site", "same-origin"), 400, `{"detail":"You're not logged in."}`)
		// The session ended server-side: its cookie replayed is worthless.
		want(t, c.do("GET", "/api/whoami/", nil, "Cookie", "sessionid="+session), 200, `{"isAuthenticated":false}`)
	})
}

// TestCompatDjangoSessionLogoutNeedsTrustedPage: GET /api/logout/ ends the
// session only when the browser says the request comes from a trusted page
// (issue 10, item 16): without Origin, Referer or Sec-Fetch-Site — a
// browser without Fetch Metadata following another site's link — it is
// refused, and the session lives on.
func TestCompatDjangoSessionLogoutNeedsTrustedPage(t *testing.T) {
	const trusted = "https://frontend.example"
	srv := startLatch(t, openSQLite(t), compat("django-session"), func(_ *account.Config, h *httpapi.Config) {
		h.TrustedOrigins = []string{trusted}
	})
	createUser(t, srv, "fay@example.com", "fay", false)
	c := newTutorialClient(t, srv)
	login := func() {
		t.Helper()
		want(t, c.do("GET", "/api/session/", nil), 200)
		csrf := c.do("GET", "/api/csrf/", nil).Header.Get("X-CSRFToken")
		want(t, c.do("POST", "/api/login/", map[string]any{"username": "fay", "password": goodPassword}, "X-CSRFToken", csrf), 200)
	}
	login()
	for _, tc := range []struct {
		name    string
		headers []string
		detail  string
	}{
		{"no header", nil, "CSRF Failed: Referer checking failed - no Referer."},
		{"Sec-Fetch-Site none", []string{"Sec-Fetch-Site", "none"},
			"CSRF Failed: Origin checking failed - none request without an Origin header."},
		{"cross-site", []string{"Sec-Fetch-Site", "cross-site"},
			"CSRF Failed: Origin checking failed - cross-site request without an Origin header."},
		{"same-site", []string{"Sec-Fetch-Site", "same-site", "Referer", "https://evil.example/page"},
			"CSRF Failed: Referer checking failed - https://evil.example does not match any trusted origins."},
		{"foreign Referer", []string{"Referer", "https://evil.example/page"},
			"CSRF Failed: Referer checking failed - https://evil.example does not match any trusted origins."},
		{"foreign Origin", []string{"Origin", "https://evil.example", "Referer", srv.URL + "/"},
			"CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins."},
		{"null Origin", []string{"Origin", "null"},
			"CSRF Failed: Origin checking failed - null does not match any trusted origins."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("GET", "/api/logout/", nil, tc.headers...)
			want(t, r, 403)
			if got := r.str("detail"); got != tc.detail {
				t.Errorf("detail %q, want %q", got, tc.detail)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":true}`)
		})
	}
	// What a trusted page's request carries.
	for _, headers := range [][]string{
		{"Sec-Fetch-Site", "same-origin"},
		{"Referer", srv.URL + "/dashboard"},                 // an old browser, same origin
		{"Origin", srv.URL},                                 // same origin, no Fetch Metadata
		{"Origin", trusted, "Sec-Fetch-Site", "cross-site"}, // a trusted frontend
		{"Referer", trusted + "/app", "Sec-Fetch-Site", "same-site"},
	} {
		want(t, c.do("GET", "/api/logout/", nil, headers...), 200, `{"detail":"Successfully logged out."}`)
		want(t, c.do("GET", "/api/session/", nil), 200, `{"isAuthenticated":false}`)
		login()
	}
}

// TestCompatDjangoSessionVariants: login by email when username is not a
// login method, the cross-origin variant of the tutorial (CORS with
// credentials, the token read from an exposed header), and an inactive
// account.
func TestCompatDjangoSessionVariants(t *testing.T) {
	t.Run("email login", func(t *testing.T) {
		srv := startLatch(t, openSQLite(t), compat("django-session"), func(c *account.Config, _ *httpapi.Config) {
			c.LoginMethods = []string{"email"}
		})
		createUser(t, srv, "cy@example.com", "", false)
		c := newTutorialClient(t, srv)
		csrf := c.do("GET", "/api/csrf/", nil).Header.Get("X-CSRFToken")
		want(t, c.do("POST", "/api/login/", map[string]any{"username": "cy@example.com", "password": goodPassword}, "X-CSRFToken", csrf), 200)
		want(t, c.do("GET", "/api/whoami/", nil), 200, `{"username":"cy@example.com"}`)
	})

	t.Run("cross-origin", func(t *testing.T) {
		const spa = "http://localhost:3000"
		srv := startLatch(t, openSQLite(t), compat("django-session"), func(_ *account.Config, h *httpapi.Config) {
			h.CORSOrigins = []string{spa}
		})
		createUser(t, srv, "di@example.com", "di", false)
		c := newTutorialClient(t, srv)
		c.origin = spa
		r := c.do("GET", "/api/csrf/", nil, "Origin", spa)
		if r.Header.Get("Access-Control-Allow-Origin") != spa || r.Header.Get("Access-Control-Expose-Headers") != "Retry-After, X-Device-Token, X-CSRFToken" {
			t.Fatalf("CORS headers: %v", r.Header)
		}
		csrf := r.Header.Get("X-CSRFToken")
		want(t, c.do("POST", "/api/login/", map[string]any{"username": "di", "password": goodPassword}, "X-CSRFToken", csrf), 200)
		want(t, c.do("GET", "/api/session/", nil, "Origin", spa), 200, `{"isAuthenticated":true}`)
		want(t, c.do("GET", "/api/logout/", nil, "Origin", spa, "Sec-Fetch-Site", "cross-site"), 200)
	})

	t.Run("inactive", func(t *testing.T) {
		srv := startLatch(t, openSQLite(t), compat("django-session"))
		u := createUser(t, srv, "ed@example.com", "ed", false)
		if err := srv.db.Users.SetActive(t.Context(), u.ID, false, srv.clock()); err != nil {
			t.Fatal(err)
		}
		c := newTutorialClient(t, srv)
		csrf := c.do("GET", "/api/csrf/", nil).Header.Get("X-CSRFToken")
		want(t, c.do("POST", "/api/login/", map[string]any{"username": "ed", "password": goodPassword}, "X-CSRFToken", csrf), 400,
			`{"detail":"Invalid credentials."}`)
	})
}

// tamper changes the last character of a token.
func tamper(token string) string {
	last := "x"
	if token[len(token)-1] == 'x' {
		last = "y"
	}
	return token[:len(token)-1] + last
}
