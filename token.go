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
