package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/latchtest"
	"github.com/latchauth/latch/latchauth"
)

// startLatch starts a real Latch server (JWT strategy) on a fresh SQLite
// database and returns it with its account service.
func startLatch(t *testing.T) (*httptest.Server, *account.Service) {
	t.Helper()
	srv := latchtest.Start(t, latchtest.Options{})
	return srv.Server, srv.Svc
}

const goodPassword = "violet-Harbor-92"

// caller is a client of the notes API with one kind of Latch credential.
type caller struct {
	t      *testing.T
	api    string
	header http.Header
}

// appLogin signs up (or logs in) through Latch's app client and returns a
// caller that sends either the access token or the session token.
func appLogin(t *testing.T, latch, api, action, email string, useSessionToken bool) *caller {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": goodPassword})
	res, err := http.Post(latch+"/_allauth/app/v1/auth/"+action, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Meta struct {
			SessionToken string `json:"session_token"`
			AccessToken  string `json:"access_token"`
		} `json:"meta"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || out.Meta.AccessToken == "" {
		t.Fatalf("%s %s: %d %v %+v", action, email, res.StatusCode, err, out)
	}
	c := &caller{t: t, api: api, header: http.Header{}}
	if useSessionToken {
		c.header.Set("X-Session-Token", out.Meta.SessionToken)
	} else {
		c.header.Set("Authorization", "Bearer "+out.Meta.AccessToken)
	}
	return c
}

// browserLogin logs in through Latch's browser client and returns a caller
// sending the sessionid cookie, as a browser on one domain would.
func browserLogin(t *testing.T, latch, api, email string) *caller {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	res, err := hc.Get(latch + "/_allauth/browser/v1/config")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	lu, _ := url.Parse(latch)
	var csrf, session string
	for _, k := range jar.Cookies(lu) {
		if k.Name == "csrftoken" {
			csrf = k.Value
		}
	}
	body, _ := json.Marshal(map[string]string{"email": email, "password": goodPassword})
	req, _ := http.NewRequest("POST", latch+"/_allauth/browser/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRFToken", csrf)
	req.Header.Set("Origin", latch)
	if res, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, k := range jar.Cookies(lu) {
		if k.Name == "sessionid" {
			session = k.Value
		}
	}
	if res.StatusCode != 200 || session == "" {
		t.Fatalf("browser login %s: %d", email, res.StatusCode)
	}
	c := &caller{t: t, api: api, header: http.Header{}}
	c.header.Set("Cookie", "sessionid="+session)
	return c
}

// do calls the notes API and decodes the JSON answer into out (if not nil).
func (c *caller) do(method, path string, body any, out any, extra ...string) int {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.api+path, rd)
	for k, v := range c.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusNoContent {
		return res.StatusCode
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %d, not JSON: %q", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode
}

func (c *caller) expect(want int, method, path string, body any, out any, extra ...string) {
	c.t.Helper()
	var detail struct {
		Detail string `json:"detail"`
	}
	if out == nil {
		out = &detail
	}
	if got := c.do(method, path, body, out, extra...); got != want {
		c.t.Fatalf("%s %s: %d, want %d (%+v)", method, path, got, want, out)
	}
}

func (c *caller) titles() []string {
	c.t.Helper()
	var list struct {
		Notes []note `json:"notes"`
	}
	c.expect(200, "GET", "/api/notes", nil, &list)
	out := []string{}
	for _, n := range list.Notes {
		out = append(out, n.Title)
	}
	return out
}

func TestNotes(t *testing.T) {
	latch, svc := startLatch(t)
	auth, err := latchauth.New(latchauth.Config{URL: latch.URL})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(newServer(auth))
	defer api.Close()

	alice := appLogin(t, latch.URL, api.URL, "signup", "alice@example.com", false)
	bob := appLogin(t, latch.URL, api.URL, "signup", "bob@example.com", true)
	aliceWeb := browserLogin(t, latch.URL, api.URL, "alice@example.com")
	anon := &caller{t: t, api: api.URL, header: http.Header{}}

	// Anonymous callers get nothing.
	anon.expect(401, "GET", "/api/notes", nil, nil)
	anon.expect(401, "POST", "/api/notes", map[string]string{"title": "x"}, nil)
	anon.expect(401, "GET", "/api/users", nil, nil)
	bogus := &caller{t: t, api: api.URL, header: http.Header{"Authorization": {"Bearer not.a.token"}}}
	bogus.expect(401, "GET", "/api/notes", nil, nil)

	// Each user writes notes and sees their own only.
	var first note
	alice.expect(201, "POST", "/api/notes", map[string]string{"title": "Groceries", "text": "eggs"}, &first)
	aliceWeb.expect(201, "POST", "/api/notes", map[string]string{"title": "Ideas"}, nil)
	var bobs note
	bob.expect(201, "POST", "/api/notes", map[string]string{"title": "Bob's plan", "text": "secret"}, &bobs)
	if first.ID == "" || first.Title != "Groceries" || first.Text != "eggs" || first.Created.IsZero() {
		t.Fatalf("created note = %+v", first)
	}
	if got := strings.Join(alice.titles(), ","); got != "Groceries,Ideas" {
		t.Errorf("alice's notes = %s", got)
	}
	if got := strings.Join(aliceWeb.titles(), ","); got != "Groceries,Ideas" {
		t.Errorf("alice's notes by cookie = %s", got)
	}
	if got := strings.Join(bob.titles(), ","); got != "Bob's plan" {
		t.Errorf("bob's notes = %s", got)
	}

	// Another user's note does not exist for bob, whatever he does.
	bob.expect(404, "GET", "/api/notes/"+first.ID, nil, nil)
	bob.expect(404, "PUT", "/api/notes/"+first.ID, map[string]string{"title": "mine now"}, nil)
	bob.expect(404, "DELETE", "/api/notes/"+first.ID, nil, nil)
	var got note
	alice.expect(200, "GET", "/api/notes/"+first.ID, nil, &got)
	if got.Title != "Groceries" || got.Text != "eggs" {
		t.Fatalf("alice's note after bob's attempts = %+v", got)
	}
	alice.expect(404, "GET", "/api/notes/"+bobs.ID, nil, nil)

	// The owner edits and deletes.
	alice.expect(200, "PUT", "/api/notes/"+first.ID, map[string]string{"title": "Groceries", "text": "eggs, milk"}, &got)
	if got.Text != "eggs, milk" || got.Updated.Before(first.Updated) {
		t.Errorf("updated note = %+v", got)
	}
	alice.expect(204, "DELETE", "/api/notes/"+first.ID, nil, nil)
	alice.expect(404, "GET", "/api/notes/"+first.ID, nil, nil)
	if got := strings.Join(alice.titles(), ","); got != "Ideas" {
		t.Errorf("alice's notes after the delete = %s", got)
	}

	// Bodies are checked.
	alice.expect(400, "POST", "/api/notes", map[string]string{"title": "  "}, nil)
	alice.expect(400, "POST", "/api/notes", `{"title": "x"`, nil)
	alice.expect(400, "POST", "/api/notes", `{"title": "x", "owner": "bob"}`, nil)
	alice.expect(400, "POST", "/api/notes", map[string]string{"title": strings.Repeat("t", maxTitle+1)}, nil)
	alice.expect(413, "POST", "/api/notes", map[string]string{"title": "big", "text": strings.Repeat("x", maxBodyBytes)}, nil)

	// A cross-site browser request riding on the session cookie is refused.
	if code := aliceWeb.do("POST", "/api/notes", map[string]string{"title": "csrf"}, nil, "Sec-Fetch-Site", "cross-site"); code != 403 {
		t.Errorf("cross-site POST with the cookie: %d, want 403", code)
	}

	// The user list is for superusers.
	alice.expect(403, "GET", "/api/users", nil, nil)
	bob.expect(403, "GET", "/api/users", nil, nil)
	if _, err := svc.Users.CreateSuperuser(context.Background(), account.SuperuserInput{Email: "root@example.com", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	for _, root := range []*caller{
		appLogin(t, latch.URL, api.URL, "login", "root@example.com", false),
		appLogin(t, latch.URL, api.URL, "login", "root@example.com", true),
	} {
		var users struct {
			Users []seenUser `json:"users"`
		}
		root.expect(200, "GET", "/api/users", nil, &users)
		var summary []string
		for _, u := range users.Users {
			if u.ID == "" {
				t.Errorf("user without id: %+v", u)
			}
			s := u.Email
			if u.Superuser {
				s += "*"
			}
			summary = append(summary, s+":"+strconv.Itoa(u.Notes))
		}
		if got := strings.Join(summary, ","); got != "alice@example.com:1,bob@example.com:1,root@example.com*:0" {
			t.Errorf("users = %s", got)
		}
	}

	// Unknown paths are JSON 404s.
	alice.expect(404, "GET", "/api/nothing", nil, nil)
}
