// Package social is the protocol adapter of social login: the providers
// configured in LATCH_SOCIAL_PROVIDERS, their authorization requests, the
// code exchange, ID token verification (coreos/go-oidc: discovery, JWKS with
// rotation, iss, aud, azp, exp, iat, nonce) and the user APIs of OAuth2-only
// providers (golang.org/x/oauth2). It hands the core (account.Social) a
// verified latch.SocialIdentity; the rules of what an identity may log into
// are the core's.
package social

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// The kinds of provider.
const (
	KindOIDC      = "oidc"
	KindGoogle    = "google"
	KindGitHub    = "github"
	KindMicrosoft = "microsoft"
	KindApple     = "apple"
	KindGitLab    = "gitlab"
	KindDiscord   = "discord"
)

// Config is one entry of LATCH_SOCIAL_PROVIDERS.
type Config struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	ClientID string   `json:"client_id"`
	Secret   string   `json:"secret"`
	Scopes   []string `json:"scopes"`
	// Issuer is an OpenID Connect issuer (kind oidc; for google,
	// microsoft and apple it overrides the default, for tests).
	Issuer string `json:"issuer"`
	// Tenant is Microsoft's tenant: common (default), organizations,
	// consumers or a tenant id.
	Tenant string `json:"tenant"`
	// Endpoint overrides of the OAuth2 kinds (GitHub Enterprise,
	// self-hosted GitLab, tests).
	AuthorizeURL string `json:"authorize_url"`
	TokenURL     string `json:"token_url"`
	UserinfoURL  string `json:"userinfo_url"`
	EmailsURL    string `json:"emails_url"`
	// Audiences are further client ids whose ID tokens the token flow
	// accepts (an app's native client ids, an iOS bundle id for Apple).
	Audiences []string `json:"audiences"`
}

// Parse reads LATCH_SOCIAL_PROVIDERS: a JSON array inline, or the path of a
// file holding one. Unknown fields are refused, so a misspelt setting is
// not silently ignored.
func Parse(value string) ([]Config, error) {
	text := strings.TrimSpace(value)
	if text == "" {
		return nil, nil
	}
	if !strings.HasPrefix(text, "[") && !strings.HasPrefix(text, "{") {
		b, err := os.ReadFile(text)
		if err != nil {
			return nil, fmt.Errorf("read providers file: %w", err)
		}
		text = string(b)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var list []Config
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("providers: not a JSON array of providers: %w", err)
	}
	return list, nil
}

// Registry is the configured providers.
type Registry struct {
	list []*Provider
}

// New checks the configuration and returns the providers. client makes
// the requests to providers (nil: one with a 10 s timeout). Nothing is
// fetched yet: OpenID Connect discovery happens at first use.
func New(cfgs []Config, client *http.Client) (*Registry, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	r := &Registry{}
	seen := map[string]bool{}
	for i, c := range cfgs {
		p, err := newProvider(c, client)
		if err != nil {
			return nil, fmt.Errorf("provider %d (%q): %w", i, c.ID, err)
		}
		if seen[p.cfg.ID] {
			return nil, fmt.Errorf("provider %q configured twice", p.cfg.ID)
		}
		seen[p.cfg.ID] = true
		r.list = append(r.list, p)
	}
	return r, nil
}

// Providers returns what the core and the API show of each provider.
func (r *Registry) Providers() []latch.Provider {
	if r == nil {
		return nil
	}
	out := make([]latch.Provider, 0, len(r.list))
	for _, p := range r.list {
		out = append(out, p.Info())
	}
	return out
}

// Lookup returns the provider with that id.
func (r *Registry) Lookup(id string) (*Provider, bool) {
	if r == nil {
		return nil, false
	}
	for _, p := range r.list {
		if p.cfg.ID == id {
			return p, true
		}
	}
	return nil, false
}

// preset is what a kind brings: its default name, issuer or endpoints and
// scopes.
type preset struct {
	name   string
	issuer string // OpenID Connect kinds
	// OAuth2 kinds' endpoints.
	authorize, token, userinfo, emails string
	scopes                             []string
	pkce                               bool
}

var presets = map[string]preset{
	KindOIDC:   {scopes: []string{"openid", "email", "profile"}, pkce: true},
	KindGoogle: {name: "Google", issuer: "https://accounts.google.com", scopes: []string{"openid", "email", "profile"}, pkce: true},
	// The tenant is filled in; the issuer of a token is checked against
	// its tid claim (multi-tenant endpoints discover a templated issuer).
	KindMicrosoft: {name: "Microsoft", issuer: "https://login.microsoftonline.com/{tenant}/v2.0", scopes: []string{"openid", "email", "profile"}, pkce: true},
	// Apple posts the callback (form_post) and ignores PKCE.
	KindApple: {name: "Apple", issuer: "https://appleid.apple.com", scopes: []string{"name", "email"}},
	KindGitHub: {name: "GitHub", authorize: "https://github.com/login/oauth/authorize", token: "https://github.com/login/oauth/access_token",
		userinfo: "https://api.github.com/user", emails: "https://api.github.com/user/emails", scopes: []string{"read:user", "user:email"}, pkce: true},
	KindGitLab: {name: "GitLab", authorize: "https://gitlab.com/oauth/authorize", token: "https://gitlab.com/oauth/token",
		userinfo: "https://gitlab.com/api/v4/user", scopes: []string{"read_user"}, pkce: true},
	KindDiscord: {name: "Discord", authorize: "https://discord.com/oauth2/authorize", token: "https://discord.com/api/oauth2/token",
		userinfo: "https://discord.com/api/users/@me", scopes: []string{"identify", "email"}, pkce: true},
}

// openID reports whether a kind speaks OpenID Connect.
func openID(kind string) bool {
	return kind == KindOIDC || kind == KindGoogle || kind == KindMicrosoft || kind == KindApple
}

func newProvider(c Config, client *http.Client) (*Provider, error) {
	ps, ok := presets[c.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown kind %q (oidc, google, github, microsoft, apple, gitlab, discord)", c.Kind)
	}
	if c.ID == "" {
		c.ID = c.Kind
	}
	if !validID(c.ID) {
		return nil, fmt.Errorf("id %q: letters, digits, - and _ only", c.ID)
	}
	if c.ClientID == "" {
		return nil, errors.New("client_id is required")
	}
	if c.Name == "" {
		c.Name = ps.name
	}
	if c.Name == "" {
		c.Name = c.ID
	}
	if len(c.Scopes) == 0 {
		c.Scopes = ps.scopes
	}
	p := &Provider{cfg: c, client: client, pkce: ps.pkce}
	if openID(c.Kind) {
		if c.Kind == KindOIDC && c.Issuer == "" {
			return nil, errors.New("kind oidc needs an issuer")
		}
		if c.Issuer == "" {
			c.Issuer = ps.issuer
		}
		if c.Kind == KindMicrosoft {
			tenant := c.Tenant
			if tenant == "" {
				tenant = "common"
			}
			c.Issuer = strings.ReplaceAll(c.Issuer, "{tenant}", tenant)
		}
		c.Issuer = strings.TrimSuffix(c.Issuer, "/")
		if err := checkURL("issuer", c.Issuer); err != nil {
			return nil, err
		}
		p.cfg = c
		return p, nil
	}
	for _, e := range []struct {
		field string
		value *string
		def   string
	}{{"authorize_url", &c.AuthorizeURL, ps.authorize}, {"token_url", &c.TokenURL, ps.token},
		{"userinfo_url", &c.UserinfoURL, ps.userinfo}, {"emails_url", &c.EmailsURL, ps.emails}} {
		if *e.value == "" {
			*e.value = e.def
		}
		if *e.value == "" {
			continue
		}
		if err := checkURL(e.field, *e.value); err != nil {
			return nil, err
		}
	}
	p.cfg = c
	return p, nil
}

func validID(id string) bool {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return id != "" && len(id) <= 64
}

// checkURL accepts https URLs, and http ones only on a loopback host.
func checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL", field, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s %q: http:// is accepted only on a loopback host; use https", field, raw)
	}
	return fmt.Errorf("%s %q: the scheme must be https", field, raw)
}

func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Provider is one configured provider.
type Provider struct {
	cfg    Config
	client *http.Client
	pkce   bool
	oidc   discovery // OpenID Connect kinds (oidc.go)
}

// Info is what the API shows of the provider.
func (p *Provider) Info() latch.Provider {
	info := latch.Provider{ID: p.cfg.ID, Kind: p.cfg.Kind, Name: p.cfg.Name, ClientID: p.cfg.ClientID,
		Flows: []string{"provider_redirect", "provider_token"}}
	if openID(p.cfg.Kind) {
		info.OpenIDConfigurationURL = p.cfg.Issuer + "/.well-known/openid-configuration"
	}
	return info
}

// CallbackPath is where the provider returns the browser, on the public
// URL: allauth's paths, so registrations made for a Django backend keep
// working.
func (p *Provider) CallbackPath() string {
	if p.cfg.Kind == KindOIDC {
		return "/accounts/oidc/" + p.cfg.ID + "/login/callback/"
	}
	return "/accounts/" + p.cfg.Kind + "/login/callback/"
}

// FormPost reports whether the provider returns with a POST (Apple's
// response_mode=form_post).
func (p *Provider) FormPost() bool { return p.cfg.Kind == KindApple }

// Request is a provider redirect's authorization request.
type Request struct {
	RedirectURI, State, Nonce, Verifier string
}

// ErrProvider wraps every failure of a provider exchange or verification:
// the provider refused, answered something invalid, or a token did not
// verify. Its message is for the log, never for the client.
var ErrProvider = errors.New("provider")

func fail(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrProvider, fmt.Sprintf(format, a...))
}

// AuthCodeURL returns the URL the browser is sent to: the authorization
// endpoint with the client id, redirect URI, scopes, state, PKCE S256
// challenge (where the provider supports it) and, for OpenID Connect, the
// nonce.
func (p *Provider) AuthCodeURL(ctx context.Context, r Request) (string, error) {
	conf, err := p.oauth2Config(ctx, r.RedirectURI)
	if err != nil {
		return "", err
	}
	opts := p.authOptions(r)
	return conf.AuthCodeURL(r.State, opts...), nil
}

// Exchange turns the callback's code into the user's identity. form is
// the callback's parameters (Apple sends the user's name in "user", on
// the first login only).
func (p *Provider) Exchange(ctx context.Context, r Request, code string, form url.Values) (*latch.SocialIdentity, error) {
	if code == "" {
		return nil, fail("no code in the callback")
	}
	conf, err := p.oauth2Config(ctx, r.RedirectURI)
	if err != nil {
		return nil, err
	}
	var opts []oauth2.AuthCodeOption
	if p.pkce {
		opts = append(opts, oauth2.VerifierOption(r.Verifier))
	}
	tok, err := conf.Exchange(p.ctx(ctx), code, opts...)
	if err != nil {
		return nil, fail("code exchange: %v", err)
	}
	tokens := &latch.ProviderTokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry}
	var id *latch.SocialIdentity
	if openID(p.cfg.Kind) {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return nil, fail("token response without id_token")
		}
		tokens.IDToken = raw
		id, err = p.verifyIDToken(ctx, raw, r.Nonce, []string{p.cfg.ClientID}, tok.AccessToken)
		if err == nil && p.cfg.Kind == KindApple {
			appleName(id, form.Get("user"))
		}
	} else {
		id, err = p.userAPI(ctx, tok.AccessToken)
	}
	if err != nil {
		return nil, err
	}
	id.Tokens = tokens
	return id, nil
}

// Token is what an app obtained from the provider natively.
type Token struct {
	ClientID    string
	IDToken     string
	AccessToken string
	Nonce       string
}

// ErrClientID means the token flow named a client id the provider does not
// have.
var ErrClientID = errors.New("unknown client id")

// VerifyToken verifies a token an app obtained natively: an ID token
// (signature by the issuer's keys, iss, aud one of the provider's client
// ids, azp when it has several audiences, exp, iat, nonce when given), or,
// without one, an access token accepted by the provider's user API.
func (p *Provider) VerifyToken(ctx context.Context, t Token) (*latch.SocialIdentity, error) {
	audiences := append([]string{p.cfg.ClientID}, p.cfg.Audiences...)
	if t.ClientID != "" {
		if !slices.Contains(audiences, t.ClientID) {
			return nil, ErrClientID
		}
		audiences = []string{t.ClientID}
	}
	if t.IDToken != "" {
		if !openID(p.cfg.Kind) {
			return nil, fail("%s issues no ID tokens", p.cfg.Kind)
		}
		return p.verifyIDToken(ctx, t.IDToken, t.Nonce, audiences, t.AccessToken)
	}
	if openID(p.cfg.Kind) {
		return p.userinfo(ctx, t.AccessToken)
	}
	return p.userAPI(ctx, t.AccessToken)
}

// ctx carries the provider's HTTP client for go-oidc and x/oauth2.
func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, p.client), p.client)
}

// FormOrigins are the origins the browser is sent on to when a provider
// login starts: each provider's authorization endpoint (for OpenID Connect,
// the issuer's origin, where the endpoints of the supported providers
// live), for the web app's form-action policy.
func (r *Registry) FormOrigins() []string {
	var out []string
	for _, p := range r.Providers() {
		raw := p.OpenIDConfigurationURL
		if prov, ok := r.Lookup(p.ID); ok && !openID(prov.cfg.Kind) {
			raw = prov.cfg.AuthorizeURL
		}
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}
