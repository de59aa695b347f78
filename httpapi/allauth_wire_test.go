package httpapi_test

import (
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
