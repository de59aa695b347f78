package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// usernameOnly is LATCH_SIGNUP_FIELDS=email,username*,password1*.
func usernameOnly(c *account.Config, _ *httpapi.Config) {
	c.EmailOptional, c.UsernameRequired = true, true
}

// TestCompatDRFJWTUsernameOnlySignup replays seed 001's frontend unchanged
// (its signup form sends only a username and a password) under the
// settings docs/compat.md gives for it; the account, which has no address,
// then lives on the headless API too: login by username, its session, a
// password change, no addresses.
func TestCompatDRFJWTUsernameOnlySignup(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), compat("drf-jwt"), usernameOnly)
		c := newTutorialClient(t, srv)

		r := c.do("POST", "/core/users/", map[string]any{"username": "dakota", "password": goodPassword})
		want(t, r, 201)
		token := r.str("token")
		if r.str("username") != "dakota" || token == "" {
			t.Fatalf("signup: %s", r.Raw)
		}
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+token), 200, `{"username":"dakota"}`)
		want(t, c.do("POST", "/core/users/", map[string]any{"username": "Dakota", "password": goodPassword}), 400,
			`{"username":["A user with that username already exists."]}`)
		r = c.do("POST", "/token-auth/", map[string]any{"username": "dakota", "password": goodPassword})
		want(t, r, 200)
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+r.str("token")), 200, `{"username":"dakota"}`)

		// The headless API: the same account, by username.
		hc := newClient(t, srv, "browser")
		r2 := hc.do("POST", "/auth/login", map[string]any{"username": "dakota", "password": goodPassword})
		expect(t, r2, 200)
		if u, _ := r2.data()["user"].(map[string]any); u["username"] != "dakota" || u["email"] != nil {
			t.Fatalf("login: %s", r2.Raw)
		}
		r2 = hc.do("GET", "/account/email", nil)
		expect(t, r2, 200)
		if list, _ := r2.Body["data"].([]any); len(list) != 0 {
			t.Errorf("addresses of an account without any: %s", r2.Raw)
		}
		expect(t, hc.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "amber-Falcon-38-x"}), 200)
		expect(t, hc.do("GET", "/auth/session", nil), 200)
		expect(t, hc.do("GET", "/auth/sessions", nil), 200)
		// The old password is gone everywhere, the new one works.
		want(t, c.do("POST", "/token-auth/", map[string]any{"username": "dakota", "password": goodPassword}), 400)
		want(t, c.do("POST", "/token-auth/", map[string]any{"username": "dakota", "password": "amber-Falcon-38-x"}), 200)
		if n := len(srv.smtp.Messages()); n != 0 {
			t.Errorf("%d mails sent for an account without an address", n)
		}
	})
}

// TestUsernameOnlySignupHeadless: the headless signup takes a username and a
// password alone under the setting, and still requires the email without it.
func TestUsernameOnlySignupHeadless(t *testing.T) {
	for _, on := range []bool{false, true} {
		opts := []serverOption{}
		if on {
			opts = append(opts, usernameOnly)
		}
		srv := startLatch(t, openSQLite(t), opts...)
		hc := newClient(t, srv, "browser")
		r := hc.do("POST", "/auth/signup", map[string]any{"username": "kim", "password": goodPassword})
		if on {
			expect(t, r, http.StatusOK)
		} else {
			expect(t, r, http.StatusBadRequest, "email:required")
		}
	}
}

// emailOnly is LATCH_SIGNUP_FIELDS=email*,password1* with
// LATCH_LOGIN_METHODS=email, as the setting requires.
func emailOnly(c *account.Config, _ *httpapi.Config) {
	c.NoUsername, c.LoginMethods = true, []string{"email"}
}

// TestEmailOnlySignupHeadless: without a username field the headless signup
// takes an address and a password; a username sent is ignored, as
// allauth's form ignores a field it does not have, so accounts have none
// and two signups sending the same one both succeed. GET /config tells the
// frontend as allauth's does, through the login methods (allauth's config
// has no signup-fields entry).
func TestEmailOnlySignupHeadless(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), emailOnly)
		for i, kind := range []string{"browser", "app"} {
			c := newClient(t, srv, kind)
			addr := kind + ".only@example.com"
			r := c.do("POST", "/auth/signup", map[string]any{"email": addr, "username": "same", "password": goodPassword})
			expect(t, r, http.StatusOK)
			u, _ := r.data()["user"].(map[string]any)
			if _, has := u["username"]; has || u["email"] != addr || u["display"] != addr {
				t.Errorf("signup %d: user %v, want no username", i, u)
			}
			r = c.do("GET", "/config", nil)
			expect(t, r, http.StatusOK)
			acc, _ := r.data()["account"].(map[string]any)
			if m, _ := acc["login_methods"].([]any); len(m) != 1 || m[0] != "email" || acc["authentication_method"] != "email" {
				t.Errorf("config: %s", r.Raw)
			}
			// Login by email works; the username sent at signup names nobody.
			l := newClient(t, srv, kind)
			expect(t, l.do("POST", "/auth/login", map[string]any{"email": addr, "password": goodPassword}), http.StatusOK)
			expect(t, newClient(t, srv, kind).do("POST", "/auth/login", map[string]any{"username": "same", "password": goodPassword}), http.StatusBadRequest)
		}
		// Without an address a signup is still refused.
		expect(t, newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"username": "kim", "password": goodPassword}), http.StatusBadRequest, "email:required")
	})
}

// GET /config's signup_fields (a Latch extension) tells a form which
// identity fields a signup asks for and requires, under each setting.
func TestConfigSignupFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []serverOption
		want string
	}{
		{"default", nil, `{"email":{"required":true},"username":{"required":false}}`},
		{"username-only", []serverOption{usernameOnly}, `{"email":{"required":false},"username":{"required":true}}`},
		{"email-only", []serverOption{emailOnly}, `{"email":{"required":true}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startLatch(t, openSQLite(t), tc.opts...)
			r := newClient(t, srv, "browser").do("GET", "/config", nil)
			expect(t, r, http.StatusOK)
			acc, _ := r.data()["account"].(map[string]any)
			got, _ := json.Marshal(acc["signup_fields"])
			if string(got) != tc.want {
				t.Errorf("signup_fields %s, want %s", got, tc.want)
			}
		})
	}
}

// An account signed up without an address gets its first verified one as
// its primary address, as allauth does: it then receives reset links.
func TestFirstVerifiedAddressBecomesPrimary(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), usernameOnly)
		c := newClient(t, srv, "browser")
		expect(t, c.do("POST", "/auth/signup", map[string]any{"username": "kim", "password": goodPassword}), http.StatusOK)
		expect(t, c.do("POST", "/account/email", map[string]any{"email": "kim@example.com"}), http.StatusOK)
		key := keyIn(t, srv.mailTo(t, "kim@example.com"))
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": key}), http.StatusOK)
		r := c.do("GET", "/account/email", nil)
		expect(t, r, http.StatusOK)
		list, _ := r.Body["data"].([]any)
		if len(list) != 1 {
			t.Fatalf("addresses: %s", r.Raw)
		}
		if a, _ := list[0].(map[string]any); a["primary"] != true || a["verified"] != true {
			t.Errorf("the first verified address is not primary: %s", r.Raw)
		}
		r = c.do("GET", "/auth/session", nil)
		if u, _ := r.data()["user"].(map[string]any); u["email"] != "kim@example.com" {
			t.Errorf("session user: %s", r.Raw)
		}
	})
}
