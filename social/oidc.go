package social

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// discovery is an OpenID Connect provider's discovered configuration,
// fetched at first use and kept once it succeeds (a failure is retried at
// the next use). Its key set refetches the JWKS when a token names a key
// it does not know, so the issuer's key rotation needs nothing here.
type discovery struct {
	mu       sync.Mutex
	provider *oidc.Provider
	issuer   string // as discovered; Microsoft's multi-tenant one has {tenantid}
	keys     *keySet
	algs     []string // the ID token algorithms the issuer announced
}

type discoveryJSON struct {
	Issuer      string   `json:"issuer"`
	AuthURL     string   `json:"authorization_endpoint"`
	TokenURL    string   `json:"token_endpoint"`
	JWKSURL     string   `json:"jwks_uri"`
	UserInfoURL string   `json:"userinfo_endpoint"`
	Algorithms  []string `json:"id_token_signing_alg_values_supported"`
}

// discover returns the provider's discovered configuration.
func (p *Provider) discover(ctx context.Context) (*oidc.Provider, string, error) {
	d := &p.oidc
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.provider != nil {
		return d.provider, d.issuer, nil
	}
	wellKnown := p.cfg.Issuer + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return nil, "", fail("discovery: %v", err)
	}
	res, err := p.client.Do(req)
	if err != nil {
		return nil, "", fail("discovery: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, "", fail("discovery at %s: status %d %v", wellKnown, res.StatusCode, err)
	}
	var doc discoveryJSON
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, "", fail("discovery document: %v", err)
	}
	doc.Issuer = strings.TrimSuffix(doc.Issuer, "/")
	if !p.issuerMatches(doc.Issuer, p.cfg.Issuer) {
		return nil, "", fail("discovery names issuer %q, configured %q", doc.Issuer, p.cfg.Issuer)
	}
	for field, v := range map[string]string{"authorization_endpoint": doc.AuthURL, "token_endpoint": doc.TokenURL, "jwks_uri": doc.JWKSURL} {
		if err := checkURL(field, v); err != nil {
			return nil, "", fail("discovery: %v", err)
		}
	}
	algs := slices.DeleteFunc(doc.Algorithms, func(a string) bool { return strings.EqualFold(a, "none") })
	pc := &oidc.ProviderConfig{IssuerURL: doc.Issuer, AuthURL: doc.AuthURL, TokenURL: doc.TokenURL,
		JWKSURL: doc.JWKSURL, UserInfoURL: doc.UserInfoURL, Algorithms: algs}
	// The key set outlives the request that discovered it.
	d.provider = pc.NewProvider(p.ctx(context.WithoutCancel(ctx)))
	d.issuer, d.algs = doc.Issuer, algs
	d.keys = &keySet{url: doc.JWKSURL, client: p.client}
	return d.provider, d.issuer, nil
}

// issuerMatches compares a discovered issuer with the configured one:
// equal, or — Microsoft's common, organizations and consumers endpoints —
// the discovered template https://login.microsoftonline.com/{tenantid}/v2.0.
func (p *Provider) issuerMatches(discovered, configured string) bool {
	if discovered == configured {
		return true
	}
	if p.cfg.Kind != KindMicrosoft || !strings.Contains(discovered, "{tenantid}") {
		return false
	}
	prefix, suffix, _ := strings.Cut(discovered, "{tenantid}")
	return strings.HasPrefix(configured, prefix) && strings.HasSuffix(configured, suffix)
}

// oauth2Config is the provider's OAuth2 client for one redirect URI.
func (p *Provider) oauth2Config(ctx context.Context, redirectURI string) (*oauth2.Config, error) {
	conf := &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.Secret, RedirectURL: redirectURI, Scopes: p.cfg.Scopes}
	if openID(p.cfg.Kind) {
		prov, _, err := p.discover(ctx)
		if err != nil {
			return nil, err
		}
		conf.Endpoint = prov.Endpoint()
		if p.cfg.Kind != KindApple && !slices.Contains(conf.Scopes, oidc.ScopeOpenID) {
			conf.Scopes = append([]string{oidc.ScopeOpenID}, conf.Scopes...)
		}
		return conf, nil
	}
	conf.Endpoint = oauth2.Endpoint{AuthURL: p.cfg.AuthorizeURL, TokenURL: p.cfg.TokenURL}
	return conf, nil
}

// authOptions are the authorization request's extra parameters.
func (p *Provider) authOptions(r Request) []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	if p.pkce {
		opts = append(opts, oauth2.S256ChallengeOption(r.Verifier))
	}
	if openID(p.cfg.Kind) {
		opts = append(opts, oidc.Nonce(r.Nonce))
	}
	if p.FormPost() {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	return opts
}

// idClaims are the ID token claims an identity is made of.
type idClaims struct {
	Subject       string          `json:"sub"`
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"` // a boolean, or Apple's "true"
	Name          string          `json:"name"`
	Username      string          `json:"preferred_username"`
	Nickname      string          `json:"nickname"`
	AZP           string          `json:"azp"`
	TenantID      string          `json:"tid"`
	IssuedAt      *float64        `json:"iat"`
}

// iatLeeway is how far in the future an ID token's iat may be (clock skew).
const iatLeeway = 5 * time.Minute

// verifyIDToken verifies an ID token: its signature by the issuer's keys
// (never alg none), iss, exp, iat, aud (one of audiences), azp (required
// with several audiences, one of audiences when present), nonce (when
// nonce is not empty) and, with an access token, at_hash when present.
func (p *Provider) verifyIDToken(ctx context.Context, raw, nonce string, audiences []string, accessToken string) (*latch.SocialIdentity, error) {
	_, issuer, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	multiTenant := strings.Contains(issuer, "{tenantid}")
	d := &p.oidc
	v := oidc.NewVerifier(issuer, d.keys, &oidc.Config{SkipClientIDCheck: true, SkipIssuerCheck: multiTenant, SupportedSigningAlgs: d.algs})
	tok, err := v.Verify(p.ctx(ctx), raw)
	if err != nil {
		return nil, fail("id token: %v", err)
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return nil, fail("id token claims: %v", err)
	}
	if multiTenant && (c.TenantID == "" || tok.Issuer != strings.ReplaceAll(issuer, "{tenantid}", c.TenantID)) {
		return nil, fail("id token issuer %q does not match its tenant %q", tok.Issuer, c.TenantID)
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(audiences, a) }) {
		return nil, fail("id token audience %q is not this client", tok.Audience)
	}
	if len(tok.Audience) > 1 && c.AZP == "" {
		return nil, fail("id token with several audiences and no azp")
	}
	if c.AZP != "" && !slices.Contains(audiences, c.AZP) {
		return nil, fail("id token azp %q is not this client", c.AZP)
	}
	if c.IssuedAt == nil || tok.IssuedAt.After(time.Now().Add(iatLeeway)) {
		return nil, fail("id token without iat, or issued in the future")
	}
	if nonce != "" && tok.Nonce != nonce {
		return nil, fail("id token nonce mismatch")
	}
	if accessToken != "" && tok.AccessTokenHash != "" {
		if err := tok.VerifyAccessToken(accessToken); err != nil {
			return nil, fail("access token does not match at_hash: %v", err)
		}
	}
	if c.Subject == "" {
		return nil, fail("id token without sub")
	}
	username := c.Username
	if username == "" {
		username = c.Nickname
	}
	return &latch.SocialIdentity{Provider: p.cfg.ID, UID: c.Subject, Email: strings.ToLower(strings.TrimSpace(c.Email)),
		EmailVerified: truthy(c.EmailVerified), Name: c.Name, Username: username}, nil
}

// truthy reads a claim that is true or "true".
func truthy(raw json.RawMessage) bool {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	return strings.EqualFold(s, "true")
}

// userinfo asks an OpenID Connect provider's userinfo endpoint who holds
// an access token.
func (p *Provider) userinfo(ctx context.Context, accessToken string) (*latch.SocialIdentity, error) {
	if accessToken == "" {
		return nil, fail("no token")
	}
	prov, _, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	if prov.UserInfoEndpoint() == "" {
		return nil, fail("provider has no userinfo endpoint")
	}
	info, err := prov.UserInfo(p.ctx(ctx), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken}))
	if err != nil {
		return nil, fail("userinfo: %v", err)
	}
	var c idClaims
	if err := info.Claims(&c); err != nil {
		return nil, fail("userinfo claims: %v", err)
	}
	if info.Subject == "" {
		return nil, fail("userinfo without sub")
	}
	return &latch.SocialIdentity{Provider: p.cfg.ID, UID: info.Subject, Email: strings.ToLower(strings.TrimSpace(info.Email)),
		EmailVerified: info.EmailVerified, Name: c.Name, Username: c.Username}, nil
}

// appleName takes the name Apple posts with the first login only (the
// form field user: {"name": {"firstName", "lastName"}}).
func appleName(id *latch.SocialIdentity, user string) {
	if user == "" {
		return
	}
	var u struct {
		Name struct {
			First string `json:"firstName"`
			Last  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(user), &u) != nil {
		return
	}
	if name := strings.TrimSpace(u.Name.First + " " + u.Name.Last); name != "" {
		id.Name = name
	}
}
