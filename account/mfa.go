package account

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/latchauth/latch"
)

// MFA is the family of second-factor flows: TOTP and recovery codes (set
// up, viewed, removed), the mfa_authenticate and mfa_trust stages of a
// login, and reauthentication by a second factor. Secrets are kept
// encrypted under keys derived from Config.MFA.Secret (itself derived from
// the master secret, so every node reads what another wrote).
type MFA struct{ *core }

// MFAConfig holds the MFA rules an operator can set.
type MFAConfig struct {
	// SupportedTypes are the authenticator types offered (allauth's
	// MFA_SUPPORTED_TYPES): latch.AuthenticatorTOTP,
	// latch.AuthenticatorRecoveryCodes, latch.AuthenticatorWebAuthn.
	SupportedTypes []string
	// TOTPIssuer names the service in authenticator apps.
	TOTPIssuer string
	// RecoveryCodes is how many recovery codes a set holds.
	RecoveryCodes int
	// MaxAttempts is how many wrong codes a pending login may take at
	// mfa_authenticate before it is dropped.
	MaxAttempts int
	// Trust offers, after mfa_authenticate in the browser, to trust the
	// browser for TrustTTL: its later logins skip the second factor.
	Trust    bool
	TrustTTL time.Duration
	// ReauthenticationTimeout is how recent an authentication must be for
	// the actions that require one (allauth: 5 minutes).
	ReauthenticationTimeout time.Duration
	// PasskeyLogin and PasskeySignup are reported by GET /config.
	PasskeyLogin, PasskeySignup bool
	// Secret is what the keys of MFA secrets at rest and of trust tokens
	// are derived from; derive it from the master secret, the same on
	// every node. Empty: a random key, for this process only.
	Secret []byte
}

// DefaultMFAConfig returns the MFA defaults documented in the README.
func DefaultMFAConfig() MFAConfig {
	return MFAConfig{
		// WebAuthn is dropped when no adapter is wired (Deps.WebAuthn).
		SupportedTypes: []string{latch.AuthenticatorTOTP, latch.AuthenticatorRecoveryCodes, latch.AuthenticatorWebAuthn},
		TOTPIssuer:     "Latch", RecoveryCodes: 10, MaxAttempts: 5,
		TrustTTL: 14 * 24 * time.Hour, ReauthenticationTimeout: 5 * time.Minute,
	}
}

// Supports reports whether authenticator type t is offered.
func (c MFAConfig) Supports(t string) bool { return slices.Contains(c.SupportedTypes, t) }

// AuthenticatorStore keeps users' authenticators.
type AuthenticatorStore interface {
	// Authenticators lists a user's authenticators, oldest first.
	Authenticators(ctx context.Context, userID int64) ([]latch.Authenticator, error)
	// AddAuthenticator stores a and sets its ID; latch.ErrConflict when
	// the user already has one of a type a user has at most one of
	// (TOTP, recovery codes).
	AddAuthenticator(ctx context.Context, a *latch.Authenticator) error
	// UpdateAuthenticator saves a's Data, Counter and LastUsed if its
	// stored counter is still counter; latch.ErrStale otherwise (another
	// use came first) or when it is gone.
	UpdateAuthenticator(ctx context.Context, a *latch.Authenticator, counter int64) error
	// DeleteAuthenticator removes one of a user's authenticators;
	// latch.ErrNotFound when the user has no such one.
	DeleteAuthenticator(ctx context.Context, userID, id int64) error
}

// mfaKeys are the keys derived from MFAConfig.Secret: one seals secrets at
// rest (AES-256-GCM), one hashes recovery codes, one signs trust tokens.
type mfaKeys struct {
	aead  cipher.AEAD
	hash  []byte
	trust []byte
}

func newMFAKeys(secret []byte) mfaKeys {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("latch mfa " + purpose))
		return m.Sum(nil)
	}
	b, err := aes.NewCipher(derive("seal"))
	if err != nil {
		panic("account: mfa cipher: " + err.Error()) // a 32-byte key cannot fail
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		panic("account: mfa cipher: " + err.Error())
	}
	return mfaKeys{aead: aead, hash: derive("recovery codes"), trust: derive("trust")}
}

// seal encrypts plain for storage, bound to purpose (the additional data),
// so that a sealed value cannot be moved to another use.
func (k mfaKeys) seal(purpose string, plain []byte) string {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plain, []byte(purpose)))
}

// open decrypts what seal made for purpose.
func (k mfaKeys) open(purpose, sealed string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.aead.NonceSize() {
		return nil, errors.New("account: malformed sealed value")
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, b[:n], b[n:], []byte(purpose))
	if err != nil {
		return nil, fmt.Errorf("account: open sealed value: %w", err)
	}
	return plain, nil
}

// Purposes of sealed values.
const (
	sealTOTP          = "totp secret"
	sealTOTPPending   = "pending totp secret"
	sealRecoveryCodes = "recovery codes"
)

// The second factors as notifications name them.
const (
	factorTOTP          = "an authenticator app (TOTP)"
	factorRecoveryCodes = "a new set of recovery codes"
	factorWebAuthn      = "a security key or passkey"
)

// totpData is the Data of a TOTP authenticator.
type totpData struct {
	Secret string `json:"secret"` // sealed
}

const (
	msgTOTPNotActivated   = "You cannot activate two-factor authentication without a verified email address."
	msgCannotGenerateCode = "You cannot generate recovery codes without two-factor authentication."
)

// AuthenticatorInfo is an authenticator as its owner sees it: never a secret.
type AuthenticatorInfo struct {
	ID       int64
	Type     string
	Created  time.Time
	LastUsed time.Time // zero: never used
	// Total and Unused count the codes of a recovery-codes authenticator.
	Total, Unused int
	// Name and Passwordless describe a WebAuthn authenticator (a passkey
	// is passwordless).
	Name         string
	Passwordless bool
}

// RecoveryCodes is a user's set of recovery codes, with the unused ones.
type RecoveryCodes struct {
	AuthenticatorInfo
	Codes []string
}

// TOTPSetup is what a user without TOTP needs to set it up: a fresh secret
// (base32) and its otpauth:// URI, kept in the caller's session until
// ActivateTOTP.
type TOTPSetup struct {
	Secret, URL string
}

// authenticatorsOf lists a user's authenticators.
func (s *MFA) authenticatorsOf(ctx context.Context, userID int64) ([]latch.Authenticator, error) {
	list, err := s.authn.Authenticators(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list authenticators: %w", err)
	}
	return list, nil
}

// find returns the authenticator of type t in list, or nil.
func find(list []latch.Authenticator, t string) *latch.Authenticator {
	for i := range list {
		if list[i].Type == t {
			return &list[i]
		}
	}
	return nil
}

// mfaTypes returns the types a user can pass a second-factor step with:
// those of its authenticators that are supported, recovery codes only
// beside another one. Empty: the user has no MFA.
func (s *MFA) mfaTypes(list []latch.Authenticator) []string {
	var types []string
	for _, a := range list {
		if a.Type != latch.AuthenticatorRecoveryCodes && s.cfg.MFA.Supports(a.Type) && !slices.Contains(types, a.Type) {
			types = append(types, a.Type)
		}
	}
	if len(types) > 0 && find(list, latch.AuthenticatorRecoveryCodes) != nil && s.cfg.MFA.Supports(latch.AuthenticatorRecoveryCodes) {
		types = append(types, latch.AuthenticatorRecoveryCodes)
	}
	slices.Sort(types)
	return types
}

// info describes an authenticator to its owner.
func (s *MFA) info(a *latch.Authenticator) AuthenticatorInfo {
	out := AuthenticatorInfo{ID: a.ID, Type: a.Type, Created: a.Created, LastUsed: a.LastUsed}
	switch a.Type {
	case latch.AuthenticatorRecoveryCodes:
		var d recoveryData
		if json.Unmarshal([]byte(a.Data), &d) == nil {
			out.Total, out.Unused = len(d.Hashes), len(d.Hashes)-len(d.Used)
		}
	case latch.AuthenticatorWebAuthn:
		var d webauthnData
		if json.Unmarshal([]byte(a.Data), &d) == nil {
			out.Name, out.Passwordless = d.Name, d.Passwordless
		}
	}
	return out
}

// Authenticators lists the caller's authenticators (no secrets).
func (s *MFA) Authenticators(ctx context.Context, st *State) ([]AuthenticatorInfo, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, err
	}
	out := make([]AuthenticatorInfo, 0, len(list))
	for i := range list {
		if s.cfg.MFA.Supports(list[i].Type) {
			out = append(out, s.info(&list[i]))
		}
	}
	return out, nil
}

// canAddAuthenticator refuses (latch.ErrConflict, as allauth) an account
// with no verified address: a second factor must not lock in an account
// whose owner cannot be reached.
func (s *MFA) canAddAuthenticator(ctx context.Context, user *latch.User) error {
	addrs, err := s.emails.EmailAddresses(ctx, user.ID)
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if a.Verified {
			return nil
		}
	}
	return latch.ErrConflict
}

// TOTP returns the caller's active TOTP authenticator, or, when there is
// none, a fresh secret to set one up with (remembered in the session for
// ActivateTOTP) and a nil authenticator. Errors: latch.ErrConflict when
// the account has no verified address, latch.ErrNotFound when TOTP is not
// offered.
func (s *MFA) TOTP(ctx context.Context, st *State) (*AuthenticatorInfo, *TOTPSetup, error) {
	if !st.Authenticated() {
		return nil, nil, latch.ErrUnauthenticated
	}
	if !s.cfg.MFA.Supports(latch.AuthenticatorTOTP) {
		return nil, nil, latch.ErrNotFound
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, nil, err
	}
	if a := find(list, latch.AuthenticatorTOTP); a != nil {
		info := s.info(a)
		return &info, nil, nil
	}
	if err := s.canAddAuthenticator(ctx, st.User); err != nil {
		return nil, nil, err
	}
	secret := newTOTPSecret()
	st.Session.State.TOTPSecret = s.mfaKeys.seal(sealTOTPPending, secret)
	if err := s.saveSession(ctx, st); err != nil {
		return nil, nil, err
	}
	account := st.User.Email
	if account == "" {
		account = st.User.Username
	}
	return nil, &TOTPSetup{Secret: totpEncoding.EncodeToString(secret), URL: totpURL(s.cfg.MFA.TOTPIssuer, account, secret)}, nil
}

// ActivateTOTP activates TOTP with the secret of the caller's last TOTP
// call, when code is right for it; the user's first authenticator also
// gets a set of recovery codes (codesMade). Requires a recent
// authentication. Errors: latch.ErrConflict (already active, no verified
// address), *latch.InputError (incorrect_code), ErrReauthenticate.
func (s *MFA) ActivateTOTP(ctx context.Context, st *State, code string) (info *AuthenticatorInfo, codesMade bool, err error) {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, false, err
	}
	if !s.cfg.MFA.Supports(latch.AuthenticatorTOTP) {
		return nil, false, latch.ErrNotFound
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, false, err
	}
	if find(list, latch.AuthenticatorTOTP) != nil {
		return nil, false, latch.ErrConflict
	}
	if err := s.canAddAuthenticator(ctx, st.User); err != nil {
		return nil, false, err
	}
	if code == "" {
		return nil, false, latch.Invalid("code", "required", msgRequired)
	}
	incorrect := latch.Invalid("code", "incorrect_code", msgIncorrectCode)
	if st.Session.State.TOTPSecret == "" {
		return nil, false, incorrect
	}
	secret, err := s.mfaKeys.open(sealTOTPPending, st.Session.State.TOTPSecret)
	if err != nil {
		return nil, false, incorrect
	}
	step, ok := totpCheck(secret, code, s.now(), 0)
	if !ok {
		return nil, false, incorrect
	}
	now := s.now()
	data, _ := json.Marshal(totpData{Secret: s.mfaKeys.seal(sealTOTP, secret)})
	// The activating code counts as used: it cannot log in afterwards.
	a := &latch.Authenticator{UserID: st.User.ID, Type: latch.AuthenticatorTOTP, Data: string(data), Counter: step, Created: now, LastUsed: now}
	makeCodes := find(list, latch.AuthenticatorRecoveryCodes) == nil && s.cfg.MFA.Supports(latch.AuthenticatorRecoveryCodes)
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.authn.AddAuthenticator(ctx, a); err != nil {
			return fmt.Errorf("add totp: %w", err)
		}
		if makeCodes {
			if _, err := s.addRecoveryCodes(ctx, st.User.ID); err != nil {
				return err
			}
		}
		st.Session.State.TOTPSecret = ""
		if err := s.saveSession(ctx, st); err != nil {
			return err
		}
		return s.record(ctx, st, EventMFAEnabled, nil, "type", latch.AuthenticatorTOTP)
	})
	if err != nil {
		return nil, false, err
	}
	s.notify(ctx, st, nil, notice{kind: noticeMFAEnabled, factor: factorTOTP})
	out := s.info(a)
	return &out, makeCodes, nil
}

// addRecoveryCodes stores a new set of recovery codes for a user (inside
// the caller's unit of work) and returns it.
func (s *MFA) addRecoveryCodes(ctx context.Context, userID int64) (*latch.Authenticator, error) {
	codes := newRecoveryCodes(s.cfg.MFA.RecoveryCodes)
	plain, _ := json.Marshal(codes)
	d := recoveryData{Sealed: s.mfaKeys.seal(sealRecoveryCodes, plain)}
	for _, c := range codes {
		d.Hashes = append(d.Hashes, recoveryHash(s.mfaKeys.hash, c))
	}
	data, _ := json.Marshal(d)
	a := &latch.Authenticator{UserID: userID, Type: latch.AuthenticatorRecoveryCodes, Data: string(data), Created: s.now()}
	if err := s.authn.AddAuthenticator(ctx, a); err != nil {
		return nil, fmt.Errorf("add recovery codes: %w", err)
	}
	return a, nil
}

// DeactivateTOTP removes the caller's TOTP authenticator, and the recovery
// codes with it when no other second factor remains. Requires a recent
// authentication. Errors: latch.ErrNotFound (none active),
// ErrReauthenticate.
func (s *MFA) DeactivateTOTP(ctx context.Context, st *State) error {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return err
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return err
	}
	a := find(list, latch.AuthenticatorTOTP)
	if a == nil {
		return latch.ErrNotFound
	}
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.authn.DeleteAuthenticator(ctx, st.User.ID, a.ID); err != nil {
			return fmt.Errorf("delete totp: %w", err)
		}
		rest := slices.DeleteFunc(slices.Clone(list), func(x latch.Authenticator) bool { return x.ID == a.ID })
		if rc := find(rest, latch.AuthenticatorRecoveryCodes); rc != nil && len(s.mfaTypes(rest)) == 0 {
			if err := s.authn.DeleteAuthenticator(ctx, st.User.ID, rc.ID); err != nil {
				return fmt.Errorf("delete recovery codes: %w", err)
			}
		}
		return s.record(ctx, st, EventMFADisabled, nil, "type", latch.AuthenticatorTOTP)
	})
	if err == nil {
		s.notify(ctx, st, nil, notice{kind: noticeMFADisabled, factor: factorTOTP})
	}
	return err
}

// RecoveryCodes returns the caller's recovery codes with the unused ones.
// Requires a recent authentication. Errors: latch.ErrNotFound (none),
// ErrReauthenticate.
func (s *MFA) RecoveryCodes(ctx context.Context, st *State) (*RecoveryCodes, error) {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, err
	}
	if !s.cfg.MFA.Supports(latch.AuthenticatorRecoveryCodes) {
		return nil, latch.ErrNotFound
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, err
	}
	a := find(list, latch.AuthenticatorRecoveryCodes)
	if a == nil {
		return nil, latch.ErrNotFound
	}
	return s.openRecoveryCodes(a)
}

func (s *MFA) openRecoveryCodes(a *latch.Authenticator) (*RecoveryCodes, error) {
	var d recoveryData
	if err := json.Unmarshal([]byte(a.Data), &d); err != nil {
		return nil, fmt.Errorf("recovery codes %d: %w", a.ID, err)
	}
	plain, err := s.mfaKeys.open(sealRecoveryCodes, d.Sealed)
	if err != nil {
		return nil, fmt.Errorf("recovery codes %d: %w", a.ID, err)
	}
	var codes []string
	if err := json.Unmarshal(plain, &codes); err != nil {
		return nil, fmt.Errorf("recovery codes %d: %w", a.ID, err)
	}
	out := &RecoveryCodes{AuthenticatorInfo: s.info(a)}
	for i, c := range codes {
		if d.unused(i) {
			out.Codes = append(out.Codes, c)
		}
	}
	return out, nil
}

// RegenerateRecoveryCodes replaces the caller's recovery codes with a new
// set; the old ones stop working. Requires a recent authentication and
// another second factor. Errors: *latch.InputError
// (cannot_generate_recovery_codes), ErrReauthenticate.
func (s *MFA) RegenerateRecoveryCodes(ctx context.Context, st *State) (*RecoveryCodes, error) {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, err
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, err
	}
	if !s.cfg.MFA.Supports(latch.AuthenticatorRecoveryCodes) || len(s.mfaTypes(list)) == 0 {
		return nil, latch.Invalid("", "cannot_generate_recovery_codes", msgCannotGenerateCode)
	}
	var a *latch.Authenticator
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if old := find(list, latch.AuthenticatorRecoveryCodes); old != nil {
			if err := s.authn.DeleteAuthenticator(ctx, st.User.ID, old.ID); err != nil {
				return fmt.Errorf("delete recovery codes: %w", err)
			}
		}
		var err error
		if a, err = s.addRecoveryCodes(ctx, st.User.ID); err != nil {
			return err
		}
		return s.record(ctx, st, EventMFAEnabled, nil, "type", latch.AuthenticatorRecoveryCodes)
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, st, nil, notice{kind: noticeMFAEnabled, factor: factorRecoveryCodes})
	return s.openRecoveryCodes(a)
}

// checkCode checks a TOTP or recovery code of user's and spends it: the
// TOTP step is recorded (a code works once), the recovery code marked
// used. It returns the type of the authenticator the code belongs to, or
// "" when it is wrong. Of concurrent uses of one code, one succeeds.
func (s *MFA) checkCode(ctx context.Context, user *latch.User, code string) (string, error) {
	list, err := s.authenticatorsOf(ctx, user.ID)
	if err != nil {
		return "", err
	}
	now := s.now()
	if a := find(list, latch.AuthenticatorTOTP); a != nil && s.cfg.MFA.Supports(a.Type) {
		var d totpData
		if err := json.Unmarshal([]byte(a.Data), &d); err != nil {
			return "", fmt.Errorf("totp %d: %w", a.ID, err)
		}
		secret, err := s.mfaKeys.open(sealTOTP, d.Secret)
		if err != nil {
			return "", fmt.Errorf("totp %d: %w", a.ID, err)
		}
		if step, ok := totpCheck(secret, code, now, a.Counter); ok {
			prev := a.Counter
			a.Counter, a.LastUsed = step, now
			if err := s.authn.UpdateAuthenticator(ctx, a, prev); errors.Is(err, latch.ErrStale) {
				return "", nil // a concurrent use of this code (or a later one) came first
			} else if err != nil {
				return "", fmt.Errorf("use totp: %w", err)
			}
			return a.Type, nil
		}
	}
	if a := find(list, latch.AuthenticatorRecoveryCodes); a != nil && s.cfg.MFA.Supports(a.Type) && len(s.mfaTypes(list)) > 0 {
		var d recoveryData
		if err := json.Unmarshal([]byte(a.Data), &d); err != nil {
			return "", fmt.Errorf("recovery codes %d: %w", a.ID, err)
		}
		if i := d.match(s.mfaKeys.hash, code); i >= 0 {
			d.Used = append(d.Used, i)
			data, _ := json.Marshal(d)
			prev := a.Counter
			a.Data, a.Counter, a.LastUsed = string(data), prev+1, now
			if err := s.authn.UpdateAuthenticator(ctx, a, prev); errors.Is(err, latch.ErrStale) {
				return "", nil
			} else if err != nil {
				return "", fmt.Errorf("use recovery code: %w", err)
			}
			return a.Type, nil
		}
	}
	return "", nil
}

// needMFA: a user with a second factor must pass it, unless this login
// already did (or began with a passkey), or the browser is trusted for the
// user (trust.go). A signup's account, created in its unit of work, has no
// second factor: its authenticators are not read.
func needMFA(c *core, ctx context.Context, st *State, p *latch.PendingLogin, user *latch.User, signup bool) (bool, error) {
	s := &MFA{c}
	if signup || slices.Contains(p.Done, string(StageMFAAuthenticate)) {
		return false, nil
	}
	if len(p.Methods) > 0 && p.Methods[0].Method == "mfa" {
		// A passkey login: possession and user verification at once.
		return false, nil
	}
	list, err := s.authenticatorsOf(ctx, user.ID)
	if err != nil {
		return false, err
	}
	if len(s.mfaTypes(list)) == 0 {
		return false, nil
	}
	return !s.trusted(st, user, list), nil
}

// beginMFA puts the login at mfa_authenticate.
func beginMFA(s *core, ctx context.Context, st *State, p *latch.PendingLogin, _ *latch.User, _ bool) (*State, error) {
	p.Attempts = 0
	st, err := s.holdLogin(ctx, st, p, StageMFAAuthenticate)
	if err != nil {
		return nil, err
	}
	return st, s.saveSession(ctx, st)
}

// PendingTypes returns the authenticator types the caller's pending login
// can pass mfa_authenticate with (for its flow), or nil when it is not
// waiting there.
func (s *MFA) PendingTypes(ctx context.Context, st *State) ([]string, error) {
	p := s.pendingStage(st, StageMFAAuthenticate)
	if p == nil {
		return nil, nil
	}
	list, err := s.authenticatorsOf(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return s.mfaTypes(list), nil
}

// Authenticate passes the mfa_authenticate stage of the caller's login with
// a TOTP or recovery code; the login then finishes (or waits at mfa_trust).
// After MaxAttempts wrong codes the pending login is dropped. Errors:
// latch.ErrConflict (no login waiting there), *latch.InputError
// (incorrect_code), *latch.RateLimitError.
func (s *MFA) Authenticate(ctx context.Context, st *State, code string) (*State, error) {
	p := s.pendingStage(st, StageMFAAuthenticate)
	if p == nil || st.Authenticated() {
		return nil, latch.ErrConflict
	}
	if code == "" {
		return nil, latch.Invalid("code", "required", msgRequired)
	}
	if err := s.budget.limit(ctx, "mfa_authenticate", st, "user:"+fmt.Sprint(p.UserID)); err != nil {
		return nil, err
	}
	// The attempt is counted (a conditional save of the session) before
	// the code is checked: concurrent guesses cannot exceed the limit.
	p.Attempts++
	if err := s.saveSession(ctx, st); err != nil {
		return nil, err
	}
	user, err := s.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("pending login user: %w", err)
	}
	typ, err := s.checkCode(ctx, user, code)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		s.event(ctx, &State{Client: st.Client}, EventLoginFailed, user, "reason", ReasonWrongCode, "method", "mfa")
		if p.Attempts >= s.cfg.MFA.MaxAttempts {
			if err := s.dropPending(ctx, st); err != nil {
				return nil, err
			}
		}
		return nil, latch.Invalid("code", "incorrect_code", msgIncorrectCode)
	}
	return s.passStage(ctx, st, StageMFAAuthenticate, &latch.AuthMethod{Method: "mfa", Type: typ, At: unixFloat(s.now())})
}

// Reauthenticate confirms the caller's identity with a TOTP or recovery
// code, for the actions that require a recent authentication. Errors:
// latch.ErrUnauthenticated, latch.ErrConflict (no second factor),
// *latch.InputError (incorrect_code), *latch.RateLimitError.
func (s *MFA) Reauthenticate(ctx context.Context, st *State, code string) (*State, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if code == "" {
		return nil, latch.Invalid("code", "required", msgRequired)
	}
	if err := s.budget.limit(ctx, "mfa_authenticate", st, "user:"+fmt.Sprint(st.User.ID)); err != nil {
		return nil, err
	}
	typ, err := s.checkCode(ctx, st.User, code)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		return nil, latch.Invalid("code", "incorrect_code", msgIncorrectCode)
	}
	return st, reauthenticated(ctx, s.core, st, latch.AuthMethod{Method: "mfa", Type: typ})
}
