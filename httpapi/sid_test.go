package httpapi_test

import (
	"regexp"
	"strconv"
	"testing"
)

// TestAccessTokenSIDIsOpaque: the sid claim no longer is the session's row
// number (issue 10, item 13). Two sessions' sids are random-looking
// 22-character strings, not integers, and the tokens carrying them still
// authenticate and die with their sessions.
func TestAccessTokenSIDIsOpaque(t *testing.T) {
	srv := startLatch(t, openSQLite(t), jwtStrategy)
	ks := fetchJWKS(t, srv)
	a := newClient(t, srv, "app")
	accessA := a.signup("sid@example.com", "").meta()["access_token"].(string)
	b := newClient(t, srv, "app")
	login := b.do("POST", "/auth/login", map[string]any{"email": "sid@example.com", "password": goodPassword})
	accessB := login.meta()["access_token"].(string)
	var sids []string
	for _, token := range []string{accessA, accessB} {
		c, err := ks.Verify(token, srv.clock(), 0, srv.URL, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := strconv.ParseInt(c.SessionID, 10, 64); err == nil {
			t.Errorf("sid %q is a number", c.SessionID)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(c.SessionID) {
			t.Errorf("sid %q is not one base64url block", c.SessionID)
		}
		sids = append(sids, c.SessionID)
	}
	if sids[0] == sids[1] {
		t.Fatalf("two sessions share the sid %q", sids[0])
	}
	if sids[0][:4] == sids[1][:4] {
		t.Errorf("consecutive sessions' sids share a prefix: %q, %q", sids[0], sids[1])
	}
	// A refreshed token names the same session the same way.
	r := b.do("POST", "/tokens/refresh", map[string]any{"refresh_token": login.meta()["refresh_token"]})
	expect(t, r, 200)
	if c, err := ks.Verify(r.data()["access_token"].(string), srv.clock(), 0, srv.URL, srv.URL); err != nil || c.SessionID != sids[1] {
		t.Errorf("refreshed token's sid %q, want %q (%v)", c.SessionID, sids[1], err)
	}
	// Each token authenticates as its session, and revocation still works.
	other := newClient(t, srv, "app")
	expect(t, other.do("GET", "/auth/session", nil, bearer(accessA)...), 200)
	expect(t, other.do("GET", "/auth/session", nil, bearer(accessB)...), 200)
	if res := forwardAuth(t, srv, bearer(accessB)...); res.StatusCode != 200 {
		t.Errorf("forward auth: %d", res.StatusCode)
	}
	expect(t, b.do("DELETE", "/auth/session", nil), 401)
	expect(t, other.do("GET", "/auth/session", nil, bearer(accessB)...), 410)
	if res := forwardAuth(t, srv, bearer(accessB)...); res.StatusCode != 401 {
		t.Errorf("forward auth with the token of an ended session: %d", res.StatusCode)
	}
	expect(t, other.do("GET", "/auth/session", nil, bearer(accessA)...), 200)
}
