package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
)

// csrfShape is Django's csrftoken cookie: 32 characters of its alphabet.
var csrfShape = regexp.MustCompile(`^[a-zA-Z0-9]{32}$`)

// crossed sends DELETE /auth/session (logout, the most harmless unsafe call
// to forge) with exactly these cookies and X-CSRFToken, from the server's
// own origin, and returns the status and the error code.
func crossed(t *testing.T, srv *latchServer, session, csrf string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("DELETE", srv.URL+"/_allauth/browser/v1/auth/session", nil)
	cookie := "csrftoken=" + csrf
	if session != "" {
		cookie = "sessionid=" + session + "; " + cookie
	}
	req.Header.Set("Cookie", cookie)
	req.Header.Set("X-CSRFToken", csrf)
	req.Header.Set("Origin", srv.URL)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body struct {
		Status int `json:"status"`
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &body); err != nil || body.Status != res.StatusCode {
		t.Fatalf("answer is not the API's JSON: %d %q", res.StatusCode, raw)
	}
	code := ""
	if len(body.Errors) > 0 {
		code = body.Errors[0].Code
	}
	return res.StatusCode, code
}

// TestCSRFTokenBoundToSession: a csrftoken pair is worth something only
// with the session it was issued with (issue 10, item 9). Another client's
// valid pair — with its own session or none — is refused with a victim's
// session cookie; the normal flow, where the token rotates with the session
// at login and logout, goes on working.
func TestCSRFTokenBoundToSession(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	newClient(t, srv, "browser").signup("vic@example.com", "")
	newClient(t, srv, "browser").signup("mal@example.com", "")
	login := func(c *client, email string) {
		t.Helper()
		expect(t, c.do("POST", "/auth/login", map[string]any{"email": email, "password": goodPassword}), 200)
	}
	victim, attacker, anon := newClient(t, srv, "browser"), newClient(t, srv, "browser"), newClient(t, srv, "browser")
	for _, c := range []*client{victim, attacker, anon} {
		if !csrfShape.MatchString(c.csrf()) {
			t.Fatalf("csrftoken %q is not Django-shaped", c.csrf())
		}
	}
	anonToken := victim.csrf()
	login(victim, "vic@example.com")
	login(attacker, "mal@example.com")
	if victim.csrf() == anonToken || !csrfShape.MatchString(victim.csrf()) {
		t.Fatalf("login did not rotate the csrftoken to a Django-shaped one: %q", victim.csrf())
	}
	session := victim.cookie("sessionid")

	// Each pair works with its own session…
	expect(t, victim.do("GET", "/auth/session", nil), 200)
	// …but neither another session's pair nor an anonymous one is taken
	// with the victim's session cookie.
	for name, token := range map[string]string{
		"another session's pair":       attacker.csrf(),
		"an anonymous client's pair":   anon.csrf(),
		"the victim's pre-login token": anonToken,
	} {
		if status, code := crossed(t, srv, session, token); status != 403 || code != "csrf_token_invalid" {
			t.Errorf("%s: %d %q, want 403 csrf_token_invalid", name, status, code)
		}
	}
	expect(t, victim.do("GET", "/auth/session", nil), 200)
	// A session-bound token does not work without its session either.
	if status, code := crossed(t, srv, "", victim.csrf()); status != 403 || code != "csrf_token_invalid" {
		t.Errorf("a session's pair without the session: %d %q, want 403 csrf_token_invalid", status, code)
	}
	// The victim's own pair does (logout answers 401).
	if status, _ := crossed(t, srv, session, victim.csrf()); status != 401 {
		t.Errorf("the session's own pair: %d, want 401", status)
	}

	// The normal flow: logout rotates the token to an anonymous one, with
	// which the next login passes.
	login(victim, "vic@example.com")
	before := victim.csrf()
	expect(t, victim.do("DELETE", "/auth/session", nil), 401)
	if victim.csrf() == before || victim.cookie("sessionid") != "" {
		t.Fatalf("logout: csrftoken %q (was %q), sessionid %q", victim.csrf(), before, victim.cookie("sessionid"))
	}
	login(victim, "vic@example.com")
	expect(t, victim.do("GET", "/auth/session", nil), 200)

	// A cookie this server did not issue for the session (one from before
	// this change, or made up) is replaced at the next request, and the
	// unsafe request it came with is refused with a fresh one to retry with.
	stale := newClient(t, srv, "browser")
	stale.http.Jar, _ = cookiejar.New(nil)
	stale.http.Jar.SetCookies(mustURL(t, srv.URL), []*http.Cookie{{Name: "csrftoken", Value: "LatchOldRandomCsrfToken012345678"}})
	expect(t, stale.do("POST", "/auth/login", map[string]any{"email": "vic@example.com", "password": goodPassword}), 403, "csrf_token_invalid")
	if !csrfShape.MatchString(stale.csrf()) || stale.csrf() == "LatchOldRandomCsrfToken012345678" {
		t.Fatalf("the refusal brought no fresh csrftoken: %q", stale.csrf())
	}
	login(stale, "vic@example.com")
}

// TestSessionCSRFTokenIsAccepted: the token SessionCSRFToken makes (for the
// load harness's seeded sessions) is the one the server takes and keeps.
func TestSessionCSRFTokenIsAccepted(t *testing.T) {
	key := []byte("a csrf key derived from the master secret")
	srv := startLatch(t, openSQLite(t), func(_ *account.Config, h *httpapi.Config) { h.CSRFKey = key })
	c := newClient(t, srv, "browser")
	c.signup("seed@example.com", "")
	for _, session := range []string{"", c.cookie("sessionid")} {
		token := httpapi.SessionCSRFToken(key, session)
		if !csrfShape.MatchString(token) {
			t.Fatalf("token %q is not Django-shaped", token)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/_allauth/browser/v1/config", nil)
		cookie := "csrftoken=" + token
		if session != "" {
			cookie += "; sessionid=" + session
		}
		req.Header.Set("Cookie", cookie)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, k := range res.Cookies() {
			if k.Name == "csrftoken" {
				t.Errorf("session %q: the server replaced the token", session)
			}
		}
	}
	if first, second := httpapi.SessionCSRFToken(key, "a"), httpapi.SessionCSRFToken(key, "a"); first == second {
		t.Error("two tokens for one session are equal: no salt")
	}
}
