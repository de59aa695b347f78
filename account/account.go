// Package account is Latch's account core: signup, login and its pending
// stages, sessions, logout and password change. It holds every rule about
// accounts and knows nothing of HTTP or SQL: handlers call it with typed
// inputs, and it reaches storage through the small interfaces below.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
)

// UserStore keeps users and their email addresses.
type UserStore interface {
	// CreateUser inserts u and its addresses, setting their IDs; it returns
	// latch.ErrEmailTaken or latch.ErrUsernameTaken on a uniqueness conflict.
	CreateUser(ctx context.Context, u *latch.User, emails []latch.EmailAddress) error
	// UserByEmail finds the user an address has authority for: one of
	// their verified addresses, or their primary (signup) address. An
	// unverified added address belongs to no one yet.
	UserByEmail(ctx context.Context, email string) (*latch.User, error)
	// UserByUsername finds a user by username, case-insensitively.
	UserByUsername(ctx context.Context, username string) (*latch.User, error)
	// SetPassword replaces a user's password hash.
	SetPassword(ctx context.Context, userID int64, hash string, at time.Time) error
	// SetLastLogin records a completed login.
	SetLastLogin(ctx context.Context, userID int64, at time.Time) error
	UserByID(ctx context.Context, id int64) (*latch.User, error)
}

// EmailStore keeps users' addresses.
type EmailStore interface {
	// EmailAddresses lists a user's addresses, primary first.
	EmailAddresses(ctx context.Context, userID int64) ([]latch.EmailAddress, error)
	// AddEmail adds an address; latch.ErrEmailTaken when the user has it,
	// or when it is verified or primary and another user has authority
	// over it. Adding it verified drops the others' unverified claims.
	AddEmail(ctx context.Context, e *latch.EmailAddress) error
	// SetEmailVerified marks a user's address verified and drops the
	// unverified claims of other users; latch.ErrEmailTaken when another
	// user has authority over it.
	SetEmailVerified(ctx context.Context, userID int64, email string) error
	SetPrimaryEmail(ctx context.Context, userID int64, email string, at time.Time) error
	// DeleteEmail removes an address and the tokens sent to it.
	DeleteEmail(ctx context.Context, userID int64, email string) error
}

// TokenStore keeps the single-use tokens of email links, by hash.
type TokenStore interface {
	CreateToken(ctx context.Context, t *latch.Token) error
	// TokenByHash finds a token without using it up.
	TokenByHash(ctx context.Context, kind string, hash []byte) (*latch.Token, error)
	// TakeToken deletes and returns a token; only one caller gets it.
	TakeToken(ctx context.Context, kind string, hash []byte) (*latch.Token, error)
	DeleteUserTokens(ctx context.Context, userID int64, kind string) error
}

// Mailer sends templated email without making the caller wait on delivery
// (see package mail).
type Mailer interface {
	Send(ctx context.Context, kind, to string, data map[string]any) error
}

// SessionStore keeps server-side sessions, addressed by the hash of their key.
type SessionStore interface {
	CreateSession(ctx context.Context, s *latch.Session) error
	// StartSession stores a newly authenticated session in one transaction
	// with the end of the session it replaces (0: none), the user's last
	// login (s.Created) and, unless nil, the first refresh token of its
	// family, whose SessionID it sets.
	StartSession(ctx context.Context, s *latch.Session, replaces int64, refresh *latch.RefreshToken) error
	// SessionByKey returns the session with that key hash and, for an
	// authenticated session, its user with the primary address — in one query,
	// since this runs on every request.
	SessionByKey(ctx context.Context, keyHash []byte) (*latch.Session, *latch.User, error)
	// UpdateSession saves a session's key hash, user, state and expiry.
	UpdateSession(ctx context.Context, s *latch.Session) error
	// TouchSession moves a session's last-seen time and rolling expiry.
	TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error
	DeleteSession(ctx context.Context, id int64) error
	// DeleteUserSessions ends every session of a user but the one with id except.
	DeleteUserSessions(ctx context.Context, userID, except int64) error
	// SessionByID returns a session and its user (access tokens name their
	// session by id).
	SessionByID(ctx context.Context, id int64) (*latch.Session, *latch.User, error)
	// UserSessions lists a user's unexpired sessions, newest first.
	UserSessions(ctx context.Context, userID int64, now time.Time) ([]latch.SessionInfo, error)
}

// Hasher hashes and verifies passwords (see package password).
type Hasher interface {
	Hash(plain string) (string, error)
	Verify(encoded, plain string) (ok, needsRehash bool, err error)
	VerifyDummy(plain string)
}

// Limiter counts actions per key (see package ratelimit).
type Limiter interface {
	Hit(ctx context.Context, key string, r ratelimit.Rate) (bool, time.Duration, error)
	Peek(ctx context.Context, key string, r ratelimit.Rate) (bool, time.Duration, error)
	// Refund gives back the newest action recorded for key.
	Refund(ctx context.Context, key string, r ratelimit.Rate) error
	Reset(ctx context.Context, key string) error
}

// Email verification modes.
const (
	VerificationNone      = "none"
	VerificationOptional  = "optional"
	VerificationMandatory = "mandatory"
)

// Config holds the account rules an operator can set.
type Config struct {
	LoginMethods      []string // "email", "username"
	EmailVerification string   // VerificationNone, VerificationOptional or VerificationMandatory
	SignupClosed      bool
	// EmailOptional lets a signup give no email address (allauth's
	// ACCOUNT_SIGNUP_FIELDS with "email" instead of "email*"): the account
	// then has no address, so no verification and no reset by email, and
	// a username is required. It has no effect under mandatory
	// verification, which needs an address to verify.
	EmailOptional bool
	// UsernameRequired makes the username a required signup field
	// ("username*"); it is also required when username is the only login
	// method, and when a signup gives no address.
	UsernameRequired bool
	// NoUsername leaves the username out of signup (ACCOUNT_SIGNUP_FIELDS
	// without "username": email-only accounts): a username sent at signup
	// is ignored, as allauth's form ignores a field it does not have, and
	// accounts get none. Login is then by email only.
	NoUsername bool

	VerificationByCode  bool // email verification by typed code instead of link
	PasswordResetByCode bool
	LoginByCode         bool // passwordless login by emailed code

	VerificationLinkTTL time.Duration // default 24 h (allauth: 3 days)
	ResetLinkTTL        time.Duration // default 1 h (Django: 3 days)
	VerificationCode    CodeRules     // allauth: 15 minutes, 3 attempts
	ResetCode           CodeRules     // allauth: 3 minutes, 3 attempts
	LoginCode           CodeRules     // allauth: 3 minutes, 3 attempts

	LoginOnEmailConfirmation bool // a verified link finishes the pending login
	LoginOnPasswordReset     bool // a reset logs the user in
	EmailUnknownAccounts     bool // mail "no account here" to unknown addresses
	MaxEmailAddresses        int  // 0: no limit
	EmailNotifications       bool // mail security notifications (see notify.go)

	// Links are the frontend URLs put in emails; "{key}" is replaced by the key.
	Links          Links
	SessionTTL     time.Duration // rolling lifetime of a session
	SessionMaxAge  time.Duration // absolute lifetime of a session
	LoginTimeout   time.Duration // how long a multi-stage login may take
	TouchInterval  time.Duration // how often a session's last-seen time is written
	PasswordPolicy password.Policy
	RateLimits     map[string][]ratelimit.Rate // by action; see DefaultRateLimits
	Tokens         TokenConfig
	// DeviceSecret signs device tokens (see device.go); empty: none are
	// issued and every client counts as unknown.
	DeviceSecret []byte
	// MFA holds the second-factor rules (mfa.go).
	MFA MFAConfig

	// Social holds the rules of social login (social.go).
	Social SocialConfig
	// AccountDeletion lets users delete their own account (default true;
	// LATCH_ACCOUNT_DELETION).
	AccountDeletion bool
}

// DefaultRateLimits are allauth's default budgets (ACCOUNT_RATE_LIMITS).
func DefaultRateLimits() map[string][]ratelimit.Rate {
	m := map[string][]ratelimit.Rate{}
	for action, spec := range map[string]string{
		"login":                   "30/m/ip",
		"login_failed":            "10/m/ip,5/5m/key",
		"login_failed_account":    "20/5m/key",
		"signup":                  "20/m/ip",
		"change_password":         "5/m/user",
		"reset_password":          "20/m/ip,5/m/key",
		"reset_password_from_key": "20/m/ip",
		"manage_email":            "10/m/user",
		"request_login_code":      "20/m/ip,3/m/key",
		"confirm_email":           "1/3m/key",
		"confirm_email_code":      "1/10s/key",
		"mfa_authenticate":        "20/m/ip,10/5m/key",
		"reauthenticate":          "10/m/user",
	} {
		m[action], _ = ratelimit.ParseRates(spec)
	}
	return m
}

// DefaultConfig returns the defaults documented in the README.
func DefaultConfig() Config {
	return Config{
		LoginMethods:      []string{"email", "username"},
		EmailVerification: VerificationOptional,
		SessionTTL:        14 * 24 * time.Hour,
		SessionMaxAge:     90 * 24 * time.Hour,
		LoginTimeout:      15 * time.Minute,
		TouchInterval:     time.Minute,
		PasswordPolicy:    password.DefaultPolicy,
		RateLimits:        DefaultRateLimits(),
		MFA:               DefaultMFAConfig(),

		VerificationLinkTTL:  24 * time.Hour, // Supabase, NIST 800-63B-4 §4.2.1.2; allauth: 3 days
		ResetLinkTTL:         time.Hour,      // Supabase, Kratos; Django: 3 days
		VerificationCode:     CodeRules{TTL: 15 * time.Minute, MaxAttempts: 3, MaxResends: 2},
		ResetCode:            CodeRules{TTL: 3 * time.Minute, MaxAttempts: 3},
		LoginCode:            CodeRules{TTL: 3 * time.Minute, MaxAttempts: 3, MaxResends: 2},
		EmailUnknownAccounts: true,
		EmailNotifications:   true,
		Tokens: TokenConfig{Strategy: "session", AccessTTL: 5 * time.Minute, RefreshTTL: 14 * 24 * time.Hour,
			RefreshGrace: 5 * time.Second},
		Social:          SocialConfig{AutoConnect: true, AutoSignup: true, FlowTTL: 10 * time.Minute},
		AccountDeletion: true,
	}
}

// CodeRules bound a kind of emailed code.
type CodeRules struct {
	TTL         time.Duration // from the first code of the process
	MaxAttempts int           // wrong codes before the process is dropped
	MaxResends  int           // new codes the user may ask for
}

// Links are templates of the frontend URLs that emails point at.
type Links struct {
	VerifyEmail   string // {key}
	ResetPassword string // {key}
	Signup        string
	RequestReset  string
}

// link fills in a link template.
func link(template, key string) string {
	return strings.ReplaceAll(template, "{key}", url.PathEscape(key))
}

// Deps is what the core is built from. The stores are one small interface
// per family, so that each can be wrapped (the session cache) or replaced on
// its own; New checks that every required one is there.
type Deps struct {
	Config   Config
	Users    UserStore
	Emails   EmailStore
	Tokens   TokenStore // the single-use tokens of email links
	Sessions SessionStore
	Refresh  RefreshStore
	Lister   UserLister
	// Authenticators keeps users' second factors.
	Authenticators AuthenticatorStore
	// WebAuthn runs WebAuthn ceremonies; nil: WebAuthn is not offered.
	WebAuthn WebAuthn
	// Tx runs several store writes as one unit of work.
	Tx     Transactor
	Mail   Mailer
	Hasher Hasher
	// Limiter counts rate-limited actions.
	Limiter Limiter
	// Signer signs access tokens; nil: no access tokens are issued.
	Signer Signer
	// Profiles keeps users' names and username changes (profile.go).
	Profiles ProfileStore
	// Admin, Audit and APIKeys are the stores of the Admin family
	// (admin.go); without them its actions fail.
	Admin      AdminStore
	Audit      AuditReader
	APIKeys    APIKeyStore
	Deliveries DeliveryReader
	// Events receives every security event; nil: they are logged to Log.
	Events EventSink
	Log    *slog.Logger
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Social keeps connected identities and provider redirects; required
	// when providers are configured.
	Social SocialStore
}

// core is what every family of flows shares: the dependencies, the login
// stage machine (stages.go), sessions' flow state, codes, budgets and events.
type core struct {
	cfg      Config
	users    UserStore
	emails   EmailStore
	tokens   TokenStore
	sessions SessionStore
	refresh  RefreshStore
	lister   UserLister
	authn    AuthenticatorStore
	webauthn WebAuthn // nil: not offered
	social   SocialStore
	tx       Transactor
	signer   Signer    // nil: no access tokens
	sid      sidCipher // encrypts session ids into sid claims (sid.go)
	mail     Mailer
	hasher   Hasher
	budget   *budget
	devices  deviceKey
	codes    *codes
	mfaKeys  mfaKeys // keys of MFA secrets and trust tokens (mfa.go)
	events   EventSink
	admin    adminStores
	profiles ProfileStore
	log      *slog.Logger
	now      func() time.Time
	bg       sync.WaitGroup // work done after the answer (see background)
}

// The families of flows. Each holds the shared core; the HTTP layer calls
// the family an endpoint belongs to.
type (
	// Sessions resolves callers' sessions, logs in (password, code) and out,
	// and lists and ends a user's sessions.
	Sessions struct{ *core }
	// Emails manages a user's addresses and their verification.
	Emails struct{ *core }
	// Passwords changes and resets passwords.
	Passwords struct{ *core }
	// Tokens issues, refreshes and resolves JWT access and refresh tokens.
	Tokens struct{ *core }
	// Users signs users up and lists them.
	Users struct{ *core }
	// Social (social.go) logs in, signs up and connects with providers.
)

// The Admin family (operators' actions) is declared in admin.go.

// Service is the account core: one value per family of flows, over one
// shared core. It is safe for concurrent use.
type Service struct {
	Sessions  *Sessions
	Emails    *Emails
	Passwords *Passwords
	Tokens    *Tokens
	Users     *Users
	MFA       *MFA
	// SecurityKeys are the WebAuthn flows (webauthn.go).
	SecurityKeys *SecurityKeys
	Social       *Social
	Admin        *Admin
	core         *core
}

// New returns the core, or an error naming a missing dependency.
func New(d Deps) (*Service, error) {
	for name, missing := range map[string]bool{
		"Users": d.Users == nil, "Emails": d.Emails == nil, "Tokens": d.Tokens == nil,
		"Sessions": d.Sessions == nil, "Refresh": d.Refresh == nil, "Lister": d.Lister == nil,
		"Tx": d.Tx == nil, "Mail": d.Mail == nil, "Hasher": d.Hasher == nil, "Limiter": d.Limiter == nil,
		"Authenticators": d.Authenticators == nil, "Profiles": d.Profiles == nil,
	} {
		if missing {
			return nil, fmt.Errorf("account: Deps.%s is required", name)
		}
	}
	if d.Social == nil && len(d.Config.Social.Providers) > 0 {
		return nil, fmt.Errorf("account: Deps.Social is required with providers")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Events == nil {
		d.Events = LogEvents(d.Log)
	}
	if d.WebAuthn == nil {
		d.Config.MFA.SupportedTypes = slices.DeleteFunc(slices.Clone(d.Config.MFA.SupportedTypes),
			func(t string) bool { return t == latch.AuthenticatorWebAuthn })
		d.Config.MFA.PasskeyLogin, d.Config.MFA.PasskeySignup = false, false
	}
	if d.Config.MFA.PasskeySignup && (d.Config.EmailVerification != VerificationMandatory || !d.Config.VerificationByCode) {
		// The address is the only way back into an account without a
		// password: it must be proved, by a code, before the passkey.
		return nil, errors.New("account: passkey signup needs mandatory email verification by code")
	}
	if len(d.Config.MFA.Secret) == 0 {
		// Good for this process only: latch serve derives it from the
		// master secret, so that every node and restart opens the secrets.
		d.Config.MFA.Secret = make([]byte, 32)
		rand.Read(d.Config.MFA.Secret)
	}
	c := &core{cfg: d.Config, users: d.Users, emails: d.Emails, tokens: d.Tokens, sessions: d.Sessions,
		refresh: d.Refresh, lister: d.Lister, authn: d.Authenticators, webauthn: d.WebAuthn, social: d.Social, tx: d.Tx, mfaKeys: newMFAKeys(d.Config.MFA.Secret),
		mail: d.Mail, hasher: d.Hasher,
		devices: d.Config.DeviceSecret, events: d.Events, log: d.Log, now: d.Now,
		admin: adminStores{users: d.Admin, audit: d.Audit, apiKeys: d.APIKeys, deliveries: d.Deliveries}, profiles: d.Profiles}
	c.budget = &budget{limiter: d.Limiter, rates: d.Config.RateLimits, log: d.Log,
		hit: func(ctx context.Context, st *State, action string) {
			c.event(ctx, st, EventRateLimitHit, nil, "action", action)
		}}
	c.codes = &codes{c}
	if d.Signer != nil {
		c.signer, c.sid = d.Signer, newSIDCipher(d.Config.Tokens.Secret)
	}
	return &Service{Sessions: &Sessions{c}, Emails: &Emails{c}, Passwords: &Passwords{c}, Tokens: &Tokens{c},
		Users: &Users{c}, MFA: &MFA{c}, SecurityKeys: &SecurityKeys{&MFA{c}}, Social: &Social{c}, Admin: &Admin{c}, core: c}, nil
}

// Config returns the rules the service runs with.
func (s *Service) Config() Config { return s.core.cfg }

// LoginMethod reports whether m ("email" or "username") is a login method.
func (s *Service) LoginMethod(m string) bool { return s.core.LoginMethod(m) }

// Wait returns once the work started after answers (a reset link being
// stored and mailed) is done; call it before closing the store.
func (s *Service) Wait() { s.core.bg.Wait() }

// LoginMethod reports whether m ("email" or "username") is a login method.
func (s *core) LoginMethod(m string) bool {
	for _, x := range s.cfg.LoginMethods {
		if x == m {
			return true
		}
	}
	return false
}

// newKey returns a fresh session key (256 random bits, URL-safe) and its hash.
func newKey() (string, []byte) {
	var b [32]byte
	rand.Read(b[:])
	key := base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashKey(key)
}

// HashKey returns the hash under which a session key is stored. Keys carry
// 256 random bits, so a plain SHA-256 is enough: no salt or stretching needed.
//
// The key is copied into a buffer on the stack (a []byte conversion of a
// key longer than 32 bytes would allocate), so the hash is the only
// allocation: it is on the session check's path.
func HashKey(key string) []byte {
	var buf [64]byte
	h := sha256.Sum256(append(buf[:0], key...))
	return h[:]
}

// background runs fn after the request has been answered, with the
// request's values but not its cancellation, bounded to a minute.
func (s *core) background(ctx context.Context, fn func(context.Context)) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		fn(ctx)
	}()
}

// Transactor runs fn as one unit of work: the store writes fn makes through
// the context it is given commit together or not at all (see
// latch.AfterCommit for what must wait for the commit).
type Transactor interface {
	Atomic(ctx context.Context, fn func(ctx context.Context) error) error
}
