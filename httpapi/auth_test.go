package httpapi_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sqlstore"
)

// TestAccountLifecycle walks both clients through the password part of the
// headless API on each engine: signup, session, logout, login by email and
// by username, sessions, password change.
func TestAccountLifecycle(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		for _, kind := range []string{"app", "browser"} {
			t.Run(kind, func(t *testing.T) {
				srv := startLatch(t, open(t))
				c := newClient(t, srv, kind)

				r := c.do("GET", "/auth/session", nil)
				expect(t, r, 401)
				if got := strings.Join(r.flowIDs(), ","); got != "login,signup" {
					t.Errorf("anonymous flows = %s", got)
				}
				if r.meta()["is_authenticated"] != false {
					t.Errorf("meta = %v", r.meta())
				}

				r = c.signup("Ann@Example.com", "ann")
				user := r.data()["user"].(map[string]any)
				if user["email"] != "ann@example.com" || user["username"] != "ann" || user["display"] != "ann" || user["has_usable_password"] != true {
					t.Errorf("user = %v", user)
				}
				if id, _ := user["id"].(string); len(id) != 36 {
					t.Errorf("user id %q is not a UUID", id)
				}
				if r.meta()["is_authenticated"] != true {
					t.Errorf("meta after signup = %v", r.meta())
				}
				checkSessionCarrier(t, c, r)

				expect(t, c.do("GET", "/auth/session", nil), 200)
				r = c.do("POST", "/auth/login", map[string]any{"email": "ann@example.com", "password": goodPassword})
				expect(t, r, 409)

				r = c.do("DELETE", "/auth/session", nil)
				expect(t, r, 401)
				if _, ok := r.meta()["session_token"]; ok {
					t.Error("logout answered with a session token")
				}
				if kind == "app" {
					expect(t, c.do("GET", "/auth/session", nil), 410)
					c.token = ""
				} else {
					expect(t, c.do("GET", "/auth/session", nil), 401)
				}

				r = c.do("POST", "/auth/login", map[string]any{"username": "ANN", "password": goodPassword})
				expect(t, r, 200)
				if m := r.data()["methods"].([]any)[0].(map[string]any); m["method"] != "password" || m["username"] != "ANN" {
					t.Errorf("methods = %v", r.data()["methods"])
				}
				expect(t, c.do("DELETE", "/auth/session", nil), 401)
				c.token = ""
				r = c.do("POST", "/auth/login", map[string]any{"email": "ANN@example.COM", "password": goodPassword})
				expect(t, r, 200)

				r = c.do("GET", "/auth/sessions", nil)
				expect(t, r, 200)
				list := r.Body["data"].([]any)
				if len(list) != 1 || list[0].(map[string]any)["is_current"] != true {
					t.Errorf("sessions = %v", list)
				}
			})
		}
	})
}

// checkSessionCarrier checks how a fresh login reached the client: an
// HttpOnly session cookie for the browser, a session token for the app.
func checkSessionCarrier(t *testing.T, c *client, r *response) {
	t.Helper()
	if c.kind == "app" {
		if c.token == "" {
			t.Fatal("app login returned no session_token")
		}
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("app response sets cookies: %v", r.Header.Values("Set-Cookie"))
		}
		return
	}
	var session string
	for _, v := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "sessionid=") {
			session = v
		}
	}
	if !strings.Contains(session, "HttpOnly") || !strings.Contains(session, "SameSite=Lax") {
		t.Errorf("session cookie = %q, want HttpOnly and SameSite=Lax", session)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t))
		phone := newClient(t, srv, "app")
		phone.signup("bo@example.com", "")
		laptop := newClient(t, srv, "browser")
		expect(t, laptop.do("POST", "/auth/login", map[string]any{"email": "bo@example.com", "password": goodPassword}), 200)
		tablet := newClient(t, srv, "app")
		expect(t, tablet.do("POST", "/auth/login", map[string]any{"email": "bo@example.com", "password": goodPassword}), 200)

		r := phone.do("GET", "/auth/sessions", nil)
		expect(t, r, 200)
		if n := len(r.Body["data"].([]any)); n != 3 {
			t.Fatalf("%d sessions listed, want 3", n)
		}

		oldToken := phone.token
		expect(t, phone.do("POST", "/account/password/change", map[string]any{"current_password": "nope", "new_password": "x"}),
			400, "current_password:enter_current_password", "new_password:password_too_short")
		r = phone.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "sable-Lantern-71"})
		expect(t, r, 200)
		if phone.token == oldToken || phone.token == "" {
			t.Error("password change did not rotate the session token")
		}
		expect(t, phone.do("GET", "/auth/session", nil), 200)
		saved := phone.token
		phone.token = oldToken
		expect(t, phone.do("GET", "/auth/session", nil), 410)
		phone.token = saved

		expect(t, tablet.do("GET", "/auth/session", nil), 410)
		expect(t, laptop.do("GET", "/auth/session", nil), 401)

		expect(t, laptop.do("POST", "/auth/login", map[string]any{"email": "bo@example.com", "password": goodPassword}), 400, "password:email_password_mismatch")
		expect(t, laptop.do("POST", "/auth/login", map[string]any{"email": "bo@example.com", "password": "sable-Lantern-71"}), 200)
	})
}

func TestEndSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t))
		a := newClient(t, srv, "browser")
		a.signup("cy@example.com", "cy")
		b := newClient(t, srv, "app")
		expect(t, b.do("POST", "/auth/login", map[string]any{"username": "cy", "password": goodPassword}), 200)
		other := newClient(t, srv, "app")
		other.signup("di@example.com", "")
		otherID := currentSessionID(t, other)

		tests := []struct {
			body  any
			codes []string
		}{
			{map[string]any{}, []string{"sessions:required"}},
			{map[string]any{"sessions": "1"}, []string{"sessions:invalid_list"}},
			{map[string]any{"sessions": []any{"x"}}, []string{"sessions:invalid_pk_value"}},
			{map[string]any{"sessions": []any{otherID}}, []string{"sessions:invalid_choice"}},
		}
		for _, tt := range tests {
			expect(t, a.do("DELETE", "/auth/sessions", tt.body), 400, tt.codes...)
		}
		expect(t, other.do("GET", "/auth/session", nil), 200)

		r := a.do("DELETE", "/auth/sessions", map[string]any{"sessions": []any{currentSessionID(t, b)}})
		expect(t, r, 200)
		if n := len(r.Body["data"].([]any)); n != 1 {
			t.Errorf("%d sessions left, want 1", n)
		}
		expect(t, b.do("GET", "/auth/session", nil), 410)

		r = a.do("DELETE", "/auth/sessions", map[string]any{"sessions": []any{currentSessionID(t, a)}})
		expect(t, r, 401)
		expect(t, a.do("GET", "/auth/session", nil), 401)
		expect(t, a.do("GET", "/auth/sessions", nil), 401)
	})
}

func currentSessionID(t *testing.T, c *client) float64 {
	t.Helper()
	r := c.do("GET", "/auth/sessions", nil)
	expect(t, r, 200)
	for _, s := range r.Body["data"].([]any) {
		if m := s.(map[string]any); m["is_current"] == true {
			return m["id"].(float64)
		}
	}
	t.Fatal("no current session listed")
	return 0
}

func TestSignupAndLoginErrors(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := newClient(t, srv, "app")
	c.signup("eve@example.com", "eve")
	c.do("DELETE", "/auth/session", nil)
	c.token = ""

	tests := []struct {
		name   string
		path   string
		body   any
		status int
		codes  []string
	}{
		{"signup empty", "/auth/signup", map[string]any{}, 400, []string{"email:required", "password:required"}},
		{"signup taken", "/auth/signup", map[string]any{"email": "EVE@example.com", "username": "Eve", "password": goodPassword},
			400, []string{"username:username_taken", "email:email_taken"}},
		{"signup invalid", "/auth/signup", map[string]any{"email": "not-an-email", "username": "has space", "password": "password"},
			400, []string{"username:invalid", "email:invalid", "password:password_too_common"}},
		{"signup similar numeric", "/auth/signup", map[string]any{"email": "zed@example.com", "password": "98765432109"},
			400, []string{"password:password_entirely_numeric"}},
		{"signup wrong types", "/auth/signup", map[string]any{"email": 5, "password": true}, 400, []string{"email:invalid", "password:invalid"}},
		{"login wrong password", "/auth/login", map[string]any{"email": "eve@example.com", "password": "wrong"}, 400, []string{"password:email_password_mismatch"}},
		{"login unknown email", "/auth/login", map[string]any{"email": "nobody@example.com", "password": "wrong"}, 400, []string{"password:email_password_mismatch"}},
		{"login unknown username", "/auth/login", map[string]any{"username": "nobody", "password": "wrong"}, 400, []string{"password:username_password_mismatch"}},
		{"login both", "/auth/login", map[string]any{"email": "eve@example.com", "username": "eve", "password": "x"}, 400, []string{"invalid_login"}},
		{"login neither", "/auth/login", map[string]any{"password": "x"}, 400, []string{"invalid_login"}},
		{"login no password", "/auth/login", map[string]any{"email": "eve@example.com"}, 400, []string{"password:required"}},
		{"login bad email", "/auth/login", map[string]any{"email": "eve", "password": "x"}, 400, []string{"email:invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, c.do("POST", tt.path, tt.body), tt.status, tt.codes...)
		})
	}
}

// TestNoEnumeration: an unknown account and a wrong password give byte-for-byte
// the same answer.
func TestNoEnumeration(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := newClient(t, srv, "app")
	c.signup("fay@example.com", "fay")
	c.do("DELETE", "/auth/session", nil)
	c.token = ""
	known := c.do("POST", "/auth/login", map[string]any{"email": "fay@example.com", "password": "wrong-password"})
	unknown := c.do("POST", "/auth/login", map[string]any{"email": "ghost@example.com", "password": "wrong-password"})
	if known.Raw != unknown.Raw || known.Status != unknown.Status {
		t.Errorf("known: %d %s\nunknown: %d %s", known.Status, known.Raw, unknown.Status, unknown.Raw)
	}
}

func TestLoginMethodsEmailOnly(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.LoginMethods = []string{"email"} })
	c := newClient(t, srv, "app")
	r := c.do("GET", "/config", nil)
	acc := r.data()["account"].(map[string]any)
	if fmt.Sprint(acc["login_methods"]) != "[email]" || acc["authentication_method"] != "email" {
		t.Errorf("config account = %v", acc)
	}
	c.signup("gus@example.com", "gus")
	c.do("DELETE", "/auth/session", nil)
	c.token = ""
	// username is not a login field here: it is ignored, and email is required.
	expect(t, c.do("POST", "/auth/login", map[string]any{"username": "gus", "password": goodPassword}), 400, "email:required")
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "gus@example.com", "password": goodPassword}), 200)
}

func TestSignupClosed(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.SignupClosed = true })
	c := newClient(t, srv, "app")
	r := c.do("GET", "/auth/session", nil)
	if got := strings.Join(r.flowIDs(), ","); got != "login" {
		t.Errorf("flows with signup closed = %s", got)
	}
	expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "hal@example.com", "password": goodPassword}), 403)
}

func TestInactiveUser(t *testing.T) {
	db := openSQLite(t)
	srv := startLatch(t, db)
	c := newClient(t, srv, "app")
	r := c.signup("ivy@example.com", "")
	u, err := db.Users.UserByEmail(context.Background(), "ivy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	_ = r
	if err := db.Users.SetActive(context.Background(), u.ID, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The live session ends at its next use.
	r = c.do("GET", "/auth/session", nil)
	expect(t, r, 401)
	expect(t, c.do("GET", "/auth/session", nil), 410)
	c.token = ""
	// The right password gets a plain 401 without a pending flow; the wrong
	// one the usual mismatch.
	r = c.do("POST", "/auth/login", map[string]any{"email": "ivy@example.com", "password": goodPassword})
	expect(t, r, 401)
	if got := strings.Join(r.flowIDs(), ","); got != "login,signup" {
		t.Errorf("flows = %s", got)
	}
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "ivy@example.com", "password": "nope"}), 400, "password:email_password_mismatch")
}

func TestSessionExpiry(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.SessionTTL = time.Hour
		c.SessionMaxAge = 3 * time.Hour
	})
	c := newClient(t, srv, "app")
	c.signup("jo@example.com", "")
	// Rolling: each use within the TTL extends the session…
	for i := 0; i < 3; i++ {
		srv.advance(50 * time.Minute)
		expect(t, c.do("GET", "/auth/session", nil), 200)
	}
	// …but never past the absolute maximum (3h; 3h05m have passed).
	srv.advance(35 * time.Minute)
	expect(t, c.do("GET", "/auth/session", nil), 410)

	b := newClient(t, srv, "browser")
	b.signup("kit@example.com", "")
	srv.advance(61 * time.Minute)
	expect(t, b.do("GET", "/auth/session", nil), 401)
}

func TestRateLimits(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.RateLimits = account.DefaultRateLimits()
		c.RateLimits["login"] = []ratelimit.Rate{{Amount: 7, Period: time.Minute, Per: "ip"}}
	})
	c := newClient(t, srv, "app")
	c.signup("lu@example.com", "")
	c.do("DELETE", "/auth/session", nil)
	c.token = ""
	// login_failed: 5 failures per 5 minutes for one account, then refused
	// even with the right password.
	for i := 0; i < 5; i++ {
		expect(t, c.do("POST", "/auth/login", map[string]any{"email": "lu@example.com", "password": "wrong"}), 400, "password:email_password_mismatch")
	}
	locked := c.do("POST", "/auth/login", map[string]any{"email": "lu@example.com", "password": goodPassword})
	expect(t, locked, 400, "too_many_login_attempts")
	// The lockout says when a new attempt may work (5 failures per 5
	// minutes: within 300 s), so a frontend can name the time.
	if ra, err := strconv.Atoi(locked.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 300 {
		t.Errorf("lockout Retry-After %q", locked.Header.Get("Retry-After"))
	}
	// Another account from the same IP is not locked by lu's failures.
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "other@example.com", "password": "wrong"}), 400, "password:email_password_mismatch")
	// The per-IP login budget (7/m here) is spent: 429 with Retry-After.
	r := c.do("POST", "/auth/login", map[string]any{"email": "lu@example.com", "password": goodPassword})
	expect(t, r, 429, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	srv.advance(6 * time.Minute)
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "lu@example.com", "password": goodPassword}), 200)
}

func TestPasswordHashUpgrade(t *testing.T) {
	db := openSQLite(t)
	srv := startLatch(t, db)
	c := newClient(t, srv, "app")
	c.signup("mo@example.com", "")
	u, _ := db.Users.UserByEmail(context.Background(), "mo@example.com")
	// Django's pbkdf2_sha256 hash of goodPassword with salt "salt", 1000 iterations.
	django := djangoHash(goodPassword, "salt", 1000)
	if err := db.Users.SetPassword(context.Background(), u.ID, django, time.Now()); err != nil {
		t.Fatal(err)
	}
	c.do("DELETE", "/auth/session", nil)
	c.token = ""
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "mo@example.com", "password": goodPassword}), 200)
	u, _ = db.Users.UserByEmail(context.Background(), "mo@example.com")
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("hash after login = %q, want an argon2id upgrade", u.PasswordHash)
	}
	c.do("DELETE", "/auth/session", nil)
	c.token = ""
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "mo@example.com", "password": goodPassword}), 200)
}
