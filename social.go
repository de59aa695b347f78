package latch

import "time"

// Provider is a configured third-party login provider as the API shows it
// (allauth's provider object): its id, display name, the flows it supports
// ("provider_redirect", "provider_token"), the OAuth client id and, for
// OpenID Connect providers, the discovery URL.
type Provider struct {
	ID       string
	Kind     string // oidc, google, github, microsoft, apple, gitlab, discord
	Name     string
	ClientID string
	Flows    []string
	// OpenIDConfigurationURL is the issuer's discovery document, for the
	// kind oidc only.
	OpenIDConfigurationURL string
}

// SocialIdentity is what a provider asserted about a user in one login,
// after the adapter verified it (an ID token's signature and claims, or the
// provider's user API over TLS).
type SocialIdentity struct {
	Provider string `json:"provider"` // the provider id
	UID      string `json:"uid"`      // the provider's stable user id (sub, GitHub's numeric id, …)
	// Email is the address the provider gave, lower-cased; EmailVerified
	// is true only when the provider itself asserts it verified.
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	Username      string `json:"username,omitempty"` // a preferred username, when the provider has one
	Name          string `json:"name,omitempty"`     // a display name, when the provider gives one
	// Tokens are the provider's tokens of this login, stored (sealed) only
	// when the operator asks for it; never kept in a session's state.
	Tokens *ProviderTokens `json:"-"`
}

// Display is the name shown for the identity: the name, else the username,
// else the address, else the uid.
func (id *SocialIdentity) Display() string {
	for _, s := range []string{id.Name, id.Username, id.Email} {
		if s != "" {
			return s
		}
	}
	return id.UID
}

// ProviderTokens are the tokens a provider issued at a login.
type ProviderTokens struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// SocialAccount is an identity at a provider connected to a user: one per
// (Provider, UID), across all users.
type SocialAccount struct {
	ID        int64
	UserID    int64
	Provider  string
	UID       string
	Email     string
	Display   string
	Created   time.Time
	LastLogin time.Time
	// Tokens is the provider's tokens sealed with a key derived from the
	// master secret; nil unless tokens are stored.
	Tokens []byte
}

// SocialFlow is a provider redirect in progress: what the callback needs,
// stored under the hash of its single-use state and bound to the browser
// that started it by the hash of a secret held in that browser's cookie.
type SocialFlow struct {
	StateHash   []byte
	BrowserHash []byte
	Provider    string
	Process     string // login or connect
	CallbackURL string
	// Verifier is the PKCE code verifier and Nonce the OpenID Connect
	// nonce; both go to the provider only with the callback's exchange.
	Verifier string
	Nonce    string
	// UserID is the user who started a connect (0 for a login).
	UserID  int64
	Created time.Time
	Expires time.Time
}
