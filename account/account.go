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
	"log/slog"
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
	// UserByEmail finds the owner of an address (any of the user's addresses).
	UserByEmail(ctx context.Context, email string) (*latch.User, error)
	// UserByUsername finds a user by username, case-insensitively.
	UserByUsername(ctx context.Context, username string) (*latch.User, error)
	// SetPassword replaces a user's password hash.
	SetPassword(ctx context.Context, userID int64, hash string, at time.Time) error
	// SetLastLogin records a completed login.
	SetLastLogin(ctx context.Context, userID int64, at time.Time) error
}

// SessionStore keeps server-side sessions, addressed by the hash of their key.
type SessionStore interface {
	CreateSession(ctx context.Context, s *latch.Session) error
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
	SessionTTL        time.Duration // rolling lifetime of a session
	SessionMaxAge     time.Duration // absolute lifetime of a session
	LoginTimeout      time.Duration // how long a multi-stage login may take
	TouchInterval     time.Duration // how often a session's last-seen time is written
	PasswordPolicy    password.Policy
	RateLimits        map[string][]ratelimit.Rate // by action; see DefaultRateLimits
}

// DefaultRateLimits are allauth's default budgets (ACCOUNT_RATE_LIMITS).
func DefaultRateLimits() map[string][]ratelimit.Rate {
	m := map[string][]ratelimit.Rate{}
	for action, spec := range map[string]string{
		"login":           "30/m/ip",
		"login_failed":    "10/m/ip,5/5m/key",
		"signup":          "20/m/ip",
		"change_password": "5/m/user",
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
	}
}

// Service runs the account flows. It is safe for concurrent use.
type Service struct {
	cfg      Config
	users    UserStore
	sessions SessionStore
	hasher   Hasher
	limiter  Limiter
	log      *slog.Logger
	now      func() time.Time
}

// New returns a Service. now may be nil for the real clock.
func New(cfg Config, users UserStore, sessions SessionStore, hasher Hasher, limiter Limiter, log *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{cfg: cfg, users: users, sessions: sessions, hasher: hasher, limiter: limiter, log: log, now: now}
}

// Config returns the rules the service runs with.
func (s *Service) Config() Config { return s.cfg }

// LoginMethod reports whether m ("email" or "username") is a login method.
func (s *Service) LoginMethod(m string) bool {
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
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}
