package latch

import "time"

// Authenticator types, as allauth names them.
const (
	AuthenticatorTOTP          = "totp"
	AuthenticatorRecoveryCodes = "recovery_codes"
	AuthenticatorWebAuthn      = "webauthn"
)

// Authenticator is a second factor of a user: a TOTP secret, a set of
// recovery codes or (later) a WebAuthn credential. A user has at most one
// TOTP authenticator and one set of recovery codes.
type Authenticator struct {
	ID     int64
	UserID int64
	Type   string // one of the Authenticator constants
	// Data is the authenticator's state as the core encodes it (JSON);
	// its secrets are encrypted by the core, so the store sees none.
	Data string
	// Counter guards concurrent uses: for TOTP the last time step
	// accepted (a code is accepted once), for recovery codes a version.
	// An update succeeds only against the counter it read.
	Counter  int64
	Created  time.Time
	LastUsed time.Time // zero until first used
}
