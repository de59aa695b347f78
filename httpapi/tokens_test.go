package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/sqlstore"
)

func jwtStrategy(c *account.Config, _ *httpapi.Config) { c.Tokens.Strategy = "jwt" }

// fetchJWKS reads the server's JWKS the way an outside verifier would.
func fetchJWKS(t *testing.T, srv *latchServer) *jwt.KeySet {
	t.Helper()
	res, err := http.Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") == "" {
		t.Fatalf("JWKS: %d %v", res.StatusCode, res.Header)
	}
	ks, err := jwt.ParseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

func TestJWTStrategy(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), jwtStrategy)
		c := newClient(t, srv, "app")
		r := c.signup("jim@example.com", "jim")
		access, _ := r.meta()["access_token"].(string)
		refresh, _ := r.meta()["refresh_token"].(string)
		if access == "" || refresh == "" || c.token == "" {
			t.Fatalf("login meta lacks tokens: %v", r.meta())
		}
		claims, err := fetchJWKS(t, srv).Verify(access, srv.clock(), 0, srv.URL, srv.URL)
		if err != nil {
			t.Fatalf("access token does not verify against the JWKS: %v", err)
		}
		if claims.Subject != r.data()["user"].(map[string]any)["id"] || claims.SessionID == "" || claims.Expires-claims.IssuedAt != 300 || claims.ID == "" {
			t.Errorf("claims = %+v", claims)
		}
		// GET auth/session re-issues nothing.
		if r := c.do("GET", "/auth/session", nil); r.meta()["access_token"] != nil {
			t.Error("session check issued tokens")
		}
		// The access token stands in for the session token.
		b := newClient(t, srv, "app")
		expect(t, b.do("GET", "/auth/session", nil, bearer(access)...), 200)

		// Rotation: the refresh token works once; a repeat within the grace
		// window gets the same pair.
		r1 := b.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh})
		expect(t, r1, 200)
		srv.advance(2 * time.Second)
		r2 := b.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh})
		expect(t, r2, 200)
		if r1.Raw != r2.Raw {
			t.Errorf("repeat within grace got another pair:\n%s\n%s", r1.Raw, r2.Raw)
		}
		next := r1.data()["refresh_token"].(string)
		if next == refresh {
			t.Error("refresh token did not rotate")
		}
		// After the window, presenting the spent token again is theft: the
		// whole family and the session end.
		srv.advance(5 * time.Second)
		r3 := b.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh})
		if r3.Status != 400 || r3.Raw != "{\"status\":400}\n" {
			t.Errorf("reuse after grace: %s", r3.Raw)
		}
		expect(t, b.do("POST", "/tokens/refresh", map[string]any{"refresh_token": next}), 400)
		expect(t, c.do("GET", "/auth/session", nil), 410)
		expect(t, b.do("GET", "/auth/session", nil, bearer(access)...), 410)

		expect(t, b.do("POST", "/tokens/refresh", map[string]any{}), 400, "refresh_token:required")
		expect(t, b.do("POST", "/tokens/refresh", map[string]any{"refresh_token": "garbage"}), 400)
	})
}

func TestRefreshConcurrentWithinGrace(t *testing.T) {
	srv := startLatch(t, openSQLite(t), jwtStrategy)
	c := newClient(t, srv, "app")
	refresh := c.signup("kay@example.com", "").meta()["refresh_token"].(string)
	const n = 12
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			bodies[i] = newClient(t, srv, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh}).Raw
		}(i)
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if bodies[i] != bodies[0] {
			t.Fatalf("concurrent refreshes got different answers:\n%s\n%s", bodies[0], bodies[i])
		}
	}
	if !strings.Contains(bodies[0], "refresh_token") {
		t.Fatalf("refresh failed: %s", bodies[0])
	}
	expect(t, c.do("GET", "/auth/session", nil), 200)
}

func TestRevocationEndsRefresh(t *testing.T) {
	srv := startLatch(t, openSQLite(t), jwtStrategy)
	a := newClient(t, srv, "app")
	refreshA := a.signup("lea@example.com", "").meta()["refresh_token"].(string)
	b := newClient(t, srv, "app")
	r := b.do("POST", "/auth/login", map[string]any{"email": "lea@example.com", "password": goodPassword})
	refreshB, accessB := r.meta()["refresh_token"].(string), r.meta()["access_token"].(string)
	// A password change ends the other session's family at once…
	expect(t, a.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "linen-Thunder-66"}), 200)
	expect(t, newClient(t, srv, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": refreshB}), 400)
	expect(t, newClient(t, srv, "app").do("GET", "/auth/session", nil, bearer(accessB)...), 410)
	// …and keeps the changer's.
	r = a.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refreshA})
	expect(t, r, 200)
	// Logout ends it.
	expect(t, a.do("DELETE", "/auth/session", nil), 401)
	expect(t, newClient(t, srv, "app").do("POST", "/tokens/refresh", map[string]any{"refresh_token": r.data()["refresh_token"]}), 400)
}

func TestAccessTokenExpiryAndKeyRotation(t *testing.T) {
	srv := startLatch(t, openSQLite(t), jwtStrategy)
	c := newClient(t, srv, "app")
	r := c.signup("max@example.com", "")
	access, refresh := r.meta()["access_token"].(string), r.meta()["refresh_token"].(string)
	oldKeys := fetchJWKS(t, srv)

	if _, err := srv.keys.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ks := fetchJWKS(t, srv)
	if len(ks.Keys()) != 2 {
		t.Fatalf("JWKS after rotation has %d keys, want old and new", len(ks.Keys()))
	}
	if _, err := ks.Verify(access, srv.clock(), 0, srv.URL, srv.URL); err != nil {
		t.Errorf("token of the old key no longer verifies: %v", err)
	}
	r = c.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh})
	expect(t, r, 200)
	fresh := r.data()["access_token"].(string)
	if _, err := oldKeys.Verify(fresh, srv.clock(), 0, srv.URL, srv.URL); err == nil {
		t.Error("new token verifies with the old key set: not signed by the new key")
	}
	if _, err := ks.Verify(fresh, srv.clock(), 0, srv.URL, srv.URL); err != nil {
		t.Errorf("new token: %v", err)
	}

	// Five minutes on: the old access token has expired (and is ignored by
	// the API), and the old key has left the JWKS.
	srv.advance(5*time.Minute + time.Second)
	expect(t, newClient(t, srv, "app").do("GET", "/auth/session", nil, bearer(access)...), 401)
	if err := srv.keys.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(fetchJWKS(t, srv).Keys()); n != 1 {
		t.Errorf("JWKS still has %d keys after the old key retired", n)
	}
}

func TestSessionStrategyHasNoTokens(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := newClient(t, srv, "app")
	r := c.signup("ned@example.com", "")
	if r.meta()["access_token"] != nil || r.meta()["refresh_token"] != nil {
		t.Errorf("session strategy issued tokens: %v", r.meta())
	}
	expect(t, c.do("POST", "/tokens/refresh", map[string]any{"refresh_token": "x"}), 400)
	expect(t, newClient(t, srv, "browser").do("POST", "/tokens/refresh", map[string]any{}), 404)
}

func TestBrowserAccessToken(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := newClient(t, srv, "browser")
	expect(t, c.do("POST", "/tokens/access", nil), 401)
	c.signup("ola@example.com", "")
	expect(t, c.do("POST", "/tokens/access", nil, "X-CSRFToken", ""), 403, "csrf_header_missing")
	r := c.do("POST", "/tokens/access", nil)
	expect(t, r, 200)
	token := r.data()["access_token"].(string)
	if _, err := fetchJWKS(t, srv).Verify(token, srv.clock(), 0, srv.URL, srv.URL); err != nil {
		t.Errorf("browser access token: %v", err)
	}
	if r.data()["expires_in"].(float64) != 300 {
		t.Errorf("expires_in = %v", r.data()["expires_in"])
	}
	// It opens no door to the account itself through the app API.
	expect(t, newClient(t, srv, "app").do("GET", "/auth/session", nil, bearer(token)...), 401)
	if res := forwardAuth(t, srv, "Authorization", "Bearer "+token); res.StatusCode != 200 {
		t.Errorf("forward auth with a browser access token: %d", res.StatusCode)
	}
	// It is bound to the session: after logout it opens nothing.
	expect(t, c.do("DELETE", "/auth/session", nil), 401)
	res := forwardAuth(t, srv, "Authorization", "Bearer "+token)
	if res.StatusCode != 401 {
		t.Errorf("forward auth with the token of an ended session: %d", res.StatusCode)
	}
}

func forwardAuth(t *testing.T, srv *latchServer, headers ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/auth/verify", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func TestForwardAuth(t *testing.T) {
	db := openSQLite(t)
	srv := startLatch(t, db, jwtStrategy)
	app := newClient(t, srv, "app")
	r := app.signup("pam@example.com", "pam")
	access := r.meta()["access_token"].(string)
	browser := newClient(t, srv, "browser")
	expect(t, browser.do("POST", "/auth/login", map[string]any{"username": "pam", "password": goodPassword}), 200)

	for _, tt := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"session cookie", []string{"Cookie", "sessionid=" + browser.cookie("sessionid")}, 200},
		{"session token", []string{"X-Session-Token", app.token}, 200},
		{"access token", []string{"Authorization", "Bearer " + access}, 200},
		{"nothing", nil, 401},
		{"bad cookie", []string{"Cookie", "sessionid=nope"}, 401},
		{"bad token", []string{"X-Session-Token", "nope"}, 401},
		{"tampered access token", []string{"Authorization", "Bearer " + access[:len(access)-4] + "AAAA"}, 401},
	} {
		res := forwardAuth(t, srv, tt.headers...)
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.status)
		}
		if tt.status == 200 && (res.Header.Get("X-Latch-User-Email") != "pam@example.com" || res.Header.Get("X-Latch-Username") != "pam" || res.Header.Get("X-Latch-User-Id") == "") {
			t.Errorf("%s: headers %v", tt.name, res.Header)
		}
	}
	expect(t, app.do("DELETE", "/auth/session", nil), 401)
	if res := forwardAuth(t, srv, "Authorization", "Bearer "+access); res.StatusCode != 401 {
		t.Errorf("access token of a logged-out session: %d", res.StatusCode)
	}
}
