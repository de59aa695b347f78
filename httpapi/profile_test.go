package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// TestProfile: a user reads and edits their username and names on both
// clients and engines; the session answers with the new username at once
// (the session cache drops its copy); the rules of signup apply.
func TestProfile(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(t *testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t))
		for _, kind := range []string{"browser", "app"} {
			c := newClient(t, srv, kind)
			c.signup("pat-"+kind+"@example.com", "pat_"+kind)
			other := newClient(t, srv, kind)
			other.signup("quinn-"+kind+"@example.com", "quinn_"+kind)

			r := c.do("GET", "/account/profile", nil)
			expect(t, r, 200)
			if d := r.data(); d["username"] != "pat_"+kind || d["first_name"] != "" || d["last_name"] != "" {
				t.Errorf("%s: profile %v", kind, d)
			}
			c.do("GET", "/auth/session", nil) // the session is now cached
			r = c.do("PATCH", "/account/profile", map[string]any{"username": " Patricia_" + kind + " ", "first_name": "  Patricia ", "last_name": "Ng"})
			expect(t, r, 200)
			if d := r.data(); d["username"] != "Patricia_"+kind || d["first_name"] != "Patricia" || d["last_name"] != "Ng" {
				t.Errorf("%s: updated profile %v", kind, d)
			}
			if u := c.do("GET", "/auth/session", nil).data()["user"].(map[string]any); u["username"] != "Patricia_"+kind {
				t.Errorf("%s: the session still shows %v", kind, u["username"])
			}
			// Only the fields sent change.
			expect(t, c.do("PATCH", "/account/profile", map[string]any{"last_name": "Ng-Okafor"}), 200)
			if d := c.do("GET", "/account/profile", nil).data(); d["first_name"] != "Patricia" || d["last_name"] != "Ng-Okafor" || d["username"] != "Patricia_"+kind {
				t.Errorf("%s: after a partial update %v", kind, d)
			}
			for _, tt := range []struct {
				body map[string]any
				code string
			}{
				{map[string]any{"username": "QUINN_" + kind}, "username:username_taken"},
				{map[string]any{"username": "no spaces please"}, "username:invalid"},
				{map[string]any{"first_name": strings.Repeat("x", 151)}, "first_name:invalid"},
				{map[string]any{"last_name": "a\x00b"}, "last_name:invalid"},
				{map[string]any{"first_name": 7}, "first_name:invalid"},
			} {
				expect(t, c.do("PATCH", "/account/profile", tt.body), 400, tt.code)
			}
			// Login by the new username works; the old one is free.
			expect(t, newClient(t, srv, kind).do("POST", "/auth/login", map[string]any{"username": "patricia_" + kind, "password": goodPassword}), 200)
			expect(t, newClient(t, srv, kind).do("GET", "/account/profile", nil), 401)
		}
	})
}

// TestProfileUsernameRules: where signups take no username none can be set;
// where the username is the only login method it cannot be cleared.
func TestProfileUsernameRules(t *testing.T) {
	noUsername := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.NoUsername, c.LoginMethods = true, []string{"email"}
	})
	c := newClient(t, noUsername, "app")
	c.signup("rae@example.com", "")
	expect(t, c.do("PATCH", "/account/profile", map[string]any{"username": "rae"}), 400, "username:invalid")
	expect(t, c.do("PATCH", "/account/profile", map[string]any{"first_name": "Rae"}), 200)

	usernameOnly := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.LoginMethods = []string{"username"} })
	c = newClient(t, usernameOnly, "app")
	c.signup("sam@example.com", "sam")
	expect(t, c.do("PATCH", "/account/profile", map[string]any{"username": ""}), 400, "username:required")
}

// TestDeleteAccount: after a recent authentication a user deletes their
// account on both clients and engines: the answer is a logout, every
// session of theirs ends (other devices too), the password no longer logs
// in, the address is free for a new signup, a confirmation mail goes to it,
// and the audit log keeps a user.deleted entry. An older authentication is
// asked to reauthenticate first; LATCH_ACCOUNT_DELETION=false answers 404.
func TestDeleteAccount(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(t *testing.T) *sqlstore.DB) {
		db := open(t)
		srv := startLatch(t, db)
		for _, kind := range []string{"browser", "app"} {
			email := "del-" + kind + "@example.com"
			c := newClient(t, srv, kind)
			c.signup(email, "")
			publicID := c.do("GET", "/auth/session", nil).data()["user"].(map[string]any)["id"].(string)
			elsewhere := newClient(t, srv, kind)
			expect(t, elsewhere.do("POST", "/auth/login", map[string]any{"email": email, "password": goodPassword}), 200)

			// An authentication older than the reauthentication timeout
			// must be renewed first.
			srv.advance(10 * time.Minute)
			expect(t, elsewhere.do("GET", "/auth/session", nil), 200)
			r := c.do("DELETE", "/account", nil)
			expect(t, r, 401)
			if !strings.Contains(strings.Join(r.flowIDs(), ","), "reauthenticate") || r.meta()["is_authenticated"] != true {
				t.Fatalf("%s: an old authentication: %v", kind, r.Body)
			}
			expect(t, c.do("POST", "/auth/reauthenticate", map[string]any{"password": goodPassword}), 200)

			r = c.do("DELETE", "/account", nil)
			expect(t, r, 401)
			if r.meta()["is_authenticated"] == true {
				t.Errorf("%s: still authenticated after deletion: %v", kind, r.Body)
			}
			for _, cl := range []*client{c, elsewhere} {
				if r := cl.do("GET", "/auth/session", nil); r.Status == 200 {
					t.Errorf("%s: a session of the deleted user still answers: %v", kind, r.Body)
				}
			}
			expect(t, newClient(t, srv, kind).do("POST", "/auth/login", map[string]any{"email": email, "password": goodPassword}), 400)
			srv.mailTo(t, email) // the signup's confirmation
			if m := srv.mailTo(t, email); !strings.Contains(m.Subject, "deleted") {
				t.Errorf("%s: mail %q", kind, m.Subject)
			}
			entries, _, err := db.Audit.AuditEvents(context.Background(), latch.AuditFilter{UserID: publicID, Type: account.EventAccountDeleted, Limit: 10})
			if err != nil || len(entries) != 1 {
				t.Errorf("%s: audit entries %v, %v", kind, entries, err)
			}
			newClient(t, srv, kind).signup(email, "") // the address is free again
		}
	})

	off := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.AccountDeletion = false })
	c := newClient(t, off, "browser")
	c.signup("keep@example.com", "")
	expect(t, c.do("DELETE", "/account", nil), 404)
	expect(t, c.do("GET", "/auth/session", nil), 200)
}
