package social_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/providertest"
	"github.com/latchauth/latch/social"
)

var ctx = context.Background()

func registry(t *testing.T, cfgs ...social.Config) *social.Registry {
	t.Helper()
	r, err := social.New(cfgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  social.Config
		want string // part of the error; "" for none
	}{
		{"oidc on https", social.Config{ID: "corp", Kind: "oidc", ClientID: "c", Issuer: "https://id.example.com"}, ""},
		{"oidc on loopback http", social.Config{ID: "corp", Kind: "oidc", ClientID: "c", Issuer: "http://127.0.0.1:9000"}, ""},
		{"oidc on localhost http", social.Config{ID: "corp", Kind: "oidc", ClientID: "c", Issuer: "http://localhost:9000"}, ""},
		{"oidc on plain http elsewhere", social.Config{ID: "corp", Kind: "oidc", ClientID: "c", Issuer: "http://id.example.com"}, "loopback"},
		{"oidc without issuer", social.Config{ID: "corp", Kind: "oidc", ClientID: "c"}, "issuer"},
		{"github enterprise over http", social.Config{Kind: "github", ClientID: "c", TokenURL: "http://ghe.example.com/token"}, "loopback"},
		{"github defaults", social.Config{Kind: "github", ClientID: "c"}, ""},
		{"unknown kind", social.Config{Kind: "myspace", ClientID: "c"}, "unknown kind"},
		{"no client id", social.Config{Kind: "google"}, "client_id"},
		{"bad id", social.Config{ID: "a/b", Kind: "google", ClientID: "c"}, "id"},
		{"ftp endpoint", social.Config{Kind: "gitlab", ClientID: "c", AuthorizeURL: "ftp://gitlab.example.com/a"}, "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := social.New([]social.Config{tt.cfg}, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
	if _, err := social.New([]social.Config{{Kind: "github", ClientID: "a"}, {Kind: "github", ClientID: "b"}}, nil); err == nil {
		t.Error("two providers with one id accepted")
	}
}

func TestParse(t *testing.T) {
	list, err := social.Parse(`[{"id":"g","kind":"google","client_id":"x","secret":"y","scopes":["openid"]}]`)
	if err != nil || len(list) != 1 || list[0].Secret != "y" || list[0].Scopes[0] != "openid" {
		t.Fatalf("inline: %+v, %v", list, err)
	}
	if _, err := social.Parse(`[{"id":"g","kind":"google","clientid":"x"}]`); err == nil {
		t.Error("misspelt field accepted")
	}
	path := t.TempDir() + "/providers.json"
	if err := writeFile(path, `[{"kind":"github","client_id":"x"}]`); err != nil {
		t.Fatal(err)
	}
	if list, err := social.Parse(path); err != nil || len(list) != 1 || list[0].Kind != "github" {
		t.Fatalf("file: %+v, %v", list, err)
	}
}

// An ID token is accepted only when everything about it is right.
func TestVerifyIDToken(t *testing.T) {
	op := providertest.NewOIDC(t)
	r := registry(t, social.Config{ID: "corp", Kind: "oidc", ClientID: op.ClientID, Secret: op.Secret, Issuer: op.URL,
		Audiences: []string{"ios-app"}})
	p, _ := r.Lookup("corp")
	user := providertest.User{Sub: "u1", Email: "Ann@Example.com", EmailVerified: true, Name: "Ann"}
	tests := []struct {
		name     string
		claims   func(map[string]any)
		unsigned bool
		nonce    string // expected by the verifier
		clientID string
		ok       bool
	}{
		{name: "valid", ok: true},
		{name: "valid with the expected nonce", nonce: "n1", ok: true},
		{name: "another audience of the provider", clientID: "ios-app", claims: func(c map[string]any) { c["aud"] = "ios-app" }, ok: true},
		{name: "nonce mismatch", nonce: "other"},
		{name: "wrong issuer", claims: func(c map[string]any) { c["iss"] = "https://evil.example.com" }},
		{name: "wrong audience", claims: func(c map[string]any) { c["aud"] = "someone-else" }},
		{name: "expired", claims: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }},
		{name: "issued in the future", claims: func(c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() }},
		{name: "no iat", claims: func(c map[string]any) { delete(c, "iat") }},
		{name: "several audiences without azp", claims: func(c map[string]any) { c["aud"] = []string{op.ClientID, "other"} }},
		{name: "several audiences, azp ours", claims: func(c map[string]any) { c["aud"] = []string{op.ClientID, "other"}; c["azp"] = op.ClientID }, ok: true},
		{name: "azp of another client", claims: func(c map[string]any) { c["azp"] = "other" }},
		{name: "unsigned (alg none)", unsigned: true},
		{name: "client id the provider does not have", clientID: "stranger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op.Claims, op.Unsigned = func(c map[string]any) {
				c["nonce"] = "n1"
				if tt.claims != nil {
					tt.claims(c)
				}
			}, tt.unsigned
			raw := op.IDToken(user, "")
			id, err := p.VerifyToken(ctx, social.Token{IDToken: raw, Nonce: tt.nonce, ClientID: tt.clientID})
			if !tt.ok {
				if err == nil {
					t.Fatalf("accepted: %+v", id)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != "u1" || id.Email != "ann@example.com" || !id.EmailVerified || id.Name != "Ann" || id.Provider != "corp" {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

// The redirect flow's exchange: PKCE, the nonce of the flow, the client's
// secret.
func TestExchange(t *testing.T) {
	op := providertest.NewOIDC(t)
	op.SetUser(providertest.User{Sub: "u2", Email: "bo@example.com"})
	r := registry(t, social.Config{ID: "corp", Kind: "oidc", ClientID: op.ClientID, Secret: op.Secret, Issuer: op.URL})
	p, _ := r.Lookup("corp")
	req := social.Request{RedirectURI: "http://127.0.0.1:1/accounts/oidc/corp/login/callback/", State: "s", Nonce: "n", Verifier: strings.Repeat("v", 43)}
	code := authorize(t, p, req)
	if got := op.LastAuthorize; got.Get("code_challenge_method") != "S256" || got.Get("code_challenge") == "" || got.Get("nonce") != "n" ||
		!strings.Contains(got.Get("scope"), "openid") {
		t.Fatalf("authorization request %v", got)
	}
	id, err := p.Exchange(ctx, req, code, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id.UID != "u2" || id.EmailVerified || id.Tokens == nil || id.Tokens.IDToken == "" {
		t.Errorf("identity %+v (an unverified address must stay unverified)", id)
	}
	// A wrong verifier is refused by the provider.
	code = authorize(t, p, req)
	bad := req
	bad.Verifier = strings.Repeat("w", 43)
	if _, err := p.Exchange(ctx, bad, code, nil); !errors.Is(err, social.ErrProvider) {
		t.Errorf("wrong verifier: %v", err)
	}
	// The nonce of another flow is refused by Latch.
	code = authorize(t, p, req)
	other := req
	other.Nonce = "someone else's"
	if _, err := p.Exchange(ctx, other, code, nil); !errors.Is(err, social.ErrProvider) {
		t.Errorf("nonce of another flow: %v", err)
	}
}

// authorize runs the authorization request and returns the code.
func authorize(t *testing.T, p *social.Provider, req social.Request) string {
	t.Helper()
	u, err := p.AuthCodeURL(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Query().Get("state") != req.State {
		t.Fatalf("redirect back %q", res.Header.Get("Location"))
	}
	return back.Query().Get("code")
}

// GitHub's address is the primary verified one of /user/emails, never the
// profile's.
func TestGitHubEmail(t *testing.T) {
	gh := providertest.NewGitHub(t)
	r := registry(t, social.Config{Kind: "github", ClientID: gh.ClientID, Secret: gh.Secret,
		AuthorizeURL: gh.URL + "/login/oauth/authorize", TokenURL: gh.URL + "/login/oauth/access_token",
		UserinfoURL: gh.URL + "/user", EmailsURL: gh.URL + "/user/emails"})
	p, _ := r.Lookup("github")
	tests := []struct {
		name         string
		user         providertest.User
		email        string
		emailVerfied bool
	}{
		{"primary verified", providertest.User{Sub: "1", Username: "oc", Email: "public@example.com",
			Emails: []providertest.Email{{Email: "other@example.com", Verified: true}, {Email: "main@example.com", Primary: true, Verified: true}}},
			"main@example.com", true},
		{"primary unverified", providertest.User{Sub: "2", Username: "oc", Email: "public@example.com",
			Emails: []providertest.Email{{Email: "main@example.com", Primary: true}}}, "main@example.com", false},
		{"no addresses at all", providertest.User{Sub: "3", Username: "oc", Email: "public@example.com", Emails: []providertest.Email{}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := p.VerifyToken(ctx, social.Token{AccessToken: gh.AccessToken(tt.user)})
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != tt.user.Sub || id.Username != "oc" || id.Email != tt.email || id.EmailVerified != tt.emailVerfied {
				t.Errorf("identity %+v, want %s verified=%v", id, tt.email, tt.emailVerfied)
			}
		})
	}
	if _, err := p.VerifyToken(ctx, social.Token{AccessToken: "forged"}); !errors.Is(err, social.ErrProvider) {
		t.Errorf("forged access token: %v", err)
	}
	if _, err := p.VerifyToken(ctx, social.Token{IDToken: "x.y.z"}); err == nil {
		t.Error("an ID token for GitHub accepted")
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

// Microsoft's multi-tenant issuer: a token is accepted when its iss is the
// template filled with its own tid, and refused otherwise.
func TestMicrosoftMultiTenant(t *testing.T) {
	op := providertest.NewOIDC(t)
	r := registry(t, social.Config{Kind: "microsoft", ClientID: op.ClientID, Secret: op.Secret, Issuer: op.URL + "/{tenant}/v2.0"})
	p, _ := r.Lookup("microsoft")
	if got := p.Info().OpenIDConfigurationURL; got != op.URL+"/common/v2.0/.well-known/openid-configuration" {
		t.Fatalf("discovery URL %q", got)
	}
	tests := []struct {
		name     string
		iss, tid string
		ok       bool
	}{
		{"issuer of its tenant", op.URL + "/t1/v2.0", "t1", true},
		{"issuer of another tenant", op.URL + "/t2/v2.0", "t1", false},
		{"no tid", op.URL + "/t1/v2.0", "", false},
		{"the template itself", op.URL + "/{tenantid}/v2.0", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op.Claims = func(c map[string]any) {
				c["iss"] = tt.iss
				if tt.tid != "" {
					c["tid"] = tt.tid
				}
			}
			id, err := p.VerifyToken(ctx, social.Token{IDToken: op.IDToken(providertest.User{Sub: "ms-1", Email: "m@example.com", EmailVerified: true}, "")})
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err == nil && id.UID != "ms-1" {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

// Apple: form_post, no PKCE, email_verified as the string "true", and the
// name posted with the first login only.
func TestApple(t *testing.T) {
	op := providertest.NewOIDC(t)
	op.SetUser(providertest.User{Sub: "apple-1", Email: "x@privaterelay.appleid.com"})
	op.Claims = func(c map[string]any) { c["email_verified"] = "true" }
	r := registry(t, social.Config{Kind: "apple", ClientID: op.ClientID, Secret: op.Secret, Issuer: op.URL})
	p, _ := r.Lookup("apple")
	if !p.FormPost() || p.CallbackPath() != "/accounts/apple/login/callback/" {
		t.Fatalf("form post %v, path %s", p.FormPost(), p.CallbackPath())
	}
	req := social.Request{RedirectURI: "http://127.0.0.1:1/accounts/apple/login/callback/", State: "s", Nonce: "n", Verifier: strings.Repeat("v", 43)}
	code := authorize(t, p, req)
	if q := op.LastAuthorize; q.Get("response_mode") != "form_post" || q.Get("code_challenge") != "" {
		t.Fatalf("authorization request %v", q)
	}
	first, err := p.Exchange(ctx, req, code, url.Values{"user": {`{"name":{"firstName":"Ada","lastName":"L"},"email":"x@privaterelay.appleid.com"}`}})
	if err != nil {
		t.Fatal(err)
	}
	if first.Name != "Ada L" || !first.EmailVerified || first.UID != "apple-1" {
		t.Errorf("first login %+v", first)
	}
	later, err := p.Exchange(ctx, req, authorize(t, p, req), url.Values{})
	if err != nil || later.Name != "" {
		t.Errorf("later login %+v, %v", later, err)
	}
}

func TestFormOrigins(t *testing.T) {
	r := registry(t, social.Config{Kind: "github", ClientID: "a"}, social.Config{Kind: "google", ClientID: "b"},
		social.Config{ID: "corp", Kind: "oidc", ClientID: "c", Issuer: "http://127.0.0.1:9999/realms/x"}, social.Config{ID: "gh2", Kind: "github", ClientID: "d"})
	got := strings.Join(r.FormOrigins(), " ")
	if got != "https://github.com https://accounts.google.com http://127.0.0.1:9999" {
		t.Errorf("form origins %q", got)
	}
}

// The issuer rotates its signing key: the next token names a key Latch has
// not seen, and Latch fetches the JWKS again rather than refuse it; a token
// of the retired key is refused after.
func TestJWKSRotation(t *testing.T) {
	op := providertest.NewOIDC(t)
	r := registry(t, social.Config{ID: "corp", Kind: "oidc", ClientID: op.ClientID, Secret: op.Secret, Issuer: op.URL})
	p, _ := r.Lookup("corp")
	user := providertest.User{Sub: "rot", Email: "r@example.com", EmailVerified: true}
	old := op.IDToken(user, "")
	if _, err := p.VerifyToken(ctx, social.Token{IDToken: old}); err != nil {
		t.Fatal(err)
	}
	fetched := op.Count("/keys")
	if err := op.Rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.VerifyToken(ctx, social.Token{IDToken: op.IDToken(user, "")}); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if op.Count("/keys") <= fetched {
		t.Error("the JWKS was not fetched again")
	}
	if _, err := p.VerifyToken(ctx, social.Token{IDToken: old}); err == nil {
		t.Error("a token of the retired key was accepted")
	}
}

// GitLab's and Discord's user APIs: who holds the token, and whether the
// provider verified the address (GitLab: confirmed_at; Discord: verified).
func TestUserAPIs(t *testing.T) {
	tests := []struct {
		kind, body       string
		uid, username    string
		name, email      string
		verified, failed bool
	}{
		{kind: "gitlab", body: `{"id": 12, "username": "gl", "name": "Gil", "email": "Gil@Example.com", "confirmed_at": "2024-01-01T00:00:00Z"}`,
			uid: "12", username: "gl", name: "Gil", email: "gil@example.com", verified: true},
		{kind: "gitlab", body: `{"id": 13, "username": "gl2", "email": "x@example.com", "confirmed_at": null}`, uid: "13", username: "gl2", email: "x@example.com"},
		{kind: "discord", body: `{"id": "80351110224678912", "username": "nelly", "global_name": "Nelly", "email": "n@example.com", "verified": true}`,
			uid: "80351110224678912", username: "nelly", name: "Nelly", email: "n@example.com", verified: true},
		{kind: "discord", body: `{"id": "1", "username": "u", "email": "u@example.com", "verified": false}`, uid: "1", username: "u", email: "u@example.com"},
		{kind: "discord", body: `{"username": "no id"}`, failed: true},
		{kind: "gitlab", body: `not json`, failed: true},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.uid, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer good" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.Write([]byte(tt.body))
			}))
			defer api.Close()
			r := registry(t, social.Config{Kind: tt.kind, ClientID: "c", UserinfoURL: api.URL + "/user"})
			p, _ := r.Lookup(tt.kind)
			id, err := p.VerifyToken(ctx, social.Token{AccessToken: "good"})
			if tt.failed {
				if err == nil {
					t.Fatalf("accepted: %+v", id)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.UID != tt.uid || id.Username != tt.username || id.Name != tt.name || id.Email != tt.email || id.EmailVerified != tt.verified {
				t.Errorf("identity %+v", id)
			}
			if _, err := p.VerifyToken(ctx, social.Token{AccessToken: "bad"}); err == nil {
				t.Error("a refused token accepted")
			}
		})
	}
}
