package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// adminDo sends a request to the admin API with hc (a browser client's
// jar carries its cookies), and checks the answer against openapi.yaml.
func adminDo(t *testing.T, srv *latchServer, hc *http.Client, method, path string, body any, headers ...string) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, srv.URL+"/_latch/admin/v1"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := &response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	validateHarnessResponse(t, req, res, raw)
	if res.StatusCode == http.StatusNoContent {
		if len(raw) != 0 {
			t.Errorf("%s %s: 204 with a body %q", method, path, raw)
		}
		return r
	}
	if err := json.Unmarshal(raw, &r.Body); err != nil {
		t.Fatalf("%s %s: not JSON (%d): %q", method, path, res.StatusCode, raw)
	}
	if got, _ := r.Body["status"].(float64); int(got) != res.StatusCode {
		t.Errorf("%s %s: body status %v, HTTP %d", method, path, r.Body["status"], res.StatusCode)
	}
	return r
}

// browserAdmin returns the headers a browser client sends on an admin
// request: its CSRF token and origin.
func browserAdmin(c *client) []string {
	return []string{"X-CSRFToken", c.csrf(), "Origin", c.srv.URL}
}

// makeStaff gives the account with that address staff status (and
// superuser status when super), behind the API's back: the cached
// sessions are read again after the store's TTL only, so do it before
// the account's sessions are used.
func makeStaff(t *testing.T, db *sqlstore.DB, email string, super bool) *latch.User {
	t.Helper()
	u, err := db.Users.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Users.SetRoles(context.Background(), u.ID, true, super, time.Now()); err != nil {
		t.Fatal(err)
	}
	return u
}

// adminKey creates an admin API key through the core, as latch apikeys create does.
func adminKey(t *testing.T, srv *latchServer, name string) string {
	t.Helper()
	key, err := srv.core.Admin.CreateAPIKey(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestAdminAccess walks the route table: every admin route refuses an
// anonymous caller (401) and a logged-in caller who is not staff (403) by
// session cookie, session token and access token, refuses an unknown API
// key (401) and a cookie caller's unsafe request without its CSRF token
// (403), and admits a staff user and an API key.
func TestAdminAccess(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	plainB, plainA := newClient(t, srv, "browser"), newClient(t, srv, "app")
	plainB.signup("bea@example.com", "")
	plainA.signup("abe@example.com", "")
	staffB := newClient(t, srv, "browser")
	staffB.signup("stella@example.com", "")
	target := newClient(t, srv, "app")
	target.signup("target@example.com", "")
	makeStaff(t, srv.db, "stella@example.com", false)
	staffB = newClient(t, srv, "browser")
	expect(t, staffB.do("POST", "/auth/login", map[string]any{"email": "stella@example.com", "password": goodPassword}), 200)
	access := plainB.do("POST", "/tokens/access", nil).data()["access_token"].(string)
	key := adminKey(t, srv, "ci")
	victim, _ := srv.db.Users.UserByEmail(context.Background(), "target@example.com")

	n := 0
	for _, r := range httpapi.AllRoutes() {
		if r.Surface != "admin" {
			continue
		}
		n++
		if r.Access != "staff" || !strings.HasPrefix(r.Path, "/_latch/admin/v1/") {
			t.Errorf("%s %s: access %s", r.Method, r.Path, r.Access)
		}
		path := strings.ReplaceAll(strings.TrimPrefix(r.Path, "/_latch/admin/v1"), "{id}", victim.PublicID)
		check := func(who string, got *response, status int, code string) {
			t.Helper()
			if got.Status != status || (code != "" && strings.Join(got.errorCodes(), ",") != code) {
				t.Errorf("%s %s %s: %d %s, want %d %s", r.Method, r.Path, who, got.Status, got.Raw, status, code)
			}
		}
		check("anonymous", adminDo(t, srv, nil, r.Method, path, nil), 401, "not_authenticated")
		check("with an unknown key", adminDo(t, srv, nil, r.Method, path, nil, "Authorization", "Bearer latch_admin_nope"), 401, "not_authenticated")
		check("with a bad token", adminDo(t, srv, nil, r.Method, path, nil, "Authorization", "Bearer eyJnope"), 401, "not_authenticated")
		check("with an ended session token", adminDo(t, srv, nil, r.Method, path, nil, "X-Session-Token", "gone"), 401, "not_authenticated")
		check("non-staff by cookie", adminDo(t, srv, plainB.http, r.Method, path, nil, browserAdmin(plainB)...), 403, "permission_denied")
		check("non-staff by session token", adminDo(t, srv, nil, r.Method, path, nil, "X-Session-Token", plainA.token), 403, "permission_denied")
		check("non-staff by access token", adminDo(t, srv, nil, r.Method, path, nil, "Authorization", "Bearer "+access), 403, "permission_denied")
		if r.Method != "GET" {
			check("staff by cookie without CSRF token", adminDo(t, srv, staffB.http, r.Method, path, nil, "Origin", srv.URL), 403, "csrf_header_missing")
		}
		if r.Method == "GET" {
			check("staff by cookie", adminDo(t, srv, staffB.http, r.Method, path, nil, browserAdmin(staffB)...), 200, "")
			check("API key", adminDo(t, srv, nil, r.Method, path, nil, "Authorization", "Bearer "+key), 200, "")
		}
	}
	if n < 8 {
		t.Errorf("only %d admin routes", n)
	}
}

// TestAdminUsers drives the admin API on each engine: create, list with
// filters and pages, detail, roles, verification, deactivation (seen at
// once by a session cookie, a session token, an access token and a
// refresh token), revocation and deletion; each action is an audit event
// naming its actor, and no audit row holds a password, code or token.
func TestAdminUsers(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), jwtStrategy)
		ctx := context.Background()
		const marker = "Marker-Password-7781"
		boss := newClient(t, srv, "browser")
		boss.do("POST", "/auth/signup", map[string]any{"email": "boss@example.com", "password": marker + "b"})
		makeStaff(t, srv.db, "boss@example.com", false)
		boss = newClient(t, srv, "browser")
		expect(t, boss.do("POST", "/auth/login", map[string]any{"email": "boss@example.com", "password": marker + "b"}), 200)
		key := adminKey(t, srv, "backend")
		asBoss := func(method, path string, body any) *response {
			return adminDo(t, srv, boss.http, method, path, body, browserAdmin(boss)...)
		}
		asKey := func(method, path string, body any) *response {
			return adminDo(t, srv, nil, method, path, body, "Authorization", "Bearer "+key)
		}

		// Create: with a password, and without one (unusable).
		r := asBoss("POST", "/users", map[string]any{"email": "Carol@Example.com", "username": "carol", "password": marker, "email_verified": true})
		expect(t, r, 201)
		carol := r.data()
		if carol["email"] != "carol@example.com" || carol["username"] != "carol" || carol["is_active"] != true || carol["email_verified"] != true ||
			carol["is_staff"] != false || carol["last_login"] != nil {
			t.Errorf("created %v", carol)
		}
		carolID := carol["id"].(string)
		expect(t, asKey("POST", "/users", map[string]any{"email": "dave@example.com", "is_staff": true}), 201)
		expect(t, asBoss("POST", "/users", map[string]any{"email": "carol@example.com"}), 400, "email:email_taken")
		expect(t, asBoss("POST", "/users", map[string]any{"email": "erin@example.com", "password": "123"}), 400)
		expect(t, asBoss("POST", "/users", map[string]any{"email": "erin@example.com", "admin": true}), 400, "admin:unknown")
		expect(t, asBoss("POST", "/users", map[string]any{"email": "erin@example.com", "is_staff": "yes"}), 400, "is_staff:invalid")

		// Carol logs in three ways: cookie, session token, JWT pair.
		cb, ca := newClient(t, srv, "browser"), newClient(t, srv, "app")
		login := map[string]any{"email": "carol@example.com", "password": marker}
		expect(t, cb.do("POST", "/auth/login", login), 200)
		lr := ca.do("POST", "/auth/login", login)
		expect(t, lr, 200)
		access, refresh := lr.meta()["access_token"].(string), lr.meta()["refresh_token"].(string)
		expect(t, cb.do("GET", "/auth/session", nil), 200)
		expect(t, ca.do("GET", "/auth/session", nil), 200)

		// List: filters, sort, pages.
		list := asBoss("GET", "/users?sort=email", nil)
		expect(t, list, 200)
		emails := func(r *response) []string {
			var out []string
			for _, u := range r.Body["data"].([]any) {
				out = append(out, fmt.Sprint(u.(map[string]any)["email"]))
			}
			return out
		}
		if got := strings.Join(emails(list), ","); got != "boss@example.com,carol@example.com,dave@example.com" {
			t.Errorf("sorted by email: %s", got)
		}
		if got := strings.Join(emails(asBoss("GET", "/users?is_staff=true&sort=email", nil)), ","); got != "boss@example.com,dave@example.com" {
			t.Errorf("staff: %s", got)
		}
		if got := strings.Join(emails(asBoss("GET", "/users?q=CAR", nil)), ","); got != "carol@example.com" {
			t.Errorf("q=CAR: %s", got)
		}
		p1 := asKey("GET", "/users?limit=2&sort=-date_joined", nil)
		next, _ := p1.meta()["next_cursor"].(string)
		p2 := asKey("GET", "/users?limit=2&sort=-date_joined&cursor="+next, nil)
		if len(p1.Body["data"].([]any)) != 2 || next == "" || len(p2.Body["data"].([]any)) != 1 || p2.meta()["next_cursor"] != nil {
			t.Errorf("pages: %s / %s", p1.Raw, p2.Raw)
		}
		expect(t, asBoss("GET", "/users?sort=name", nil), 400, "sort:invalid_choice")
		expect(t, asBoss("GET", "/users?is_active=maybe", nil), 400, "is_active:invalid")
		expect(t, asBoss("GET", "/users?page=2", nil), 400, "page:unknown")
		expect(t, asBoss("GET", "/users?cursor=zzz", nil), 400, "cursor:invalid")

		// Detail.
		d := asBoss("GET", "/users/"+carolID, nil)
		expect(t, d, 200)
		if s := d.data()["sessions"].([]any); len(s) != 2 {
			t.Errorf("carol's sessions: %v", s)
		}
		if e := d.data()["emails"].([]any); len(e) != 1 || e[0].(map[string]any)["primary"] != true {
			t.Errorf("carol's addresses: %v", e)
		}
		expect(t, asBoss("GET", "/users/00000000-0000-4000-8000-000000000000", nil), 404, "not_found")
		expect(t, asBoss("GET", "/users/carol@example.com", nil), 404, "not_found")

		// Roles: a staff user who is not a superuser cannot grant superuser; a key can.
		expect(t, asBoss("PATCH", "/users/"+carolID, map[string]any{"is_superuser": true}), 403, "permission_denied")
		expect(t, asBoss("PATCH", "/users/"+carolID, map[string]any{"is_active": "no"}), 400, "is_active:invalid")
		expect(t, asBoss("PATCH", "/users/"+carolID, map[string]any{"email": "x"}), 400, "email:unknown")
		if r := asKey("PATCH", "/users/"+carolID, map[string]any{"is_staff": true, "is_superuser": true}); r.Status != 200 ||
			r.data()["is_staff"] != true || r.data()["is_superuser"] != true {
			t.Errorf("set roles: %s", r.Raw)
		}
		// The roles show in Carol's session at once (the cached session was dropped).
		if u := cb.do("GET", "/auth/session", nil); u.Status != 200 {
			t.Errorf("carol after the role change: %s", u.Raw)
		}
		expect(t, adminDo(t, srv, cb.http, "GET", "/users", nil), 200)

		// MFA: has_mfa follows TOTP (recovery codes alone are none); the
		// reset removes every authenticator.
		carolUser, _ := srv.db.Users.UserByEmail(ctx, "carol@example.com")
		for _, typ := range []string{"recovery_codes", "totp"} {
			if err := srv.db.Authenticators.AddAuthenticator(ctx, &latch.Authenticator{UserID: carolUser.ID, Type: typ, Data: `{"secret":"` + marker + `"}`, Created: time.Now()}); err != nil {
				t.Fatal(err)
			}
			want := typ == "totp"
			if got := emails(asBoss("GET", "/users?has_mfa=true", nil)); (len(got) == 1 && got[0] == "carol@example.com") != want {
				t.Errorf("has_mfa=true with %s: %v", typ, got)
			}
		}
		if d := asBoss("GET", "/users/"+carolID, nil); d.data()["has_mfa"] != true || len(d.data()["authenticators"].([]any)) != 2 || strings.Contains(d.Raw, marker) {
			t.Errorf("detail with authenticators: %s", d.Raw)
		}
		expect(t, asBoss("DELETE", "/users/"+carolID+"/authenticators", nil), 204)
		if d := asBoss("GET", "/users/"+carolID, nil); d.data()["has_mfa"] != false || len(d.data()["authenticators"].([]any)) != 0 {
			t.Errorf("detail after the MFA reset: %s", d.Raw)
		}

		// Verify an address.
		ca.do("POST", "/account/email", map[string]any{"email": "carol2@example.com"})
		expect(t, asBoss("POST", "/users/"+carolID+"/emails/verify", map[string]any{"email": "nobody@example.com"}), 400, "email:not_found")
		if r := asBoss("POST", "/users/"+carolID+"/emails/verify", map[string]any{"email": "Carol2@example.com"}); r.Status != 200 {
			t.Errorf("verify: %s", r.Raw)
		} else if e := r.data()["emails"].([]any); len(e) != 2 || e[1].(map[string]any)["verified"] != true {
			t.Errorf("after verify: %v", e)
		}

		// Deactivation: every way Carol carries her login stops at once.
		if r := asBoss("PATCH", "/users/"+carolID, map[string]any{"is_active": false}); r.Status != 200 || r.data()["is_active"] != false ||
			len(r.data()["sessions"].([]any)) != 0 {
			t.Errorf("deactivate: %s", r.Raw)
		}
		expect(t, cb.do("GET", "/auth/session", nil), 401)
		expect(t, ca.do("GET", "/auth/session", nil), 410)
		b := newClient(t, srv, "app")
		expect(t, b.do("GET", "/auth/session", nil, bearer(access)...), 410)
		expect(t, b.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh}), 400)
		expect(t, newClient(t, srv, "app").do("POST", "/auth/login", login), 401)
		expect(t, asBoss("PATCH", "/users/"+carolID, map[string]any{"is_active": true}), 200)
		expect(t, newClient(t, srv, "app").do("POST", "/auth/login", login), 200)

		// Revoke sessions, then delete.
		expect(t, asKey("DELETE", "/users/"+carolID+"/sessions", nil), 204)
		if s := asKey("GET", "/users/"+carolID, nil).data()["sessions"].([]any); len(s) != 0 {
			t.Errorf("sessions after revocation: %v", s)
		}
		expect(t, asKey("DELETE", "/users/"+carolID, nil), 204)
		expect(t, asKey("DELETE", "/users/"+carolID, nil), 404)
		expect(t, asKey("GET", "/users/"+carolID, nil), 404)
		if _, err := srv.db.Users.UserByEmail(ctx, "carol@example.com"); err == nil {
			t.Error("carol is still there")
		}
		// The address is free again.
		expect(t, asKey("POST", "/users", map[string]any{"email": "carol@example.com"}), 201)

		// The audit trail: each admin action, with its actor.
		trail := asKey("GET", "/audit?user="+carolID+"&limit=1000", nil)
		expect(t, trail, 200)
		var types []string
		actors := map[string]string{}
		for _, e := range trail.Body["data"].([]any) {
			m := e.(map[string]any)
			typ := m["type"].(string)
			types = append([]string{typ}, types...)
			if a, ok := m["details"].(map[string]any)["actor"].(string); ok {
				actors[typ] = a
			}
		}
		want := "admin.user_created,user.logged_in,user.logged_in,admin.user_updated,user.mfa_disabled,user.mfa_disabled,admin.user_updated," +
			"user.email_added,admin.user_updated,admin.user_updated," +
			"user.login_failed,admin.user_updated,user.logged_in,admin.sessions_revoked,admin.user_deleted"
		if got := strings.Join(types, ","); got != want {
			t.Errorf("carol's trail:\n got %s\nwant %s", got, want)
		}
		bossUser, _ := srv.db.Users.UserByEmail(ctx, "boss@example.com")
		if actors["admin.user_created"] != "user:"+bossUser.PublicID || actors["admin.user_deleted"] != "apikey:backend" {
			t.Errorf("actors %v", actors)
		}
		if r := asKey("GET", "/audit?type=admin.user_created", nil); len(r.Body["data"].([]any)) != 3 {
			t.Errorf("admin.user_created entries: %s", r.Raw)
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if r := asKey("GET", "/audit?since="+future, nil); len(r.Body["data"].([]any)) != 0 {
			t.Errorf("since the future: %s", r.Raw)
		}
		expect(t, asKey("GET", "/audit?since=yesterday", nil), 400, "since:invalid")

		// No secret in any audit row: the passwords typed, the key, the tokens.
		all, _, err := srv.db.Audit.AuditEvents(ctx, latch.AuditFilter{Limit: 1000})
		if err != nil || len(all) < 15 {
			t.Fatalf("%d audit entries, %v", len(all), err)
		}
		raw, _ := json.Marshal(all)
		for _, secret := range []string{marker, key, key[len("latch_admin_"):], access, refresh, boss.cookie("sessionid"), ca.token} {
			if secret != "" && strings.Contains(string(raw), secret) {
				t.Errorf("an audit row holds a secret %.12q…", secret)
			}
		}
	})
}
