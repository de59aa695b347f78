package account

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/latchauth/latch"
)

// SecurityKeys is the family of WebAuthn flows: security keys and
// passkeys as second factors. It shares the MFA family's helpers.
type SecurityKeys struct{ *MFA }

// WebAuthn security keys and passkeys as second factors: the core keeps
// the credentials (authenticators of type webauthn) and the ceremony state
// (in the caller's session, for one attempt), and a WebAuthn adapter
// (package webauthn) builds the options and verifies the browser's
// responses.

// ErrWebAuthnRefused is what a WebAuthn adapter wraps a browser response
// in when it is malformed or does not verify (wrong origin, relying party,
// challenge or signature, user not present, counter not increased).
var ErrWebAuthnRefused = errors.New("webauthn response refused")

// WebAuthnUser is the user a WebAuthn ceremony is for: its user handle
// (never personal data), names for the authenticator to show, and its
// stored credentials (as the adapter encoded them).
type WebAuthnUser struct {
	Handle            []byte
	Name, DisplayName string
	Credentials       [][]byte
}

// WebAuthn runs WebAuthn ceremonies (see package webauthn). The Begin
// methods return the options for the browser and the state to check its
// response against; Finish errors wrap ErrWebAuthnRefused for a response
// that does not verify.
type WebAuthn interface {
	BeginRegistration(u WebAuthnUser, passwordless bool) (options, state []byte, err error)
	FinishRegistration(u WebAuthnUser, state, response []byte) (id, credential []byte, err error)
	BeginLogin(u WebAuthnUser) (options, state []byte, err error)
	FinishLogin(u WebAuthnUser, state, response []byte) (id, credential []byte, err error)
	// BeginDiscoverableLogin and FinishDiscoverableLogin are a passkey
	// login: the user is found from the credential's user handle.
	BeginDiscoverableLogin() (options, state []byte, err error)
	FinishDiscoverableLogin(state, response []byte, lookup func(handle []byte) (WebAuthnUser, error)) (handle, id, credential []byte, err error)
}

// webauthnData is the Data of a WebAuthn authenticator.
type webauthnData struct {
	Name         string          `json:"name"`
	CredentialID string          `json:"credential_id"` // base64url
	Credential   json.RawMessage `json:"credential"`    // the adapter's encoding
	Passwordless bool            `json:"passwordless,omitempty"`
}

// webauthnCeremony is a WebAuthn ceremony in progress, kept in the session.
type webauthnCeremony struct {
	Purpose      string          `json:"purpose"` // ceremonyRegister or ceremonyAuthenticate
	State        json.RawMessage `json:"state"`
	Passwordless bool            `json:"passwordless,omitempty"`
}

const (
	ceremonyRegister     = "register"
	ceremonyAuthenticate = "authenticate"
	// ceremonyReauthenticate and ceremonyLogin are assertions for a
	// reauthentication and a passkey login.
	ceremonyReauthenticate = "reauthenticate"
	ceremonyLogin          = "login"
	maxAuthenticatorName   = 100
	// flowPasskeyLogin is allauth's flow of a passkey login.
	flowPasskeyLogin   = "mfa_login_webauthn"
	msgWebAuthnRefused = "Incorrect code."
	defaultKeyName     = "Security key"
)

// webauthnUser returns user as a WebAuthn ceremony sees it, with the
// credentials among list.
func webauthnUser(user *latch.User, list []latch.Authenticator) (WebAuthnUser, error) {
	name := user.Email
	if name == "" {
		name = user.Username
	}
	u := WebAuthnUser{Handle: []byte(user.PublicID), Name: name, DisplayName: name}
	for _, a := range list {
		if a.Type != latch.AuthenticatorWebAuthn {
			continue
		}
		var d webauthnData
		if err := json.Unmarshal([]byte(a.Data), &d); err != nil {
			return u, fmt.Errorf("webauthn %d: %w", a.ID, err)
		}
		u.Credentials = append(u.Credentials, d.Credential)
	}
	return u, nil
}

// takeCeremony returns and forgets the caller's ceremony in progress for
// purpose: a challenge is good for one answer, right or wrong.
func (s *SecurityKeys) takeCeremony(ctx context.Context, st *State, purpose string) (*webauthnCeremony, error) {
	raw := st.Session.State.WebAuthn
	if raw == "" {
		return nil, latch.Invalid("credential", "incorrect_code", msgWebAuthnRefused)
	}
	st.Session.State.WebAuthn = ""
	if err := s.saveSession(ctx, st); err != nil {
		return nil, err // of concurrent answers to one challenge, one gets past here
	}
	var c webauthnCeremony
	if err := json.Unmarshal([]byte(raw), &c); err != nil || c.Purpose != purpose {
		return nil, latch.Invalid("credential", "incorrect_code", msgWebAuthnRefused)
	}
	return &c, nil
}

// putCeremony keeps a ceremony in the caller's session.
func (s *SecurityKeys) putCeremony(ctx context.Context, st *State, c webauthnCeremony) error {
	b, _ := json.Marshal(c)
	st.Session.State.WebAuthn = string(b)
	return s.saveSession(ctx, st)
}

// refusedOr turns an adapter's refusal into incorrect_code; other errors
// pass.
func refusedOr(err error) error {
	if errors.Is(err, ErrWebAuthnRefused) {
		return latch.Invalid("credential", "incorrect_code", msgWebAuthnRefused)
	}
	return err
}

// WebAuthnCreationOptions starts adding a security key (or, passwordless,
// a passkey) to the caller's account: the options for the browser's
// navigator.credentials.create. Requires a recent authentication and a
// verified address. Errors: latch.ErrNotFound (WebAuthn not offered),
// latch.ErrConflict, latch.ErrReauthenticationRequired.
func (s *SecurityKeys) WebAuthnCreationOptions(ctx context.Context, st *State, passwordless bool) ([]byte, error) {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, err
	}
	if !s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		return nil, latch.ErrNotFound
	}
	if err := s.canAddAuthenticator(ctx, st.User); err != nil {
		return nil, err
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, err
	}
	u, err := webauthnUser(st.User, list)
	if err != nil {
		return nil, err
	}
	options, state, err := s.webauthn.BeginRegistration(u, passwordless)
	if err != nil {
		return nil, err
	}
	return options, s.putCeremony(ctx, st, webauthnCeremony{Purpose: ceremonyRegister, State: state, Passwordless: passwordless})
}

// AddWebAuthn adds the credential the browser created for the caller's
// last creation options, under name; the user's first second factor also
// gets recovery codes (codesMade). Errors: *latch.InputError
// (incorrect_code: no ceremony, or the response does not verify),
// latch.ErrConflict, latch.ErrReauthenticationRequired.
func (s *SecurityKeys) AddWebAuthn(ctx context.Context, st *State, name string, credential []byte) (info *AuthenticatorInfo, codesMade bool, err error) {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, false, err
	}
	if !s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		return nil, false, latch.ErrNotFound
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = defaultKeyName
	}
	if len(name) > maxAuthenticatorName {
		return nil, false, latch.Invalid("name", "max_length", fmt.Sprintf("Ensure this value has at most %d characters.", maxAuthenticatorName))
	}
	if len(credential) == 0 {
		return nil, false, latch.Invalid("credential", "required", msgRequired)
	}
	c, err := s.takeCeremony(ctx, st, ceremonyRegister)
	if err != nil {
		return nil, false, err
	}
	if err := s.canAddAuthenticator(ctx, st.User); err != nil {
		return nil, false, err
	}
	a, makeCodes, err := s.addCredential(ctx, st, st.User, name, c, credential)
	if err != nil {
		return nil, false, err
	}
	out := s.info(a)
	return &out, makeCodes, nil
}

// addCredential verifies the browser's response to ceremony c and stores
// the new credential of user under name; the user's first second factor
// also gets recovery codes (codesMade).
func (s *SecurityKeys) addCredential(ctx context.Context, st *State, user *latch.User, name string, c *webauthnCeremony, credential []byte) (_ *latch.Authenticator, codesMade bool, _ error) {
	list, err := s.authenticatorsOf(ctx, user.ID)
	if err != nil {
		return nil, false, err
	}
	u, err := webauthnUser(user, list)
	if err != nil {
		return nil, false, err
	}
	id, stored, err := s.webauthn.FinishRegistration(u, c.State, credential)
	if err != nil {
		return nil, false, refusedOr(err)
	}
	now := s.now()
	data, _ := json.Marshal(webauthnData{Name: name, CredentialID: base64.RawURLEncoding.EncodeToString(id), Credential: stored, Passwordless: c.Passwordless})
	a := &latch.Authenticator{UserID: user.ID, Type: latch.AuthenticatorWebAuthn, Data: string(data), Created: now}
	makeCodes := len(s.mfaTypes(list)) == 0 && find(list, latch.AuthenticatorRecoveryCodes) == nil && s.cfg.MFA.Supports(latch.AuthenticatorRecoveryCodes)
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.authn.AddAuthenticator(ctx, a); err != nil {
			return fmt.Errorf("add webauthn: %w", err)
		}
		if makeCodes {
			if _, err := s.addRecoveryCodes(ctx, user.ID); err != nil {
				return err
			}
		}
		return s.record(ctx, st, EventMFAEnabled, user, "type", latch.AuthenticatorWebAuthn)
	})
	if err != nil {
		return nil, false, err
	}
	s.notify(ctx, st, user, notice{kind: noticeMFAEnabled, factor: factorWebAuthn})
	return a, makeCodes, nil
}

// webauthnOf returns the caller's WebAuthn authenticator id, or
// latch.ErrNotFound.
func webauthnOf(list []latch.Authenticator, id int64) (*latch.Authenticator, error) {
	for i := range list {
		if list[i].ID == id && list[i].Type == latch.AuthenticatorWebAuthn {
			return &list[i], nil
		}
	}
	return nil, latch.ErrNotFound
}

// RenameWebAuthn renames one of the caller's WebAuthn authenticators.
// Errors: latch.ErrNotFound, *latch.InputError,
// latch.ErrReauthenticationRequired.
func (s *SecurityKeys) RenameWebAuthn(ctx context.Context, st *State, id int64, name string) (*AuthenticatorInfo, error) {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, latch.Invalid("name", "required", msgRequired)
	case len(name) > maxAuthenticatorName:
		return nil, latch.Invalid("name", "max_length", fmt.Sprintf("Ensure this value has at most %d characters.", maxAuthenticatorName))
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, err
	}
	a, err := webauthnOf(list, id)
	if err != nil {
		return nil, err
	}
	var d webauthnData
	if err := json.Unmarshal([]byte(a.Data), &d); err != nil {
		return nil, fmt.Errorf("webauthn %d: %w", a.ID, err)
	}
	d.Name = name
	data, _ := json.Marshal(d)
	prev := a.Counter
	a.Data, a.Counter = string(data), prev+1
	if err := s.authn.UpdateAuthenticator(ctx, a, prev); err != nil {
		return nil, fmt.Errorf("rename webauthn: %w", err)
	}
	out := s.info(a)
	return &out, nil
}

// DeleteWebAuthn removes some of the caller's WebAuthn authenticators, and
// the recovery codes with them when no other second factor remains.
// Errors: latch.ErrNotFound (one is not the caller's), *latch.InputError,
// latch.ErrReauthenticationRequired.
func (s *SecurityKeys) DeleteWebAuthn(ctx context.Context, st *State, ids []int64) error {
	if err := s.RequireRecentAuthentication(st); err != nil {
		return err
	}
	if len(ids) == 0 {
		return latch.Invalid("authenticators", "required", msgRequired)
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := webauthnOf(list, id); err != nil {
			return latch.Invalid("authenticators", "invalid_choice", fmt.Sprintf(msgInvalidChoice, id))
		}
	}
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			if err := s.authn.DeleteAuthenticator(ctx, st.User.ID, id); err != nil && !errors.Is(err, latch.ErrNotFound) {
				return fmt.Errorf("delete webauthn: %w", err)
			}
		}
		rest := slices.DeleteFunc(slices.Clone(list), func(a latch.Authenticator) bool { return slices.Contains(ids, a.ID) })
		if rc := find(rest, latch.AuthenticatorRecoveryCodes); rc != nil && len(s.mfaTypes(rest)) == 0 {
			if err := s.authn.DeleteAuthenticator(ctx, st.User.ID, rc.ID); err != nil {
				return fmt.Errorf("delete recovery codes: %w", err)
			}
		}
		return s.record(ctx, st, EventMFADisabled, nil, "type", latch.AuthenticatorWebAuthn)
	})
	if err == nil {
		s.notify(ctx, st, nil, notice{kind: noticeMFADisabled, factor: factorWebAuthn})
	}
	return err
}

// WebAuthnRequestOptions starts passing the caller's pending
// mfa_authenticate stage with a security key or passkey: the options for
// navigator.credentials.get. Errors: latch.ErrConflict (no login waiting
// there, or the user has no WebAuthn credential).
func (s *SecurityKeys) WebAuthnRequestOptions(ctx context.Context, st *State) ([]byte, error) {
	p := s.pendingStage(st, StageMFAAuthenticate)
	if p == nil || st.Authenticated() || !s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		return nil, latch.ErrConflict
	}
	user, err := s.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("pending login user: %w", err)
	}
	list, err := s.authenticatorsOf(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	u, err := webauthnUser(user, list)
	if err != nil {
		return nil, err
	}
	if len(u.Credentials) == 0 {
		return nil, latch.ErrConflict
	}
	options, state, err := s.webauthn.BeginLogin(u)
	if err != nil {
		return nil, err
	}
	return options, s.putCeremony(ctx, st, webauthnCeremony{Purpose: ceremonyAuthenticate, State: state})
}

// AuthenticateWebAuthn passes the caller's pending mfa_authenticate stage
// with the browser's assertion for the last request options. A wrong one
// counts as a wrong code. Errors: latch.ErrConflict, *latch.InputError
// (incorrect_code), *latch.RateLimitError.
func (s *SecurityKeys) AuthenticateWebAuthn(ctx context.Context, st *State, credential []byte) (*State, error) {
	p := s.pendingStage(st, StageMFAAuthenticate)
	if p == nil || st.Authenticated() {
		return nil, latch.ErrConflict
	}
	if len(credential) == 0 {
		return nil, latch.Invalid("credential", "required", msgRequired)
	}
	if err := s.budget.limit(ctx, "mfa_authenticate", st, "user:"+fmt.Sprint(p.UserID)); err != nil {
		return nil, err
	}
	p.Attempts++
	c, err := s.takeCeremony(ctx, st, ceremonyAuthenticate)
	if err != nil {
		return nil, err
	}
	user, err := s.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("pending login user: %w", err)
	}
	if err := s.useWebAuthn(ctx, user, c.State, credential); err != nil {
		var in *latch.InputError
		if errors.As(err, &in) {
			s.event(ctx, &State{Client: st.Client}, EventLoginFailed, user, "reason", ReasonWrongCode, "method", "mfa")
			if p.Attempts >= s.cfg.MFA.MaxAttempts {
				if err := s.dropPending(ctx, st); err != nil {
					return nil, err
				}
			}
		}
		return nil, err
	}
	return s.passStage(ctx, st, StageMFAAuthenticate, &latch.AuthMethod{Method: "mfa", Type: latch.AuthenticatorWebAuthn, At: unixFloat(s.now())})
}

// useWebAuthn verifies an assertion by one of user's credentials and
// stores the credential's new signature counter (a compare-and-swap: of
// two uses racing, one wins).
func (s *SecurityKeys) useWebAuthn(ctx context.Context, user *latch.User, state, response []byte) error {
	list, err := s.authenticatorsOf(ctx, user.ID)
	if err != nil {
		return err
	}
	u, err := webauthnUser(user, list)
	if err != nil {
		return err
	}
	id, stored, err := s.webauthn.FinishLogin(u, state, response)
	if err != nil {
		return refusedOr(err)
	}
	_, err = s.storeUse(ctx, list, id, stored)
	return err
}

// storeUse stores the new form (signature counter) of the credential id
// among list, just used, and returns its authenticator: a compare-and-swap,
// so of two uses racing one wins (incorrect_code for the other).
func (s *SecurityKeys) storeUse(ctx context.Context, list []latch.Authenticator, id, stored []byte) (*webauthnData, error) {
	for i := range list {
		a := &list[i]
		if a.Type != latch.AuthenticatorWebAuthn {
			continue
		}
		var d webauthnData
		if err := json.Unmarshal([]byte(a.Data), &d); err != nil {
			return nil, fmt.Errorf("webauthn %d: %w", a.ID, err)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(d.CredentialID); err != nil || !bytes.Equal(raw, id) {
			continue
		}
		d.Credential = stored
		data, _ := json.Marshal(d)
		prev := a.Counter
		a.Data, a.Counter, a.LastUsed = string(data), prev+1, s.now()
		if err := s.authn.UpdateAuthenticator(ctx, a, prev); errors.Is(err, latch.ErrStale) {
			return nil, latch.Invalid("credential", "incorrect_code", msgWebAuthnRefused)
		} else if err != nil {
			return nil, fmt.Errorf("use webauthn: %w", err)
		}
		return &d, nil
	}
	return nil, latch.Invalid("credential", "incorrect_code", msgWebAuthnRefused)
}

// WebAuthnReauthenticationOptions starts the caller's reauthentication
// with one of its security keys or passkeys: the request options. Errors:
// latch.ErrUnauthenticated, latch.ErrConflict (no WebAuthn credential).
func (s *SecurityKeys) WebAuthnReauthenticationOptions(ctx context.Context, st *State) ([]byte, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if !s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		return nil, latch.ErrConflict
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, err
	}
	u, err := webauthnUser(st.User, list)
	if err != nil {
		return nil, err
	}
	if len(u.Credentials) == 0 {
		return nil, latch.ErrConflict
	}
	options, state, err := s.webauthn.BeginLogin(u)
	if err != nil {
		return nil, err
	}
	return options, s.putCeremony(ctx, st, webauthnCeremony{Purpose: ceremonyReauthenticate, State: state})
}

// ReauthenticateWebAuthn renews the caller's authentication with the
// browser's assertion for the last reauthentication options. Errors:
// latch.ErrUnauthenticated, *latch.InputError (incorrect_code),
// *latch.RateLimitError.
func (s *SecurityKeys) ReauthenticateWebAuthn(ctx context.Context, st *State, credential []byte) (*State, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if len(credential) == 0 {
		return nil, latch.Invalid("credential", "required", msgRequired)
	}
	if err := s.budget.limit(ctx, "mfa_authenticate", st, "user:"+fmt.Sprint(st.User.ID)); err != nil {
		return nil, err
	}
	c, err := s.takeCeremony(ctx, st, ceremonyReauthenticate)
	if err != nil {
		return nil, err
	}
	if err := s.useWebAuthn(ctx, st.User, c.State, credential); err != nil {
		return nil, err
	}
	return st, reauthenticated(ctx, s.core, st, latch.AuthMethod{Method: "mfa", Type: latch.AuthenticatorWebAuthn})
}

// PasskeyLoginOptions starts a passkey login (Config.MFA.PasskeyLogin):
// the request options for any discoverable credential, the challenge kept
// in the caller's session (given one if it has none). Errors:
// latch.ErrNotFound (passkey login off), latch.ErrConflict (logged in).
func (s *SecurityKeys) PasskeyLoginOptions(ctx context.Context, st *State) (*State, []byte, error) {
	if !s.cfg.MFA.PasskeyLogin || !s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		return nil, nil, latch.ErrNotFound
	}
	if st.Authenticated() {
		return nil, nil, latch.ErrConflict
	}
	options, state, err := s.webauthn.BeginDiscoverableLogin()
	if err != nil {
		return nil, nil, err
	}
	st, err = s.ensureSession(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	return st, options, s.putCeremony(ctx, st, webauthnCeremony{Purpose: ceremonyLogin, State: state})
}

// PasskeyLogin logs in with a passkey: the assertion of a passwordless
// credential (one added with user verification required) for the last
// passkey login options. It counts as both factors, so mfa_authenticate is
// not asked; other stages (verify_email) still are. Errors:
// latch.ErrNotFound (off), latch.ErrConflict, *latch.InputError
// (incorrect_code), *latch.RateLimitError.
func (s *SecurityKeys) PasskeyLogin(ctx context.Context, st *State, credential []byte) (*State, error) {
	if !s.cfg.MFA.PasskeyLogin || !s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		return nil, latch.ErrNotFound
	}
	if st.Authenticated() {
		return nil, latch.ErrConflict
	}
	if len(credential) == 0 {
		return nil, latch.Invalid("credential", "required", msgRequired)
	}
	if err := s.budget.limit(ctx, "login", st, ""); err != nil {
		return nil, err
	}
	if st.Session == nil {
		return nil, latch.Invalid("credential", "incorrect_code", msgWebAuthnRefused)
	}
	c, err := s.takeCeremony(ctx, st, ceremonyLogin)
	if err != nil {
		return nil, err
	}
	var user *latch.User
	var list []latch.Authenticator
	lookup := func(handle []byte) (WebAuthnUser, error) {
		u, err := s.lister.UserByPublicID(ctx, string(handle))
		if err != nil {
			return WebAuthnUser{}, fmt.Errorf("passkey user: %w", err)
		}
		if list, err = s.authenticatorsOf(ctx, u.ID); err != nil {
			return WebAuthnUser{}, err
		}
		user = u
		return webauthnUser(u, list)
	}
	_, id, stored, err := s.webauthn.FinishDiscoverableLogin(c.State, credential, lookup)
	if err != nil {
		return nil, refusedOr(err)
	}
	d, err := s.storeUse(ctx, list, id, stored)
	if err != nil {
		return nil, err
	}
	if !d.Passwordless || !user.IsActive {
		return nil, latch.Invalid("credential", "incorrect_code", msgWebAuthnRefused)
	}
	return s.beginLogin(ctx, st, user, latch.AuthMethod{Method: "mfa", Type: latch.AuthenticatorWebAuthn, At: unixFloat(s.now())}, false)
}

// passkeyPlaceholder stands in for the password a passkey signup does not
// have while its other fields are checked; it is never stored.
const passkeyPlaceholder = "passkey signup: the account has no password 9f4c2e7a"

// StageMFASignupWebAuthn waits, in a passkey signup, for the passkey the
// account will log in with (after verify_email).
const StageMFASignupWebAuthn Stage = "mfa_signup_webauthn"

// needPasskey: a login that began as a passkey (its first method is a
// WebAuthn one) must have a credential to show for it; a passkey signup
// has none until this stage.
func needPasskey(c *core, ctx context.Context, _ *State, p *latch.PendingLogin, user *latch.User, signup bool) (bool, error) {
	if len(p.Methods) == 0 || p.Methods[0].Method != "mfa" || p.Methods[0].Type != latch.AuthenticatorWebAuthn {
		return false, nil
	}
	if signup {
		return true, nil // the account is new: it has no passkey yet
	}
	list, err := (&MFA{c}).authenticatorsOf(ctx, user.ID)
	if err != nil {
		return false, err
	}
	return find(list, latch.AuthenticatorWebAuthn) == nil, nil
}

// beginPasskey puts the login at mfa_signup_webauthn.
func beginPasskey(s *core, ctx context.Context, st *State, p *latch.PendingLogin, _ *latch.User, _ bool) (*State, error) {
	st, err := s.holdLogin(ctx, st, p, StageMFASignupWebAuthn)
	if err != nil {
		return nil, err
	}
	return st, s.saveSession(ctx, st)
}

// PasskeySignup starts a passkey signup (Config.MFA.PasskeySignup): an
// account with no password, which waits at verify_email (mandatory, by
// code) and then at mfa_signup_webauthn for its passkey. Errors: those of
// Users.Signup, latch.ErrNotFound when passkey signup is off.
func (s *SecurityKeys) PasskeySignup(ctx context.Context, st *State, in SignupInput) (*State, error) {
	if !s.cfg.MFA.PasskeySignup || !s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		return nil, latch.ErrNotFound
	}
	in.Password = ""
	return (&Users{s.core}).signup(ctx, st, in, true)
}

// PasskeySignupOptions returns the creation options of the passkey of the
// caller's passkey signup. Errors: latch.ErrConflict when no signup waits
// at mfa_signup_webauthn.
func (s *SecurityKeys) PasskeySignupOptions(ctx context.Context, st *State) ([]byte, error) {
	p := s.pendingStage(st, StageMFASignupWebAuthn)
	if p == nil || st.Authenticated() {
		return nil, latch.ErrConflict
	}
	user, err := s.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("pending signup user: %w", err)
	}
	u, err := webauthnUser(user, nil)
	if err != nil {
		return nil, err
	}
	options, state, err := s.webauthn.BeginRegistration(u, true)
	if err != nil {
		return nil, err
	}
	return options, s.putCeremony(ctx, st, webauthnCeremony{Purpose: ceremonyRegister, State: state, Passwordless: true})
}

// FinishPasskeySignup stores the passkey the browser created for the last
// passkey signup options and finishes the signup's login. Errors:
// latch.ErrConflict, *latch.InputError (incorrect_code).
func (s *SecurityKeys) FinishPasskeySignup(ctx context.Context, st *State, name string, credential []byte) (*State, error) {
	p := s.pendingStage(st, StageMFASignupWebAuthn)
	if p == nil || st.Authenticated() {
		return nil, latch.ErrConflict
	}
	if name = strings.TrimSpace(name); name == "" {
		name = "Passkey"
	}
	if len(name) > maxAuthenticatorName {
		return nil, latch.Invalid("name", "max_length", fmt.Sprintf("Ensure this value has at most %d characters.", maxAuthenticatorName))
	}
	if len(credential) == 0 {
		return nil, latch.Invalid("credential", "required", msgRequired)
	}
	c, err := s.takeCeremony(ctx, st, ceremonyRegister)
	if err != nil {
		return nil, err
	}
	user, err := s.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("pending signup user: %w", err)
	}
	if _, _, err := s.addCredential(ctx, st, user, name, c, credential); err != nil {
		return nil, err
	}
	p.Methods[0].At = unixFloat(s.now())
	return s.passStage(ctx, st, StageMFASignupWebAuthn, nil)
}
