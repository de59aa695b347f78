package httpapi_test

import (
	"strings"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// TestVerifyInfoIsAuthenticatingWheneverStagePending: GET
// /auth/email/verify answers meta.is_authenticating true whenever a
// verify_email stage is pending, as allauth sets it from the stage alone —
// also for a link that will not finish the login (no
// LoginOnEmailConfirmation) and for another account's key; false without a
// pending stage.
func TestVerifyInfoIsAuthenticatingWheneverStagePending(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		for _, onConfirm := range []bool{false, true} {
			srv := startLatch(t, open(t), mandatory(false), func(c *account.Config, _ *httpapi.Config) { c.LoginOnEmailConfirmation = onConfirm })
			for _, kind := range []string{"browser", "app"} {
				c := newClient(t, srv, kind)
				mine, theirs := kind+".mine@example.com", kind+".theirs@example.com"
				expect(t, c.do("POST", "/auth/signup", map[string]any{"email": mine, "password": goodPassword}), 401)
				key := keyIn(t, srv.mailTo(t, mine))
				other := newClient(t, srv, kind)
				expect(t, other.do("POST", "/auth/signup", map[string]any{"email": theirs, "password": goodPassword}), 401)
				otherKey := keyIn(t, srv.mailTo(t, theirs))

				for what, k := range map[string]string{"own key": key, "another account's key": otherKey} {
					r := c.do("GET", "/auth/email/verify", nil, "X-Email-Verification-Key", k)
					expect(t, r, 200)
					if r.meta()["is_authenticating"] != true {
						t.Errorf("%s, login on confirmation %v, %s: is_authenticating = %v, want true", kind, onConfirm, what, r.meta())
					}
				}
				// Nothing pending: false.
				r := newClient(t, srv, kind).do("GET", "/auth/email/verify", nil, "X-Email-Verification-Key", key)
				expect(t, r, 200)
				if r.meta()["is_authenticating"] != false {
					t.Errorf("%s without a pending stage: is_authenticating = %v, want false", kind, r.meta())
				}
			}
		}
	})
}

// TestVerifyByCodeConflictBeforeInput: in code mode a caller with no
// verification in progress gets 409 from GET and POST /auth/email/verify
// before any input check (a missing or mistyped key), as allauth answers;
// in link mode the key is checked as before.
func TestVerifyByCodeConflictBeforeInput(t *testing.T) {
	srv := startLatch(t, openSQLite(t), mandatory(true))
	for _, kind := range []string{"browser", "app"} {
		c := newClient(t, srv, kind)
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{}), 409)
		expect(t, c.do("POST", "/auth/email/verify", nil), 409)
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": 7}), 409)
		expect(t, c.do("GET", "/auth/email/verify", nil), 409)
		// With a verification in progress the input is checked.
		expect(t, c.do("POST", "/auth/signup", map[string]any{"email": kind + ".code@example.com", "password": goodPassword}), 401)
		srv.mailTo(t, kind+".code@example.com")
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{}), 400, "key:required")
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": 7}), 400, "key:invalid")
		expect(t, c.do("GET", "/auth/email/verify", nil), 400, "key:required")
	}

	link := startLatch(t, openSQLite(t), mandatory(false))
	c := newClient(t, link, "browser")
	expect(t, c.do("POST", "/auth/email/verify", map[string]any{}), 400, "key:required")
	expect(t, c.do("GET", "/auth/email/verify", nil), 400, "key:required")
}

// TestAddEmailAnonymousConflict: an anonymous POST /account/email answers
// 409 as allauth does (its endpoint serves anonymous callers only to change
// a pending signup's address, under a setting Latch does not have), before
// any input check and also with a signup waiting at verify_email, by link
// or by code, and adds nothing; the other address endpoints keep their 401.
func TestAddEmailAnonymousConflict(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		for _, byCode := range []bool{false, true} {
			srv := startLatch(t, open(t), mandatory(byCode))
			for _, kind := range []string{"browser", "app"} {
				c := newClient(t, srv, kind)
				r := c.do("POST", "/account/email", map[string]any{"email": kind + ".new@example.com"})
				expect(t, r, 409)
				if r.Raw != `{"status":409}`+"\n" && r.Raw != `{"status":409}` {
					t.Errorf("anonymous add: %q", r.Raw)
				}
				expect(t, c.do("POST", "/account/email", map[string]any{"email": 7}), 409)
				expect(t, c.do("GET", "/account/email", nil), 401)
				expect(t, c.do("PUT", "/account/email", map[string]any{"email": kind + ".new@example.com"}), 401)

				// A signup waiting at verify_email: still 409, and the
				// pending address is the one to verify.
				addr := kind + ".pending@example.com"
				expect(t, c.do("POST", "/auth/signup", map[string]any{"email": addr, "password": goodPassword}), 401)
				srv.mailTo(t, addr)
				expect(t, c.do("POST", "/account/email", map[string]any{"email": kind + ".changed@example.com"}), 409)
				r = c.do("GET", "/auth/session", nil)
				expect(t, r, 401)
				if got := r.flowIDs(); len(got) == 0 || got[len(got)-1] != "verify_email*" {
					t.Errorf("flows after the refused change: %v", got)
				}
				for _, m := range srv.smtp.Messages() {
					for _, to := range m.To {
						if strings.Contains(to, ".new@") || strings.Contains(to, ".changed@") {
							t.Errorf("a refused add mailed %s", to)
						}
					}
				}
			}
		}
	})
}
