// Package webauthn is Latch's adapter for WebAuthn (security keys and
// passkeys), over github.com/go-webauthn/webauthn. The account core
// reaches it through account.WebAuthn: it hands over opaque bytes (the
// options to send to the browser, the ceremony state to keep in the
// session, the browser's response, the stored credential) and never sees
// the library's types, which import net/http.
//
// Responses are verified against the relying-party id and the exact
// origins configured, the challenge of the ceremony state (which the core
// keeps for one attempt only), the user-presence flag (user verification
// too for passkeys) and, at login, the signature counter: a counter that
// does not increase (a cloned authenticator) is refused.
package webauthn

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	wa "github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchauth/latch/account"
)

// Config is the relying party: its id (a registrable domain, e.g.
// "example.com" or "localhost"), the name authenticators show, and the
// origins a response may come from, compared exactly.
type Config struct {
	RPID    string
	RPName  string
	Origins []string
}

// RelyingParty runs WebAuthn ceremonies. It implements account.WebAuthn.
type RelyingParty struct{ w *wa.WebAuthn }

// New checks c and returns its relying party.
func New(c Config) (*RelyingParty, error) {
	w, err := wa.New(&wa.Config{RPID: c.RPID, RPDisplayName: c.RPName, RPOrigins: c.Origins})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &RelyingParty{w}, nil
}

var _ account.WebAuthn = (*RelyingParty)(nil)

// user is an account.WebAuthnUser as the library wants it.
type user struct {
	u     account.WebAuthnUser
	creds []wa.Credential
}

func (u *user) WebAuthnID() []byte                   { return u.u.Handle }
func (u *user) WebAuthnName() string                 { return u.u.Name }
func (u *user) WebAuthnDisplayName() string          { return u.u.DisplayName }
func (u *user) WebAuthnCredentials() []wa.Credential { return u.creds }
func (u *user) descriptors() []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(u.creds))
	for i, c := range u.creds {
		out[i] = c.Descriptor()
	}
	return out
}

func wrap(u account.WebAuthnUser) (*user, error) {
	out := &user{u: u}
	for _, raw := range u.Credentials {
		var c wa.Credential
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("webauthn: stored credential: %w", err)
		}
		out.creds = append(out.creds, c)
	}
	return out, nil
}

// BeginRegistration returns the creation options for a new credential of
// u (its existing ones excluded) and the ceremony state. A passwordless
// credential (a passkey) must be discoverable and verify the user.
func (rp *RelyingParty) BeginRegistration(u account.WebAuthnUser, passwordless bool) (options, state []byte, err error) {
	wu, err := wrap(u)
	if err != nil {
		return nil, nil, err
	}
	sel := protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementDiscouraged, UserVerification: protocol.VerificationPreferred}
	if passwordless {
		sel = protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: protocol.VerificationRequired}
	}
	creation, session, err := rp.w.BeginRegistration(wu, wa.WithAuthenticatorSelection(sel), wa.WithExclusions(wu.descriptors()))
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: begin registration: %w", err)
	}
	return marshal(creation, session)
}

// FinishRegistration verifies the browser's response to the creation
// options of state and returns the new credential's id and its stored
// form. Errors: account.ErrWebAuthnRefused for a response that is
// malformed or does not verify.
func (rp *RelyingParty) FinishRegistration(u account.WebAuthnUser, state, response []byte) (id, credential []byte, err error) {
	wu, err := wrap(u)
	if err != nil {
		return nil, nil, err
	}
	var session wa.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, nil, fmt.Errorf("webauthn: ceremony state: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, nil, refused(err)
	}
	c, err := rp.w.CreateCredential(wu, session, parsed)
	if err != nil {
		return nil, nil, refused(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: encode credential: %w", err)
	}
	return c.ID, b, nil
}

// BeginLogin returns the request options for an assertion by one of u's
// credentials and the ceremony state.
func (rp *RelyingParty) BeginLogin(u account.WebAuthnUser) (options, state []byte, err error) {
	wu, err := wrap(u)
	if err != nil {
		return nil, nil, err
	}
	assertion, session, err := rp.w.BeginLogin(wu)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: begin login: %w", err)
	}
	return marshal(assertion, session)
}

// FinishLogin verifies the browser's assertion against state and u's
// credentials and returns the credential used, as it is to be stored now
// (its signature counter moved on). Errors: account.ErrWebAuthnRefused for
// a response that is malformed, does not verify, or whose counter did not
// increase.
func (rp *RelyingParty) FinishLogin(u account.WebAuthnUser, state, response []byte) (id, credential []byte, err error) {
	wu, err := wrap(u)
	if err != nil {
		return nil, nil, err
	}
	var session wa.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, nil, fmt.Errorf("webauthn: ceremony state: %w", err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, nil, refused(err)
	}
	c, err := rp.w.ValidateLogin(wu, session, parsed)
	if err != nil {
		return nil, nil, refused(err)
	}
	if c.Authenticator.CloneWarning {
		return nil, nil, refused(errors.New("signature counter did not increase"))
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: encode credential: %w", err)
	}
	return c.ID, b, nil
}

// BeginDiscoverableLogin returns the request options of a passkey login:
// any discoverable credential of this relying party, user verification
// required.
func (rp *RelyingParty) BeginDiscoverableLogin() (options, state []byte, err error) {
	assertion, session, err := rp.w.BeginDiscoverableLogin(wa.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: begin passkey login: %w", err)
	}
	return marshal(assertion, session)
}

// FinishDiscoverableLogin verifies a passkey assertion against state; the
// user is the one lookup returns for the credential's user handle. It
// returns that handle, the credential used and its stored form. Errors:
// account.ErrWebAuthnRefused (malformed, not verified, unknown handle,
// counter not increased).
func (rp *RelyingParty) FinishDiscoverableLogin(state, response []byte, lookup func(handle []byte) (account.WebAuthnUser, error)) (handle, id, credential []byte, err error) {
	var session wa.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return nil, nil, nil, fmt.Errorf("webauthn: ceremony state: %w", err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, nil, nil, refused(err)
	}
	u, c, err := rp.w.ValidatePasskeyLogin(func(_, userHandle []byte) (wa.User, error) {
		found, err := lookup(userHandle)
		if err != nil {
			return nil, err
		}
		return wrap(found)
	}, session, parsed)
	if err != nil {
		return nil, nil, nil, refused(err)
	}
	if c.Authenticator.CloneWarning {
		return nil, nil, nil, refused(errors.New("signature counter did not increase"))
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("webauthn: encode credential: %w", err)
	}
	return u.WebAuthnID(), c.ID, b, nil
}

func marshal(options any, session *wa.SessionData) ([]byte, []byte, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: encode options: %w", err)
	}
	s, err := json.Marshal(session)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: encode state: %w", err)
	}
	return o, s, nil
}

func refused(err error) error {
	return fmt.Errorf("%w: %w", account.ErrWebAuthnRefused, err)
}
