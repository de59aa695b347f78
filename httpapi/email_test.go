package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sqlstore"
)

func mandatory(byCode bool) serverOption {
	return func(c *account.Config, _ *httpapi.Config) {
		c.EmailVerification = account.VerificationMandatory
		c.VerificationByCode = byCode
	}
}

func TestVerificationOptionalByLink(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t))
		for _, kind := range []string{"app", "browser"} {
			c := newClient(t, srv, kind)
			addr := kind + "@example.com"
			c.signup(addr, "")
			m := srv.mailTo(t, addr)
			if !strings.Contains(m.Subject, "Confirm") || m.HTML == "" {
				t.Errorf("verification mail: subject %q, html %d bytes", m.Subject, len(m.HTML))
			}
			key := keyIn(t, m)
			if !strings.Contains(m.Text, srv.URL+"/account/verify-email/") {
				t.Errorf("link does not point at the frontend: %s", m.Text)
			}
			r := c.do("GET", "/auth/email/verify", nil, "X-Email-Verification-Key", key)
			expect(t, r, 200)
			if r.data()["email"] != addr || r.meta()["is_authenticating"] != false {
				t.Errorf("verify info: %s", r.Raw)
			}
			expect(t, c.do("GET", "/auth/email/verify", nil, "X-Email-Verification-Key", "nope"), 400, "key:invalid_or_expired_key")
			expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": key}), 200)
			// A key is single-use.
			expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": key}), 400, "key:invalid_or_expired_key")
			r = c.do("GET", "/account/email", nil)
			expect(t, r, 200)
			if e := r.Body["data"].([]any)[0].(map[string]any); e["verified"] != true || e["primary"] != true {
				t.Errorf("address after verification: %v", e)
			}
		}
	})
}

func TestVerificationMandatoryByLink(t *testing.T) {
	srv := startLatch(t, openSQLite(t), mandatory(false))
	c := newClient(t, srv, "app")
	r := c.do("POST", "/auth/signup", map[string]any{"email": "qin@example.com", "password": goodPassword})
	expect(t, r, 401)
	if got := strings.Join(r.flowIDs(), ","); got != "login,signup,verify_email*" {
		t.Errorf("flows = %s", got)
	}
	if c.token == "" {
		t.Fatal("pending signup gave the app no session token")
	}
	key := keyIn(t, srv.mailTo(t, "qin@example.com"))
	expect(t, c.do("GET", "/auth/session", nil), 401)
	// Without LoginOnEmailConfirmation a link does not finish the login, but
	// the login is waiting at verify_email, which is what allauth reports.
	r = c.do("GET", "/auth/email/verify", nil, "X-Email-Verification-Key", key)
	if r.meta()["is_authenticating"] != true {
		t.Errorf("is_authenticating = %v", r.meta())
	}
	// Login is blocked too, and (after the mail cooldown) mails a new link.
	other := newClient(t, srv, "browser")
	srv.advance(3*time.Minute + time.Second)
	r = other.do("POST", "/auth/login", map[string]any{"email": "qin@example.com", "password": goodPassword})
	expect(t, r, 401)
	if got := strings.Join(r.flowIDs(), ","); got != "login,signup,verify_email*" {
		t.Errorf("flows after login = %s", got)
	}
	srv.mailTo(t, "qin@example.com")
	// Verifying by link (without LoginOnEmailConfirmation) drops the waiting
	// login: 401, verified, now log in.
	r = c.do("POST", "/auth/email/verify", map[string]any{"key": key})
	expect(t, r, 401)
	if got := strings.Join(r.flowIDs(), ","); got != "login,signup" {
		t.Errorf("flows after verification = %s", got)
	}
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "qin@example.com", "password": goodPassword}), 200)
	expect(t, other.do("POST", "/auth/login", map[string]any{"email": "qin@example.com", "password": goodPassword}), 200)
}

func TestVerificationMandatoryLoginOnConfirmation(t *testing.T) {
	srv := startLatch(t, openSQLite(t), mandatory(false), func(c *account.Config, _ *httpapi.Config) { c.LoginOnEmailConfirmation = true })
	c := newClient(t, srv, "browser")
	expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "ray@example.com", "password": goodPassword}), 401)
	key := keyIn(t, srv.mailTo(t, "ray@example.com"))
	if r := c.do("GET", "/auth/email/verify", nil, "X-Email-Verification-Key", key); r.meta()["is_authenticating"] != true {
		t.Errorf("is_authenticating = %v", r.meta())
	}
	r := c.do("POST", "/auth/email/verify", map[string]any{"key": key})
	expect(t, r, 200)
	if r.data()["user"].(map[string]any)["email"] != "ray@example.com" {
		t.Errorf("user = %v", r.data()["user"])
	}
}

func TestVerificationMandatoryByCode(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), mandatory(true))
		c := newClient(t, srv, "app")
		expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "sam@example.com", "password": goodPassword}), 401)
		first := codeIn(t, srv.mailTo(t, "sam@example.com"))
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": "BBBB-BBBB"}), 400, "key:incorrect_code")
		// Resend: a new code; the old one is dead.
		srv.advance(11 * time.Second)
		expect(t, c.do("POST", "/auth/email/verify/resend", nil), 200)
		code := codeIn(t, srv.mailTo(t, "sam@example.com"))
		if code != first {
			expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": first}), 400, "key:incorrect_code")
		}
		// Codes are compared without case or punctuation.
		r := c.do("POST", "/auth/email/verify", map[string]any{"key": strings.ToLower(strings.ReplaceAll(code, "-", " "))})
		expect(t, r, 200)
		if m := r.data()["methods"].([]any); len(m) != 1 {
			t.Errorf("methods = %v", m)
		}
		// A code from another session is useless: codes are bound to the session.
		d := newClient(t, srv, "app")
		expect(t, d.do("POST", "/auth/email/verify", map[string]any{"key": code}), 409)
	})
}

func TestVerificationCodeAttemptsAndExpiry(t *testing.T) {
	srv := startLatch(t, openSQLite(t), mandatory(true))
	c := newClient(t, srv, "browser")
	expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "tia@example.com", "password": goodPassword}), 401)
	code := codeIn(t, srv.mailTo(t, "tia@example.com"))
	for i := 0; i < 3; i++ {
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": "ZZZZ-ZZZZ"}), 400, "key:incorrect_code")
	}
	// Three wrong codes drop the process and the waiting login.
	expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": code}), 409)
	r := c.do("GET", "/auth/session", nil)
	if got := strings.Join(r.flowIDs(), ","); got != "login,signup" {
		t.Errorf("flows = %s", got)
	}
	// Expiry: 15 minutes from the first code.
	srv.advance(time.Minute)
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "tia@example.com", "password": goodPassword}), 401)
	code = codeIn(t, srv.mailTo(t, "tia@example.com"))
	srv.advance(16 * time.Minute)
	expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": code}), 409)
}

// TestSignupEnumeration: under mandatory verification a signup for a taken
// address looks exactly like a genuine one, creates nothing, and mails the
// owner instead.
func TestSignupEnumeration(t *testing.T) {
	for _, byCode := range []bool{false, true} {
		db := openSQLite(t)
		srv := startLatch(t, db, mandatory(byCode))
		newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": "uma@example.com", "password": goodPassword})
		srv.mailTo(t, "uma@example.com")
		genuine := newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": "vic@example.com", "password": goodPassword})
		srv.mailTo(t, "vic@example.com")
		c := newClient(t, srv, "app")
		fake := c.do("POST", "/auth/signup", map[string]any{"email": "UMA@example.com", "password": "other-Password-12"})
		if fake.Status != genuine.Status || strings.Join(fake.flowIDs(), ",") != strings.Join(genuine.flowIDs(), ",") ||
			(fake.meta()["session_token"] == nil) != (genuine.meta()["session_token"] == nil) {
			t.Errorf("by code %v: fake %s\ngenuine %s", byCode, fake.Raw, genuine.Raw)
		}
		m := srv.mailTo(t, "uma@example.com")
		if !strings.Contains(strings.ToLower(m.Subject+m.Text), "already") {
			t.Errorf("owner's mail: %q %s", m.Subject, m.Text)
		}
		key := "BCDF-GHJK"
		if !byCode {
			key = strings.Repeat("x", 43)
		}
		r := c.do("POST", "/auth/email/verify", map[string]any{"key": key})
		if r.Status != 400 {
			t.Errorf("verifying the fake signup: %s", r.Raw)
		}
		u, _ := db.Users.UserByEmail(context.Background(), "uma@example.com")
		if ok, _, _ := passwordMatches(u.PasswordHash, "other-Password-12"); ok {
			t.Error("the fake signup changed the real account's password")
		}
	}
}

func TestPasswordResetByLink(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t))
		owner := newClient(t, srv, "app")
		owner.signup("wes@example.com", "wes")
		srv.mailTo(t, "wes@example.com") // the verification mail

		c := newClient(t, srv, "browser")
		known := c.do("POST", "/auth/password/request", map[string]any{"email": "WES@example.com"})
		unknown := c.do("POST", "/auth/password/request", map[string]any{"email": "nobody@example.com"})
		if known.Raw != unknown.Raw || known.Status != 200 {
			t.Errorf("known: %s\nunknown: %s", known.Raw, unknown.Raw)
		}
		if m := srv.mailTo(t, "nobody@example.com"); strings.Contains(m.Text, "/reset/key/") {
			t.Errorf("unknown address got a reset link: %s", m.Text)
		}
		key := keyIn(t, srv.mailTo(t, "wes@example.com"))
		expect(t, c.do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", "bogus"), 400, "key:invalid_password_reset")
		r := c.do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", key)
		expect(t, r, 200)
		if r.data()["user"].(map[string]any)["username"] != "wes" {
			t.Errorf("reset info: %s", r.Raw)
		}
		expect(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": "password"}), 400, "password:password_too_common")
		expect(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key}), 400, "password:required")
		expect(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": "cobalt-Ridge-47"}), 401)
		expect(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": "cobalt-Ridge-48"}), 400, "key:invalid_password_reset")
		// Every session of the user ended.
		expect(t, owner.do("GET", "/auth/session", nil), 410)
		expect(t, c.do("POST", "/auth/login", map[string]any{"username": "wes", "password": goodPassword}), 400, "password:username_password_mismatch")
		expect(t, c.do("POST", "/auth/login", map[string]any{"username": "wes", "password": "cobalt-Ridge-47"}), 200)
	})
}

func TestResetKeyDiesWithPasswordChange(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := newClient(t, srv, "app")
	c.signup("xia@example.com", "")
	srv.mailTo(t, "xia@example.com")
	expect(t, newClient(t, srv, "app").do("POST", "/auth/password/request", map[string]any{"email": "xia@example.com"}), 200)
	key := keyIn(t, srv.mailTo(t, "xia@example.com"))
	expect(t, c.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "walnut-Signal-83"}), 200)
	expect(t, newClient(t, srv, "app").do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", key), 400, "key:invalid_password_reset")
	srv.mailTo(t, "xia@example.com") // the password-changed notice
	// And expiry: a fresh key is dead after 3 days.
	expect(t, newClient(t, srv, "app").do("POST", "/auth/password/request", map[string]any{"email": "xia@example.com"}), 200)
	key = keyIn(t, srv.mailTo(t, "xia@example.com"))
	srv.advance(72*time.Hour + time.Second)
	expect(t, newClient(t, srv, "app").do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", key), 400, "key:invalid_password_reset")
}

func TestPasswordResetByCode(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.PasswordResetByCode = true
		c.LoginOnPasswordReset = true
	})
	owner := newClient(t, srv, "app")
	owner.signup("yan@example.com", "")
	srv.mailTo(t, "yan@example.com")
	owner.do("DELETE", "/auth/session", nil)

	c := newClient(t, srv, "app")
	r := c.do("GET", "/auth/session", nil)
	if got := strings.Join(r.flowIDs(), ","); got != "login,signup,password_reset_by_code" {
		t.Errorf("flows = %s (%s)", got, r.Raw)
	}
	expect(t, c.do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", "BBBB-BBBB"), 409)
	r = c.do("POST", "/auth/password/request", map[string]any{"email": "yan@example.com"})
	expect(t, r, 401)
	if got := strings.Join(r.flowIDs(), ","); got != "login,signup,password_reset_by_code*" {
		t.Errorf("flows = %s", got)
	}
	code := codeIn(t, srv.mailTo(t, "yan@example.com"))
	expect(t, c.do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", "BBBB-BBBB"), 400, "key:incorrect_code")
	expect(t, c.do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", code), 200)
	r = c.do("POST", "/auth/password/reset", map[string]any{"key": code, "password": "hazel-Orbit-29"})
	expect(t, r, 200) // LoginOnPasswordReset
	if m := r.data()["methods"].([]any)[0].(map[string]any); m["method"] != "password_reset" {
		t.Errorf("methods = %v", r.data()["methods"])
	}
	expect(t, c.do("POST", "/auth/password/reset", map[string]any{"key": code, "password": "hazel-Orbit-30"}), 409)

	// An unknown address: the same 401, and no code can ever work.
	u := newClient(t, srv, "app")
	r = u.do("POST", "/auth/password/request", map[string]any{"email": "zoe@example.com"})
	expect(t, r, 401)
	srv.mailTo(t, "zoe@example.com")
	expect(t, u.do("GET", "/auth/password/reset", nil, "X-Password-Reset-Key", "BBBB-BBBB"), 400, "key:incorrect_code")
}

func TestLoginByCode(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), func(c *account.Config, _ *httpapi.Config) { c.LoginByCode = true })
		owner := newClient(t, srv, "app")
		owner.signup("abe@example.com", "")
		srv.mailTo(t, "abe@example.com")
		for _, kind := range []string{"app", "browser"} {
			c := newClient(t, srv, kind)
			r := c.do("GET", "/config", nil)
			if r.data()["account"].(map[string]any)["login_by_code_enabled"] != true {
				t.Errorf("config: %s", r.Raw)
			}
			expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 409)
			r = c.do("POST", "/auth/code/request", map[string]any{"email": "abe@example.com"})
			expect(t, r, 401)
			if got := strings.Join(r.flowIDs(), ","); got != "login,login_by_code*,signup" {
				t.Errorf("flows = %s", got)
			}
			code := codeIn(t, srv.mailTo(t, "abe@example.com"))
			expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 400, "code:incorrect_code")
			r = c.do("POST", "/auth/code/confirm", map[string]any{"code": code})
			expect(t, r, 200)
			if m := r.data()["methods"].([]any)[0].(map[string]any); m["method"] != "code" || m["email"] != "abe@example.com" {
				t.Errorf("methods = %v", r.data()["methods"])
			}
			srv.advance(time.Minute) // the per-address budget is 3 requests a minute
		}
		// The address counts as verified now.
		r := owner.do("GET", "/account/email", nil)
		if e := r.Body["data"].([]any)[0].(map[string]any); e["verified"] != true {
			t.Errorf("address after code login: %v", e)
		}
	})
}

func TestLoginByCodeLimits(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.LoginByCode = true
		c.RateLimits = account.DefaultRateLimits()
	})
	newClient(t, srv, "app").signup("bea@example.com", "")
	srv.mailTo(t, "bea@example.com")

	// Three wrong codes end the attempt.
	c := newClient(t, srv, "app")
	expect(t, c.do("POST", "/auth/code/request", map[string]any{"email": "bea@example.com"}), 401)
	code := codeIn(t, srv.mailTo(t, "bea@example.com"))
	for i := 0; i < 3; i++ {
		expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 400, "code:incorrect_code")
	}
	expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": code}), 409)

	// Codes expire after 3 minutes.
	expect(t, c.do("POST", "/auth/code/request", map[string]any{"email": "bea@example.com"}), 401)
	code = codeIn(t, srv.mailTo(t, "bea@example.com"))
	srv.advance(3*time.Minute + time.Second)
	expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": code}), 409)

	// Three requests a minute per address; the unknown address behaves the same.
	for _, addr := range []string{"bea@example.com", "nobody@example.com"} {
		for i := 0; i < 3; i++ {
			expect(t, newClient(t, srv, "app").do("POST", "/auth/code/request", map[string]any{"email": addr}), 401)
			srv.mailTo(t, addr)
		}
		expect(t, newClient(t, srv, "app").do("POST", "/auth/code/request", map[string]any{"email": addr}), 400, "email:too_many_login_attempts")
	}
	srv.advance(time.Minute + time.Second)
	expect(t, newClient(t, srv, "app").do("POST", "/auth/code/request", map[string]any{"email": "bea@example.com"}), 401)
}

func TestResetRateLimit(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.RateLimits = account.DefaultRateLimits()
		c.RateLimits["confirm_email"] = []ratelimit.Rate{}
	})
	c := newClient(t, srv, "app")
	for i := 0; i < 5; i++ {
		expect(t, c.do("POST", "/auth/password/request", map[string]any{"email": "cal@example.com"}), 200)
	}
	r := c.do("POST", "/auth/password/request", map[string]any{"email": "cal@example.com"})
	expect(t, r, 429, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	srv.advance(time.Minute + time.Second)
	expect(t, c.do("POST", "/auth/password/request", map[string]any{"email": "cal@example.com"}), 200)
}

func TestEmailAddresses(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), func(c *account.Config, _ *httpapi.Config) { c.RateLimits = account.DefaultRateLimits() })
		other := newClient(t, srv, "app")
		other.signup("taken@example.com", "")
		c := newClient(t, srv, "browser")
		c.signup("dan@example.com", "")
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": keyIn(t, srv.mailTo(t, "dan@example.com"))}), 200)

		expect(t, newClient(t, srv, "app").do("GET", "/account/email", nil), 401)
		expect(t, c.do("POST", "/account/email", map[string]any{"email": "DAN@example.com"}), 400, "email:duplicate_email")
		// Another account's address answers as a free one (no enumeration)
		// and gives this account nothing: it stays unverified here.
		expect(t, c.do("POST", "/account/email", map[string]any{"email": "taken@example.com"}), 200)
		expect(t, c.do("DELETE", "/account/email", map[string]any{"email": "taken@example.com"}), 200)
		expect(t, c.do("POST", "/account/email", map[string]any{"email": "nope"}), 400, "email:invalid")
		r := c.do("POST", "/account/email", map[string]any{"email": "Dan.Work@example.com"})
		expect(t, r, 200)
		if n := len(r.Body["data"].([]any)); n != 2 {
			t.Fatalf("%d addresses after adding one", n)
		}
		key := keyIn(t, srv.mailTo(t, "dan.work@example.com"))

		// Resend: held back by the per-address cooldown, then sent.
		expect(t, c.do("PUT", "/account/email", map[string]any{"email": "dan.work@example.com"}), 403)
		srv.advance(3*time.Minute + time.Second)
		expect(t, c.do("PUT", "/account/email", map[string]any{"email": "dan.work@example.com"}), 200)
		srv.mailTo(t, "dan.work@example.com")
		expect(t, c.do("PUT", "/account/email", map[string]any{"email": "stranger@example.com"}), 400, "email:unknown_email")

		expect(t, c.do("PATCH", "/account/email", map[string]any{"email": "dan.work@example.com", "primary": true}), 400, "email:unverified_primary_email")
		expect(t, c.do("PATCH", "/account/email", map[string]any{"email": "dan.work@example.com"}), 400, "primary:required")
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": key}), 200)
		r = c.do("PATCH", "/account/email", map[string]any{"email": "dan.work@example.com", "primary": true})
		expect(t, r, 200)
		for _, e := range r.Body["data"].([]any) {
			m := e.(map[string]any)
			if (m["email"] == "dan.work@example.com") != (m["primary"] == true) {
				t.Errorf("after make-primary: %v", r.Body["data"])
			}
		}
		if u := c.do("GET", "/auth/session", nil).data()["user"].(map[string]any); u["email"] != "dan.work@example.com" {
			t.Errorf("session user email = %v", u["email"])
		}
		expect(t, c.do("DELETE", "/account/email", map[string]any{"email": "dan.work@example.com"}), 400, "email:cannot_remove_primary_email")
		expect(t, c.do("DELETE", "/account/email", map[string]any{"email": "stranger@example.com"}), 400, "email:unknown_email")
		r = c.do("DELETE", "/account/email", map[string]any{"email": "dan@example.com"})
		expect(t, r, 200)
		if n := len(r.Body["data"].([]any)); n != 1 {
			t.Errorf("%d addresses after removing one of two", n)
		}
		// The removed address is free for anyone again.
		expect(t, other.do("POST", "/account/email", map[string]any{"email": "dan@example.com"}), 200)
	})
}

func passwordMatches(hash, plain string) (bool, bool, error) {
	return password.NewHasher(password.TestParams).Verify(hash, plain)
}
