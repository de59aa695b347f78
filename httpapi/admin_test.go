package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
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
