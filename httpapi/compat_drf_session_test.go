package httpapi_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// TestCompatDRFSession replays the frontend of "Authentication with Django
// and Single Page Apps" (msukmanowsky/django-spa-auth), a React app on
// another origin: load (GET /api/me), login with Basic credentials, the
// user object its yup schema validates, logout without a CSRF header.
func TestCompatDRFSession(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		const spa = "http://127.0.0.1:3000"
		srv := startLatch(t, open(t), compat("drf-session"), func(_ *account.Config, h *httpapi.Config) {
			h.CORSOrigins = []string{spa}
		})
		u := createUser(t, srv, "mike@example.com", "mike", false)
		c := newTutorialClient(t, srv)
		c.origin = spa

		// load: not logged in yet.
		r := c.off("GET", "/api/me", nil, "Origin", spa)
		want(t, r, 403, `{"detail":"Authentication credentials were not provided."}`)
		if r.Header.Get("Access-Control-Allow-Origin") != spa || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("CORS headers: %v", r.Header)
		}

		// Refusals carry no challenge, so the browser shows no popup.
		r = c.do("POST", "/api/auth/login", nil, "Authorization", basic("mike", "wrong"))
		want(t, r, 403, `{"detail":"Invalid username/password."}`)
		if h := r.Header.Get("WWW-Authenticate"); h != "" {
			t.Errorf("WWW-Authenticate: %q", h)
		}
		want(t, c.off("POST", "/api/auth/login", nil), 403, `{"detail":"Authentication credentials were not provided."}`)
		want(t, c.do("POST", "/api/auth/login", nil, "Authorization", "Basic !!!"), 403,
			`{"detail":"Invalid basic header. Credentials not correctly base64 encoded."}`)
		want(t, c.do("POST", "/api/auth/login", nil, "Authorization", basic("mike", goodPassword), "Origin", "https://evil.example"), 403,
			`{"detail":"CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins."}`)
		if c.cookie("sessionid") != "" {
			t.Fatal("a refused login set a session cookie")
		}

		// login: the user object of the tutorial's UserSerializer.
		r = c.do("POST", "/api/auth/login", nil, "Authorization", basic("mike", goodPassword))
		want(t, r, 200)
		user := r.obj()
		id, _ := user["id"].(float64)
		if id < 1 || id > 1<<53 || id != float64(int64(id)) || user["public_id"] != u.PublicID || user["username"] != "mike" ||
			user["email"] != "mike@example.com" || user["first_name"] != "" || user["last_name"] != "" {
			t.Errorf("user = %v", user)
		}
		if d, err := time.Parse(time.RFC3339Nano, user["date_joined"].(string)); err != nil || !d.Equal(u.DateJoined.Truncate(time.Microsecond)) {
			t.Errorf("date_joined %v (%v), want %v", user["date_joined"], err, u.DateJoined)
		}
		if c.cookie("sessionid") == "" || c.cookie("csrftoken") == "" {
			t.Fatal("login set no session or CSRF cookie")
		}
		for _, path := range []string{"/api/me", "/api/auth/me"} {
			r := c.do("GET", path, nil, "Origin", spa)
			want(t, r, 200)
			if r.obj()["id"] != user["id"] || r.obj()["public_id"] != u.PublicID {
				t.Errorf("%s = %v, want the user of the login", path, r.Raw)
			}
		}
		// DRF's session fallback: a logged-in caller without Basic credentials.
		want(t, c.do("POST", "/api/auth/login", nil), 200)

		// logout: the tutorial's fetch sends X-CSRFToken from the csrftoken
		// cookie (docs/compat.md); the token is not required, the Origin check
		// keeps other sites out.
		want(t, c.do("POST", "/api/auth/logout", nil, "Origin", "https://evil.example", "X-CSRFToken", c.cookie("csrftoken")), 403)
		want(t, c.do("GET", "/api/me", nil), 200)
		want(t, c.do("POST", "/api/auth/logout", nil, "X-CSRFToken", c.cookie("csrftoken")), 200, `{}`)
		if c.cookie("sessionid") != "" {
			t.Error("logout left the session cookie")
		}
		want(t, c.off("GET", "/api/me", nil), 403, `{"detail":"Authentication credentials were not provided."}`)
		want(t, c.off("POST", "/api/auth/logout", nil), 403, `{"detail":"Authentication credentials were not provided."}`)
	})
}
