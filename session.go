package latch

import "time"

// Session is a server-side session. Only a hash of its key is stored; the key
// itself lives in the browser's cookie or the app's X-Session-Token header.
// A session with UserID 0 is anonymous and exists only to carry a pending flow.
type Session struct {
	ID         int64
	KeyHash    []byte
	UserID     int64
	Client     ClientKind
	Created    time.Time
	LastSeen   time.Time
	Expires    time.Time // rolling expiry, pushed forward as the session is used
	MaxExpires time.Time // absolute limit the rolling expiry never passes
	IP         string
	UserAgent  string
	State      SessionState
	// Version counts the saves of State: a save succeeds only if nobody
	// saved since this copy was read (ErrStale otherwise), so that of
	// concurrent uses of one emailed code exactly one wins.
	Version int64
}

// Authenticated reports whether the session carries a completed login.
func (s *Session) Authenticated() bool { return s != nil && s.UserID != 0 }

// SessionState is the part of a session that changes with authentication: the
// record of how the user authenticated and any login flow still in progress.
// It is stored as JSON, so new flows add fields without reshaping tables.
type SessionState struct {
	Methods []AuthMethod  `json:"methods,omitempty"`
	Pending *PendingLogin `json:"pending,omitempty"`
	// Codes are the code processes in progress (email verification,
	// password reset, login by code), by kind. Codes are bound to the
	// session that asked for them.
	Codes map[string]*CodeProcess `json:"codes,omitempty"`
	// TOTPSecret is the TOTP secret offered to an authenticated user
	// setting up TOTP, sealed by the core, until it is activated.
	TOTPSecret string `json:"totp_secret,omitempty"`
	// WebAuthn is the WebAuthn ceremony in progress (its challenge),
	// good for one answer.
	WebAuthn string `json:"webauthn,omitempty"`
}

// CodeProcess is a short code sent by email and waiting to be typed in. Only
// a hash of the code is kept. UserID 0 means the address has no account: no
// code can succeed, but the process looks the same from outside.
type CodeProcess struct {
	UserID    int64     `json:"user_id"`
	Email     string    `json:"email"`
	Hash      string    `json:"hash"`
	Started   time.Time `json:"started"`
	Attempts  int       `json:"attempts"`
	Resends   int       `json:"resends"`
	Confirmed bool      `json:"confirmed,omitempty"`
}

// AuthMethod records one authentication step, as allauth's "methods" list.
type AuthMethod struct {
	Method          string  `json:"method"`
	At              float64 `json:"at"`
	Email           string  `json:"email,omitempty"`
	Username        string  `json:"username,omitempty"`
	Reauthenticated bool    `json:"reauthenticated,omitempty"`
	// Type is the authenticator type of an "mfa" method.
	Type string `json:"type,omitempty"`
	// Provider and UID name the identity of a third-party login.
	Provider string `json:"provider,omitempty"`
	UID      string `json:"uid,omitempty"`
}

// PendingLogin is a login that has proved a first factor but still has stages
// to pass (email verification, MFA, …) before the session is authenticated.
type PendingLogin struct {
	UserID  int64        `json:"user_id"`
	Started time.Time    `json:"started"`
	Stages  []string     `json:"stages"`
	Methods []AuthMethod `json:"methods,omitempty"`
	Email   string       `json:"email,omitempty"`
	// Done are the stages the login has passed.
	Done []string `json:"done,omitempty"`
	// Attempts counts the wrong codes typed at mfa_authenticate.
	Attempts int `json:"attempts,omitempty"`
	// Social is the provider identity a provider_signup waits to turn into
	// an account (UserID is 0 until then).
	Social *SocialIdentity `json:"social,omitempty"`
}

// SessionInfo is a session of a user as listed to that user.
type SessionInfo struct {
	ID        int64
	Created   time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
}
