package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/providertest"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/social"
	"github.com/latchauth/latch/sqlstore"
)

// socialRig is a Latch with an OpenID Connect provider ("corp") and a
// GitHub-like one ("github"), both started by the test on loopback.
type socialRig struct {
	*latchServer
	op, gh *providertest.Provider
}

// withSocial configures the providers of rig (filled in by startSocial).
func startSocial(t *testing.T, db *sqlstore.DB, opts ...serverOption) *socialRig {
	t.Helper()
	op, gh := providertest.NewOIDC(t), providertest.NewGitHub(t)
	reg, err := social.New([]social.Config{
		{ID: "corp", Kind: "oidc", Name: "Corp ID", ClientID: op.ClientID, Secret: op.Secret, Issuer: op.URL},
		{Kind: "github", ClientID: gh.ClientID, Secret: gh.Secret, AuthorizeURL: gh.URL + "/login/oauth/authorize",
			TokenURL: gh.URL + "/login/oauth/access_token", UserinfoURL: gh.URL + "/user", EmailsURL: gh.URL + "/user/emails"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]serverOption{func(c *account.Config, h *httpapi.Config) {
		c.Social.Providers = reg.Providers()
		c.Social.StoreTokens, c.Social.TokenKey = true, []byte("provider token key for the tests")
		h.Social = reg
		h.CORSOrigins = []string{"http://spa.example.com"}
	}}, opts...)
	return &socialRig{latchServer: startLatch(t, db, all...), op: op, gh: gh}
}

// noFollow is c's HTTP client with c's cookies that does not follow redirects.
func (c *client) noFollow() *http.Client {
	return &http.Client{Jar: c.http.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// redirectForm posts the provider redirect form as a browser does and
// returns the answer (not followed).
func (c *client) redirectForm(fields url.Values, headers ...string) *http.Response {
	c.t.Helper()
	if !fields.Has("csrfmiddlewaretoken") {
		fields.Set("csrfmiddlewaretoken", c.csrf())
	}
	req, _ := http.NewRequest("POST", c.srv.URL+"/_allauth/browser/v1/auth/provider/redirect", strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.origin)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if h := req.Header.Get("Host"); h != "" {
		// The client files cookies under req.Host: send Latch's by hand.
		req.Host = h
		u, _ := url.Parse(c.srv.URL)
		for _, k := range c.http.Jar.Cookies(u) {
			req.AddCookie(k)
		}
	}
	res, err := c.noFollow().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	validateHarnessResponse(c.t, req, res, raw)
	res.Body = io.NopCloser(strings.NewReader(string(raw)))
	return res
}

// get GETs an absolute URL with c's cookies, not following redirects.
func (c *client) get(u string) *http.Response {
	c.t.Helper()
	res, err := c.noFollow().Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// toProvider starts a provider redirect and follows it to the provider,
// returning the URL the provider sends the browser back to (Latch's
// callback, with code and state).
func (c *client) toProvider(provider, callback, process string) string {
	c.t.Helper()
	res := c.redirectForm(url.Values{"provider": {provider}, "callback_url": {callback}, "process": {process}})
	if res.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(res.Body)
		c.t.Fatalf("redirect form: %d %s", res.StatusCode, body)
	}
	back := c.get(res.Header.Get("Location"))
	if back.StatusCode != http.StatusFound {
		c.t.Fatalf("provider answered %d", back.StatusCode)
	}
	return back.Header.Get("Location")
}

// providerLogin runs a whole provider redirect flow and returns where the
// browser finally lands.
func (c *client) providerLogin(provider, callback, process string) *url.URL {
	c.t.Helper()
	back := c.toProvider(provider, callback, process)
	return c.landing(back)
}

// landing opens Latch's callback URL and returns the frontend URL it
// redirects to.
func (c *client) landing(callbackURL string) *url.URL {
	c.t.Helper()
	res := c.get(callbackURL)
	if res.StatusCode != http.StatusFound {
		c.t.Fatalf("callback answered %d", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		c.t.Fatal(err)
	}
	return u
}

// methodsOf returns the session's methods as "method:provider:uid".
func methodsOf(r *response) []string {
	var out []string
	list, _ := r.data()["methods"].([]any)
	for _, m := range list {
		mm := m.(map[string]any)
		s, _ := mm["method"].(string)
		p, _ := mm["provider"].(string)
		u, _ := mm["uid"].(string)
		out = append(out, s+":"+p+":"+u)
	}
	return out
}

// The browser flow end to end: redirect form, provider, callback, session.
func TestSocialBrowserLogin(t *testing.T) {
	eachEngine(t, func(t *testing.T, db func(t *testing.T) *sqlstore.DB) {
		s := startSocial(t, db(t))
		s.op.SetUser(providertest.User{Sub: "sub-1", Email: "Neo@Example.com", EmailVerified: true, Name: "Neo"})
		c := newClient(t, s.latchServer, "browser")

		cfg := c.do("GET", "/config", nil)
		providers := cfg.data()["socialaccount"].(map[string]any)["providers"].([]any)
		if len(providers) != 2 || providers[0].(map[string]any)["id"] != "corp" ||
			providers[0].(map[string]any)["openid_configuration_url"] != s.op.URL+"/.well-known/openid-configuration" {
			t.Fatalf("config providers %v", providers)
		}
		if flows := c.do("GET", "/auth/session", nil).flowIDs(); !slices.Contains(flows, "provider_redirect") || !slices.Contains(flows, "provider_token") {
			t.Fatalf("flows %v", flows)
		}

		land := c.providerLogin("corp", "/after-login?x=1", "login")
		if land.Path != "/after-login" || land.Query().Get("x") != "1" || land.Query().Has("error") {
			t.Fatalf("landed at %s", land)
		}
		q := s.op.LastAuthorize
		if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("redirect_uri") != s.URL+"/accounts/oidc/corp/login/callback/" {
			t.Errorf("authorization request %v", q)
		}
		me := c.do("GET", "/auth/session", nil)
		expect(t, me, 200)
		if got := methodsOf(me); !slices.Equal(got, []string{"socialaccount:corp:sub-1"}) || userEmail(me) != "neo@example.com" {
			t.Fatalf("session %s", me.Raw)
		}
		if me.data()["user"].(map[string]any)["has_usable_password"] != false {
			t.Errorf("a social signup has a usable password: %s", me.Raw)
		}
		emails := c.do("GET", "/account/email", nil)
		if list := emails.Body["data"].([]any); len(list) != 1 || list[0].(map[string]any)["verified"] != true {
			t.Errorf("the provider-verified address is not stored verified: %s", emails.Raw)
		}
		accts := c.do("GET", "/account/providers", nil)
		if list := accts.Body["data"].([]any); len(list) != 1 || list[0].(map[string]any)["uid"] != "sub-1" || list[0].(map[string]any)["display"] != "Neo" {
			t.Fatalf("providers %s", accts.Raw)
		}
		// The tokens are stored sealed, not in the clear.
		stored, err := s.db.Social.SocialAccount(context.Background(), "corp", "sub-1")
		if err != nil || len(stored.Tokens) == 0 || strings.Contains(string(stored.Tokens), "access_token") {
			t.Errorf("stored tokens %q, %v", stored.Tokens, err)
		}
		userID := me.data()["user"].(map[string]any)["id"]

		// Logging in again with the identity reaches the same account.
		c.do("DELETE", "/auth/session", nil)
		c.providerLogin("corp", "/after-login", "login")
		again := c.do("GET", "/auth/session", nil)
		expect(t, again, 200)
		if again.data()["user"].(map[string]any)["id"] != userID {
			t.Fatalf("second login reached another account: %s", again.Raw)
		}
	})
}

// A provider's address logs into the account that has it only when the
// provider verified it, the account verified it, and the operator allows it;
// otherwise the identity waits at provider_signup, where the address is
// refused.
func TestSocialNoTakeover(t *testing.T) {
	tests := []struct {
		name                          string
		providerVerified, localVerify bool
		emailAuth                     bool
		intoAlice                     bool
	}{
		{"unverified provider address", false, true, true, false},
		{"unverified local address", true, false, true, false},
		{"email authentication off", true, true, false, false},
		{"both verified, email authentication on", true, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSocial(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
				c.Social.EmailAuthentication = tt.emailAuth
			})
			owner := newClient(t, s.latchServer, "browser")
			alice := owner.signup("alice@example.com", "alice")
			aliceID := alice.data()["user"].(map[string]any)["id"]
			if tt.localVerify {
				u, _ := s.db.Users.UserByEmail(context.Background(), "alice@example.com")
				if err := s.db.Emails.SetEmailVerified(context.Background(), u.ID, "alice@example.com"); err != nil {
					t.Fatal(err)
				}
			}
			s.op.SetUser(providertest.User{Sub: "mallory", Email: "alice@example.com", EmailVerified: tt.providerVerified})
			c := newClient(t, s.latchServer, "browser")
			land := c.providerLogin("corp", "/done", "login")
			if land.Query().Has("error") {
				t.Fatalf("landed with an error: %s", land)
			}
			me := c.do("GET", "/auth/session", nil)
			if tt.intoAlice {
				expect(t, me, 200)
				if me.data()["user"].(map[string]any)["id"] != aliceID {
					t.Fatalf("logged into another account: %s", me.Raw)
				}
				return
			}
			expect(t, me, 401)
			if !slices.Contains(me.flowIDs(), "provider_signup*") {
				t.Fatalf("flows %v, want provider_signup pending", me.flowIDs())
			}
			info := c.do("GET", "/auth/provider/signup", nil)
			expect(t, info, 200)
			if e := info.data()["email"].([]any); len(e) != 1 || e[0].(map[string]any)["email"] != "alice@example.com" {
				t.Errorf("signup info %s", info.Raw)
			}
			expect(t, c.do("POST", "/auth/provider/signup", map[string]any{"email": "alice@example.com", "username": "mal"}), 400, "email:email_taken")
			done := c.do("POST", "/auth/provider/signup", map[string]any{"email": "mallory@example.com", "username": "mal"})
			expect(t, done, 200)
			if done.data()["user"].(map[string]any)["id"] == aliceID || userEmail(done) != "mallory@example.com" {
				t.Fatalf("provider signup: %s", done.Raw)
			}
			// A chosen address the provider never verified stays unverified.
			list := c.do("GET", "/account/email", nil).Body["data"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["verified"] != false {
				t.Errorf("addresses %v", list)
			}
			expect(t, c.do("GET", "/auth/provider/signup", nil), 409)
		})
	}
}

// The state is single-use and bound to the browser that started the flow;
// the nonce is the flow's; a provider's refusal is reported.
func TestSocialStateAttacks(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	s.op.SetUser(providertest.User{Sub: "sub-9", Email: "trin@example.com", EmailVerified: true})

	t.Run("replayed state", func(t *testing.T) {
		c := newClient(t, s.latchServer, "browser")
		back := c.toProvider("corp", "/done", "login")
		if land := c.landing(back); land.Query().Has("error") {
			t.Fatalf("first use: %s", land)
		}
		c.do("DELETE", "/auth/session", nil)
		land := c.landing(back)
		if land.Query().Get("error") != "unknown" {
			t.Fatalf("replay landed at %s", land)
		}
		expect(t, c.do("GET", "/auth/session", nil), 401)
	})
	t.Run("callback opened in another browser (login CSRF)", func(t *testing.T) {
		attacker, victim := newClient(t, s.latchServer, "browser"), newClient(t, s.latchServer, "browser")
		back := attacker.toProvider("corp", "/done", "login")
		land := victim.landing(back)
		if land.Query().Get("error") != "unknown" {
			t.Fatalf("victim landed at %s", land)
		}
		expect(t, victim.do("GET", "/auth/session", nil), 401)
		// The state is used up by the attempt: the attacker cannot use it either.
		if land := attacker.landing(back); land.Query().Get("error") != "unknown" {
			t.Fatalf("state reused after a failed use: %s", land)
		}
	})
	t.Run("nonce of another flow", func(t *testing.T) {
		s.op.Claims = func(c map[string]any) { c["nonce"] = "forged" }
		defer func() { s.op.Claims = nil }()
		c := newClient(t, s.latchServer, "browser")
		if land := c.providerLogin("corp", "/done", "login"); land.Query().Get("error") != "unknown" || land.Path != "/done" {
			t.Fatalf("landed at %s", land)
		}
		expect(t, c.do("GET", "/auth/session", nil), 401)
	})
	t.Run("unsigned id token", func(t *testing.T) {
		s.op.Unsigned = true
		defer func() { s.op.Unsigned = false }()
		c := newClient(t, s.latchServer, "browser")
		if land := c.providerLogin("corp", "/done", "login"); land.Query().Get("error") != "unknown" {
			t.Fatalf("landed at %s", land)
		}
		expect(t, c.do("GET", "/auth/session", nil), 401)
	})
	t.Run("the user cancels at the provider", func(t *testing.T) {
		c := newClient(t, s.latchServer, "browser")
		back, _ := url.Parse(c.toProvider("corp", "/done", "login"))
		q := back.Query()
		q.Del("code")
		q.Set("error", "access_denied")
		back.RawQuery = q.Encode()
		land := c.landing(back.String())
		if land.Query().Get("error") != "cancelled" || land.Query().Get("error_process") != "login" {
			t.Fatalf("landed at %s", land)
		}
	})
	t.Run("callback path of another provider", func(t *testing.T) {
		c := newClient(t, s.latchServer, "browser")
		back, _ := url.Parse(c.toProvider("corp", "/done", "login"))
		back.Path = "/accounts/github/login/callback/"
		if land := c.landing(back.String()); land.Query().Get("error") != "unknown" {
			t.Fatalf("landed at %s", land)
		}
	})
	t.Run("Host header poisoning", func(t *testing.T) {
		c := newClient(t, s.latchServer, "browser")
		res := c.redirectForm(url.Values{"provider": {"corp"}, "callback_url": {"/done"}, "process": {"login"}}, "Host", "evil.example.com")
		if res.StatusCode != http.StatusFound {
			body, _ := io.ReadAll(res.Body)
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		to, _ := url.Parse(res.Header.Get("Location"))
		if ru := to.Query().Get("redirect_uri"); !strings.HasPrefix(ru, s.URL+"/") {
			t.Fatalf("redirect_uri %q follows the Host header", ru)
		}
	})
	t.Run("form_post callback becomes a GET", func(t *testing.T) {
		c := newClient(t, s.latchServer, "browser")
		res, err := c.noFollow().PostForm(s.URL+"/accounts/oidc/corp/login/callback/", url.Values{"state": {"s"}, "code": {"c"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		to, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusSeeOther || to.Path != "/accounts/oidc/corp/login/callback/" || to.Query().Get("code") != "c" {
			t.Fatalf("%d %s", res.StatusCode, to)
		}
	})
}

// The redirect form refuses what it must, as JSON, and never redirects to
// an untrusted place.
func TestSocialRedirectForm(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	tests := []struct {
		name     string
		fields   url.Values
		status   int
		code     string // error code, or the Location prefix for a 302
		noCSRF   bool
		location string
	}{
		{name: "foreign callback", fields: url.Values{"provider": {"corp"}, "callback_url": {"https://evil.example.com/x"}, "process": {"login"}}, status: 400, code: "callback_url:invalid_url"},
		{name: "scheme-relative callback", fields: url.Values{"provider": {"corp"}, "callback_url": {"//evil.example.com/x"}, "process": {"login"}}, status: 400, code: "callback_url:invalid_url"},
		{name: "backslash trick", fields: url.Values{"provider": {"corp"}, "callback_url": {"/\\evil.example.com"}, "process": {"login"}}, status: 400, code: "callback_url:invalid_url"},
		{name: "javascript callback", fields: url.Values{"provider": {"corp"}, "callback_url": {"javascript:alert(1)"}, "process": {"login"}}, status: 400, code: "callback_url:invalid_url"},
		{name: "userinfo in the callback", fields: url.Values{"provider": {"corp"}, "callback_url": {"http://spa.example.com@evil.example.com/"}, "process": {"login"}}, status: 400, code: "callback_url:invalid_url"},
		{name: "no callback", fields: url.Values{"provider": {"corp"}, "process": {"login"}}, status: 400, code: "callback_url:required"},
		{name: "unknown provider", fields: url.Values{"provider": {"myspace"}, "callback_url": {"/done"}, "process": {"login"}}, status: 400, code: "provider:invalid_choice"},
		{name: "bad process", fields: url.Values{"provider": {"corp"}, "callback_url": {"/done"}, "process": {"steal"}}, status: 400, code: "process:invalid_choice"},
		{name: "no CSRF token", fields: url.Values{"provider": {"corp"}, "callback_url": {"/done"}, "process": {"login"}, "csrfmiddlewaretoken": {""}}, status: 403, noCSRF: true},
		{name: "CORS origin callback", fields: url.Values{"provider": {"corp"}, "callback_url": {"http://spa.example.com/cb"}, "process": {"login"}}, status: 302, location: "http://127.0.0.1"},
		{name: "connect while logged out", fields: url.Values{"provider": {"corp"}, "callback_url": {"/done"}, "process": {"connect"}}, status: 302, location: "/done?error=unknown&error_process=connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, s.latchServer, "browser")
			res := c.redirectForm(tt.fields)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			switch {
			case tt.status == 302:
				if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, tt.location) {
					t.Fatalf("Location %q, want %q…", loc, tt.location)
				}
			case tt.code != "" && !strings.Contains(string(body), `"code":"`+tt.code[strings.Index(tt.code, ":")+1:]+`"`):
				t.Fatalf("body %s, want %s", body, tt.code)
			}
			if tt.status != 302 && res.Header.Get("Location") != "" {
				t.Fatalf("a refusal redirects to %q", res.Header.Get("Location"))
			}
		})
	}
}

// Connecting a provider to a logged-in account, and the refusals of
// disconnecting.
func TestSocialConnectDisconnect(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	alice := newClient(t, s.latchServer, "browser")
	alice.signup("alice@example.com", "alice")
	s.mailTo(t, "alice@example.com") // the verification
	s.gh.SetUser(providertest.User{Sub: "42", Username: "alice-gh", Email: "alice@work.example.com", EmailVerified: true})
	if land := alice.providerLogin("github", "/settings", "connect"); land.Query().Has("error") {
		t.Fatalf("connect landed at %s", land)
	}
	list := alice.do("GET", "/account/providers", nil)
	if l := list.Body["data"].([]any); len(l) != 1 || l[0].(map[string]any)["uid"] != "42" {
		t.Fatalf("providers %s", list.Raw)
	}
	if m := s.mailTo(t, "alice@example.com"); !strings.Contains(m.Subject, "GitHub account was connected") {
		t.Errorf("notification %q", m.Subject)
	}
	// Another account cannot connect the same identity.
	bob := newClient(t, s.latchServer, "browser")
	bob.signup("bob@example.com", "bob")
	if land := bob.providerLogin("github", "/settings", "connect"); land.Query().Get("error") != "connected_other" || land.Query().Get("error_process") != "connect" {
		t.Fatalf("bob landed at %s", land)
	}
	// The identity now logs into alice.
	gh := newClient(t, s.latchServer, "browser")
	gh.providerLogin("github", "/", "login")
	if me := gh.do("GET", "/auth/session", nil); userEmail(me) != "alice@example.com" {
		t.Fatalf("github login: %s", me.Raw)
	}

	expect(t, alice.do("DELETE", "/account/providers", map[string]any{"provider": "github"}), 400, "account:required")
	expect(t, alice.do("DELETE", "/account/providers", map[string]any{"provider": "github", "account": "41"}), 400, "account_not_found")
	expect(t, alice.do("DELETE", "/account/providers", "[1]"), 400, "invalid")
	done := alice.do("DELETE", "/account/providers", map[string]any{"provider": "github", "account": "42"})
	expect(t, done, 200)
	if l := done.Body["data"].([]any); len(l) != 0 {
		t.Fatalf("after disconnect %s", done.Raw)
	}
	if m := s.mailTo(t, "alice@example.com"); !strings.Contains(m.Subject, "GitHub account was disconnected") {
		t.Errorf("notification %q", m.Subject)
	}

	// A social-only account cannot drop its one way in.
	s.op.SetUser(providertest.User{Sub: "solo", Email: "solo@example.com", EmailVerified: true})
	solo := newClient(t, s.latchServer, "browser")
	solo.providerLogin("corp", "/", "login")
	expect(t, solo.do("DELETE", "/account/providers", map[string]any{"provider": "corp", "account": "solo"}), 400, "no_password")
	expect(t, newClient(t, s.latchServer, "browser").do("GET", "/account/providers", nil), 401)
}

// The app's token login: an ID token verified with the issuer's keys, or a
// GitHub access token checked with its API; every bad input a JSON 4xx.
func TestSocialAppToken(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	user := providertest.User{Sub: "app-1", Email: "app@example.com", EmailVerified: true}
	idToken := func(claims func(map[string]any)) string {
		s.op.Claims = claims
		defer func() { s.op.Claims = nil }()
		return s.op.IDToken(user, "")
	}
	tests := []struct {
		name   string
		body   any
		status int
		codes  []string
	}{
		{"no provider", map[string]any{"process": "login", "token": map[string]any{"id_token": "x"}}, 400, []string{"provider:required"}},
		{"unknown provider", map[string]any{"provider": "myspace", "process": "login", "token": map[string]any{"id_token": "x"}}, 400, []string{"provider:invalid_choice"}},
		{"bad process", map[string]any{"provider": "corp", "process": "x", "token": map[string]any{"id_token": "x"}}, 400, []string{"process:invalid_choice"}},
		{"token not an object", map[string]any{"provider": "corp", "process": "login", "token": "x"}, 400, []string{"token:invalid_token"}},
		{"no token", map[string]any{"provider": "corp", "process": "login", "token": map[string]any{}}, 400, []string{"token:token_required"}},
		{"garbage token", map[string]any{"provider": "corp", "process": "login", "token": map[string]any{"id_token": "x.y.z"}}, 400, []string{"token:invalid_token"}},
		{"wrong audience", map[string]any{"provider": "corp", "process": "login", "token": map[string]any{"id_token": idToken(func(c map[string]any) { c["aud"] = "other-app" })}}, 400, []string{"token:invalid_token"}},
		{"wrong issuer", map[string]any{"provider": "corp", "process": "login", "token": map[string]any{"id_token": idToken(func(c map[string]any) { c["iss"] = "https://evil.example.com" })}}, 400, []string{"token:invalid_token"}},
		{"expired", map[string]any{"provider": "corp", "process": "login", "token": map[string]any{"id_token": idToken(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })}}, 400, []string{"token:invalid_token"}},
		{"unknown client id", map[string]any{"provider": "corp", "process": "login", "token": map[string]any{"client_id": "nope", "id_token": idToken(nil)}}, 400, []string{"token:invalid_token"}},
		{"forged github token", map[string]any{"provider": "github", "process": "login", "token": map[string]any{"access_token": "forged"}}, 400, []string{"token:invalid_token"}},
		{"not JSON", "{", 400, []string{"invalid"}},
		{"connect anonymously", map[string]any{"provider": "corp", "process": "connect", "token": map[string]any{"id_token": idToken(nil)}}, 401, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, newClient(t, s.latchServer, "app").do("POST", "/auth/provider/token", tt.body), tt.status, tt.codes...)
		})
	}
	c := newClient(t, s.latchServer, "app")
	ok := c.do("POST", "/auth/provider/token", map[string]any{"provider": "corp", "process": "login", "token": map[string]any{"client_id": s.op.ClientID, "id_token": idToken(nil)}})
	expect(t, ok, 200)
	if c.token == "" || !slices.Equal(methodsOf(ok), []string{"socialaccount:corp:app-1"}) {
		t.Fatalf("token login %s", ok.Raw)
	}
	// GitHub's access token, connected to the same account.
	gh := s.gh.AccessToken(providertest.User{Sub: "77", Username: "octo", Email: "octo@example.com", EmailVerified: true})
	expect(t, c.do("POST", "/auth/provider/token", map[string]any{"provider": "github", "process": "connect", "token": map[string]any{"access_token": gh}}), 200)
	if l := c.do("GET", "/account/providers", nil).Body["data"].([]any); len(l) != 2 {
		t.Fatalf("providers %v", l)
	}
	// The same GitHub identity cannot be connected to another account.
	other := newClient(t, s.latchServer, "app")
	expect(t, other.do("POST", "/auth/signup", map[string]any{"email": "other@example.com", "password": goodPassword}), 200)
	expect(t, other.do("POST", "/auth/provider/token", map[string]any{"provider": "github", "process": "connect", "token": map[string]any{"access_token": gh}}), 400, "connected_other")
}

// Social login goes through the login stages: under mandatory verification
// an identity whose address the provider did not verify waits at
// verify_email.
func TestSocialLoginStages(t *testing.T) {
	s := startSocial(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.EmailVerification = account.VerificationMandatory
	})
	s.gh.SetUser(providertest.User{Sub: "5", Username: "unv", Email: "unv@example.com",
		Emails: []providertest.Email{{Email: "unv@example.com", Primary: true}}})
	c := newClient(t, s.latchServer, "browser")
	c.providerLogin("github", "/", "login")
	me := c.do("GET", "/auth/session", nil)
	expect(t, me, 401)
	if !slices.Contains(me.flowIDs(), "verify_email*") {
		t.Fatalf("flows %v, want verify_email pending", me.flowIDs())
	}
	s.mailTo(t, "unv@example.com")

	// A verified one logs in at once.
	s.gh.SetUser(providertest.User{Sub: "6", Username: "ver", Email: "ver@example.com", EmailVerified: true})
	c2 := newClient(t, s.latchServer, "browser")
	c2.providerLogin("github", "/", "login")
	expect(t, c2.do("GET", "/auth/session", nil), 200)
}

// The provider signup endpoints without a pending signup, and with signup
// closed.
func TestSocialSignupGuards(t *testing.T) {
	s := startSocial(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.SignupClosed = true })
	for _, kind := range []string{"browser", "app"} {
		c := newClient(t, s.latchServer, kind)
		expect(t, c.do("GET", "/auth/provider/signup", nil), 409)
		expect(t, c.do("POST", "/auth/provider/signup", map[string]any{"email": "x@example.com"}), 409)
	}
	s.op.SetUser(providertest.User{Sub: "new", Email: "new@example.com", EmailVerified: true})
	c := newClient(t, s.latchServer, "browser")
	if land := c.providerLogin("corp", "/done", "login"); land.Query().Get("error") != "signup_closed" {
		t.Fatalf("landed at %s", land)
	}
	app := newClient(t, s.latchServer, "app")
	expect(t, app.do("POST", "/auth/provider/token", map[string]any{"provider": "corp", "process": "login",
		"token": map[string]any{"id_token": s.op.IDToken(providertest.User{Sub: "new2", Email: "n2@example.com", EmailVerified: true}, "")}}), 403)
}

// Provider logins spend the login budget before Latch calls the provider.
func TestSocialRateLimited(t *testing.T) {
	s := startSocial(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.RateLimits = map[string][]ratelimit.Rate{"login": {{Amount: 2, Period: time.Minute, Per: "ip"}}}
	})
	app := newClient(t, s.latchServer, "app")
	body := map[string]any{"provider": "github", "process": "login", "token": map[string]any{"access_token": "forged"}}
	expect(t, app.do("POST", "/auth/provider/token", body), 400, "token:invalid_token")
	expect(t, app.do("POST", "/auth/provider/token", body), 400, "token:invalid_token")
	before := s.gh.Count("/user")
	expect(t, app.do("POST", "/auth/provider/token", body), 429)
	if s.gh.Count("/user") != before {
		t.Error("the provider was called past the budget")
	}
	c := newClient(t, s.latchServer, "browser")
	if res := c.redirectForm(url.Values{"provider": {"corp"}, "callback_url": {"/done"}, "process": {"login"}}); res.StatusCode != 429 {
		t.Fatalf("redirect past the budget: %d", res.StatusCode)
	}
}

// Bad input on every social endpoint of both clients is a JSON 4xx, never
// a 5xx.
func TestSocialBadInput(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	bodies := []any{"{", "[]", "null", `"x"`, map[string]any{"provider": 5, "process": []int{1}, "token": 7, "email": false, "username": 3, "account": map[string]any{}},
		map[string]any{"provider": "corp", "process": "login", "token": map[string]any{"id_token": 5, "access_token": true}},
		map[string]any{"provider": strings.Repeat("p", 5000), "process": "connect", "token": map[string]any{"id_token": strings.Repeat("a.", 3000)}}}
	endpoints := []string{"POST /auth/provider/token", "GET /auth/provider/signup", "POST /auth/provider/signup", "GET /account/providers", "DELETE /account/providers"}
	for _, kind := range []string{"browser", "app"} {
		anon := newClient(t, s.latchServer, kind)
		user := newClient(t, s.latchServer, kind)
		expect(t, user.do("POST", "/auth/signup", map[string]any{"email": kind + "@example.com", "password": goodPassword}), 200)
		for _, c := range []*client{anon, user} {
			for _, ep := range endpoints {
				method, path, _ := strings.Cut(ep, " ")
				for _, b := range bodies {
					if method == "GET" {
						b = nil
					}
					r := c.do(method, path, b)
					if r.Status < 400 && !(method == "GET" && r.Status == 200) || r.Status >= 500 {
						t.Errorf("%s %s %s %v: %d %s", kind, method, path, b, r.Status, r.Raw)
					}
				}
			}
		}
	}
	// The browser form and the callbacks, with nonsense.
	c := newClient(t, s.latchServer, "browser")
	for _, form := range []url.Values{{}, {"provider": {"corp"}, "callback_url": {strings.Repeat("/x", 4000)}, "process": {"login"}},
		{"provider": {"\x00"}, "callback_url": {"/%zz"}, "process": {"login"}}} {
		if res := c.redirectForm(form); res.StatusCode >= 500 || res.StatusCode == 200 {
			t.Errorf("form %v: %d", form, res.StatusCode)
		}
	}
	for _, q := range []string{"", "?state=", "?state=" + strings.Repeat("s", 3000) + "&code=x", "?error=%00&state=x", "?code=a&code=b&state=c"} {
		for _, p := range []string{"/accounts/oidc/corp/login/callback/", "/accounts/github/login/callback/", "/accounts/nope/login/callback/", "/accounts/oidc/nope/login/callback/"} {
			if res := c.get(s.URL + p + q); res.StatusCode != http.StatusFound {
				t.Errorf("GET %s%s: %d", p, q, res.StatusCode)
			}
		}
	}
}

// A provider login goes through the second factor like a password login:
// an account with TOTP waits at mfa_authenticate, and only the code
// finishes it.
func TestSocialLoginNeedsSecondFactor(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	alice := newClient(t, s.latchServer, "browser")
	verifiedSignup(t, s.latchServer, alice, "alice@example.com")
	secret := enrolTOTP(t, s.latchServer, alice)
	s.gh.SetUser(providertest.User{Sub: "99", Username: "alice-gh", Email: "alice@example.com", EmailVerified: true})
	if land := alice.providerLogin("github", "/settings", "connect"); land.Query().Has("error") {
		t.Fatalf("connect landed at %s", land)
	}
	for _, kind := range []string{"browser", "app"} {
		c := newClient(t, s.latchServer, kind)
		var r *response
		if kind == "browser" {
			c.providerLogin("github", "/", "login")
			r = c.do("GET", "/auth/session", nil)
		} else {
			r = c.do("POST", "/auth/provider/token", map[string]any{"provider": "github", "process": "login",
				"token": map[string]any{"access_token": s.gh.AccessToken(providertest.User{Sub: "99", Email: "alice@example.com", EmailVerified: true})}})
		}
		expect(t, r, 401)
		if !slices.Contains(r.flowIDs(), "mfa_authenticate*") {
			t.Fatalf("%s: flows %v, want mfa_authenticate pending", kind, r.flowIDs())
		}
		s.advance(30 * time.Second)
		done := c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": totpCode(t, secret, s.clock())})
		expect(t, done, 200)
		if got := methods(done); len(got) != 2 || got[0] != "socialaccount" || got[1] != "mfa/totp" {
			t.Fatalf("%s: methods %v", kind, got)
		}
	}
}

// The admin API's user detail lists the user's connected identities.
func TestSocialAdminUserProviders(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	s.op.SetUser(providertest.User{Sub: "adm-1", Email: "ida@example.com", EmailVerified: true, Name: "Ida"})
	c := newClient(t, s.latchServer, "browser")
	c.providerLogin("corp", "/", "login")
	id := c.do("GET", "/auth/session", nil).data()["user"].(map[string]any)["id"].(string)
	r := adminDo(t, s.latchServer, nil, "GET", "/users/"+id, nil, "Authorization", "Bearer "+adminKey(t, s.latchServer, "ops"))
	expect(t, r, 200)
	list, _ := r.data()["providers"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["uid"] != "adm-1" || list[0].(map[string]any)["provider"] != "corp" {
		t.Fatalf("admin detail providers: %s", r.Raw)
	}
}

// Connecting and disconnecting change the ways into the account: they need
// a recent authentication (a taken-over session must not add the taker's
// provider account), except for an account without a password.
func TestSocialConnectNeedsRecentAuthentication(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	alice := newClient(t, s.latchServer, "browser")
	alice.signup("alice@example.com", "alice")
	app := newClient(t, s.latchServer, "app")
	expect(t, app.do("POST", "/auth/login", map[string]any{"email": "alice@example.com", "password": goodPassword}), 200)
	s.advance(10 * time.Minute)

	s.gh.SetUser(providertest.User{Sub: "31", Username: "mal", Email: "mal@example.com", EmailVerified: true})
	res := alice.redirectForm(url.Values{"provider": {"github"}, "callback_url": {"/settings"}, "process": {"connect"}})
	if loc := res.Header.Get("Location"); res.StatusCode != 302 || loc != "/settings?error=reauthentication_required&error_process=connect" {
		t.Fatalf("stale connect: %d %q", res.StatusCode, loc)
	}
	token := map[string]any{"provider": "github", "process": "connect", "token": map[string]any{"access_token": s.gh.AccessToken(providertest.User{Sub: "31", Email: "mal@example.com"})}}
	r := app.do("POST", "/auth/provider/token", token)
	expect(t, r, 401)
	if r.meta()["is_authenticated"] != true {
		t.Fatalf("stale token connect: %s", r.Raw)
	}
	expect(t, alice.do("DELETE", "/account/providers", map[string]any{"provider": "github", "account": "31"}), 401)

	// Reauthenticated, the connect goes through.
	expect(t, alice.do("POST", "/auth/reauthenticate", map[string]any{"password": goodPassword}), 200)
	if land := alice.providerLogin("github", "/settings", "connect"); land.Query().Has("error") {
		t.Fatalf("connect after reauthentication landed at %s", land)
	}
	// An account without a password has nothing to reauthenticate with.
	s.op.SetUser(providertest.User{Sub: "nopw", Email: "nopw@example.com", EmailVerified: true})
	solo := newClient(t, s.latchServer, "browser")
	solo.providerLogin("corp", "/", "login")
	s.advance(10 * time.Minute)
	s.gh.SetUser(providertest.User{Sub: "32", Username: "np", Email: "np@example.com", EmailVerified: true})
	if land := solo.providerLogin("github", "/settings", "connect"); land.Query().Has("error") {
		t.Fatalf("passwordless connect landed at %s", land)
	}
}
