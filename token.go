package latch

import "time"

// Token kinds.
const (
	TokenVerifyEmail   = "verify_email"
	TokenPasswordReset = "password_reset"
)

// Token is a single-use secret sent by email as part of a link (verify an
// address, reset a password). Only its hash is stored; it is bound to one
// user and one address, and it expires.
type Token struct {
	ID      int64
	Kind    string
	Hash    []byte
	UserID  int64
	Email   string
	Created time.Time
	Expires time.Time
}

// RefreshToken is one link of a session's refresh-token chain (JWT
// strategy). UsedAt is zero until the token is exchanged for its successor.
type RefreshToken struct {
	ID        int64
	Hash      []byte
	SessionID int64
	Created   time.Time
	Expires   time.Time
	UsedAt    time.Time
}

// SigningKey is a stored JWT signing key. Sealed is the private key,
// encrypted with the master secret. A zero RetireAt means the key is active.
type SigningKey struct {
	ID       string
	Alg      string
	Sealed   []byte
	Created  time.Time
	RetireAt time.Time
}
