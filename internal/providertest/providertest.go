// Package providertest runs identity providers on loopback for tests: an
// OpenID Connect provider (discovery, authorization with PKCE, a token
// endpoint with client authentication, JWKS, userinfo) and a GitHub-like
// OAuth2 provider (authorize, access_token, /user, /user/emails). Their
// authorization endpoints approve at once, as the user set in User, and
// redirect back with a code; knobs let a test forge what a hostile or broken
// provider would send.
package providertest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// User is who the provider says logs in.
type User struct {
	Sub           string
	Email         string
	EmailVerified bool
	Name          string
	Username      string
	// Emails are GitHub's /user/emails entries; nil: the one address above,
	// primary.
	Emails []Email
}

// Email is one entry of GitHub's /user/emails.
type Email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// grant is an authorization code waiting to be exchanged.
type grant struct {
	user                     User
	clientID, redirectURI    string
	challenge, method, nonce string
}

// Provider is a running provider.
type Provider struct {
	*httptest.Server
	ClientID, Secret string

	mu     sync.Mutex
	user   User
	grants map[string]grant
	tokens map[string]User // access token → user
	key    *rsa.PrivateKey
	kid    string
	keys   *oidctest.Server // the JWKS, under mu
	// Claims, when set, rewrites the ID token's claims before signing
	// (wrong iss, aud, nonce, exp…); Unsigned sends it with alg none.
	Claims   func(map[string]any)
	Unsigned bool
	// Requests counts the calls per path.
	Requests map[string]int
	// LastAuthorize is the query of the last authorization request.
	LastAuthorize url.Values
	github        bool
}

// NewOIDC starts an OpenID Connect provider that stops when the test ends.
func NewOIDC(t testing.TB) *Provider { return started(t, false) }

// NewGitHub starts a GitHub-like OAuth2 provider that stops when the test ends.
func NewGitHub(t testing.TB) *Provider { return started(t, true) }

func started(t testing.TB, github bool) *Provider {
	p, err := Start(github)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Start starts a provider (GitHub-like when github is true, else OpenID
// Connect) on loopback; Close stops it. For programs (the browser tests'
// provider); tests use NewOIDC and NewGitHub.
func Start(github bool) (*Provider, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	keys := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	p := &Provider{ClientID: "client-" + randomString(6), Secret: randomString(20), grants: map[string]grant{},
		tokens: map[string]User{}, key: key, kid: "k1", keys: keys, Requests: map[string]int{}, github: github}
	mux := http.NewServeMux()
	if github {
		mux.HandleFunc("GET /login/oauth/authorize", p.authorize)
		mux.HandleFunc("POST /login/oauth/access_token", p.token)
		mux.HandleFunc("GET /user", p.githubUser)
		mux.HandleFunc("GET /user/emails", p.githubEmails)
	} else {
		mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
		// Microsoft's multi-tenant endpoints: /common/v2.0 and the like
		// discover the issuer template …/{tenantid}/v2.0.
		mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", p.tenantDiscovery)
		mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.keys.ServeHTTP(w, r)
		})
		mux.HandleFunc("GET /authorize", p.authorize)
		mux.HandleFunc("POST /token", p.token)
		mux.HandleFunc("GET /userinfo", p.userinfo)
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.Requests[r.URL.Path]++
		p.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	keys.SetIssuer(p.URL)
	return p, nil
}

// SetUser sets who logs in next.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// Count returns how many requests a path got.
func (p *Provider) Count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Requests[path]
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) { p.serveDiscovery(w, p.URL) }

func (p *Provider) tenantDiscovery(w http.ResponseWriter, r *http.Request) {
	p.serveDiscovery(w, p.URL+"/{tenantid}/v2.0")
}

func (p *Provider) serveDiscovery(w http.ResponseWriter, issuer string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": issuer, "authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
		"jwks_uri": p.URL + "/keys", "userinfo_endpoint": p.URL + "/userinfo",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"response_types_supported":              []string{"code"},
	})
}

// authorize approves at once and redirects back with a code (or, with
// response_mode=form_post, answers the form a browser would post).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.LastAuthorize = q
	user := p.user
	p.mu.Unlock()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "bad client or response type", http.StatusBadRequest)
		return
	}
	code := randomString(24)
	p.mu.Lock()
	p.grants[code] = grant{user: user, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
		challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), nonce: q.Get("nonce")}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code: the client must authenticate (HTTP Basic or the
// form), the redirect URI match, and the PKCE verifier match the challenge.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.Secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.grants[code]
	delete(p.grants, code)
	p.mu.Unlock()
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !found:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	case g.redirectURI != r.PostForm.Get("redirect_uri"):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "redirect_uri"})
		return
	case g.challenge != "" && (g.method != "S256" || s256(r.PostForm.Get("code_verifier")) != g.challenge):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "pkce"})
		return
	}
	access := randomString(24)
	p.mu.Lock()
	p.tokens[access] = g.user
	p.mu.Unlock()
	out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600}
	if !p.github {
		out["id_token"] = p.IDToken(g.user, g.nonce)
	}
	writeJSON(w, http.StatusOK, out)
}

// IDToken signs an ID token for u with the provider's key, after Claims.
func (p *Provider) IDToken(u User, nonce string) string {
	now := time.Now()
	claims := map[string]any{"iss": p.URL, "aud": p.ClientID, "sub": u.Sub, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"email": u.Email, "email_verified": u.EmailVerified, "name": u.Name, "preferred_username": u.Username}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if p.Claims != nil {
		p.Claims(claims)
	}
	b, _ := json.Marshal(claims)
	if p.Unsigned {
		enc := base64.RawURLEncoding
		return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(b) + "."
	}
	p.mu.Lock()
	key, kid := p.key, p.kid
	p.mu.Unlock()
	return oidctest.SignIDToken(key, kid, oidc.RS256, string(b))
}

// Rotate replaces the signing key with a new one under a new key id; the
// JWKS then lists only the new key, as after a provider's rotation.
func (p *Provider) Rotate() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key, p.kid = key, "k-"+randomString(6)
	p.keys.PublicKeys = []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: p.kid, Algorithm: oidc.RS256}}
	return nil
}

// AccessToken issues an access token for u, as a native app would get one.
func (p *Provider) AccessToken(u User) string {
	access := randomString(24)
	p.mu.Lock()
	p.tokens[access] = u
	p.mu.Unlock()
	return access
}

func (p *Provider) bearer(w http.ResponseWriter, r *http.Request) (User, bool) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	p.mu.Lock()
	u, ok := p.tokens[h[min(len(prefix), len(h)):]]
	p.mu.Unlock()
	if len(h) < len(prefix) || !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return User{}, false
	}
	return u, true
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearer(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": u.Sub, "email": u.Email, "email_verified": u.EmailVerified, "name": u.Name})
}

func (p *Provider) githubUser(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearer(w, r)
	if !ok {
		return
	}
	id, _ := strconv.Atoi(u.Sub)
	// The profile's public address is whatever the user typed: never a proof.
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "login": u.Username, "name": u.Name, "email": u.Email})
}

func (p *Provider) githubEmails(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearer(w, r)
	if !ok {
		return
	}
	list := u.Emails
	if list == nil {
		list = []Email{{Email: u.Email, Primary: true, Verified: u.EmailVerified}}
	}
	writeJSON(w, http.StatusOK, list)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)[:n]
}
