package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// webauthnAPI serves the WebAuthn endpoints of the headless API: adding,
// renaming and removing security keys and passkeys, and passing
// mfa_authenticate with one.
type webauthnAPI struct{ s *Server }

// credential reads the WebAuthn credential (a JSON object, as the browser's
// PublicKeyCredential.toJSON() gives it) of a body.
func credential(f *form) []byte {
	raw := bytes.TrimSpace(f.fields["credential"])
	if !f.has("credential") {
		return nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		f.errs.Add("credential", "invalid", "Expected a WebAuthn credential (a JSON object).")
		return nil
	}
	return raw
}

// intField reads an integer field (a number or a numeric string); absent is 0.
func intField(f *form, name string) int64 {
	if !f.has(name) {
		return 0
	}
	raw := f.fields[name]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(s)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		f.errs.Add(name, "invalid", "Enter a whole number.")
	}
	return n
}

// GET /account/authenticators/webauthn[?passwordless]: creation options
// for navigator.credentials.create.
func (a webauthnAPI) creationOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	passwordless := q.Has("passwordless") && q.Get("passwordless") != "false" && q.Get("passwordless") != "0"
	options, err := a.s.svc.SecurityKeys.WebAuthnCreationOptions(r.Context(), c.st, passwordless)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: map[string]json.RawMessage{"creation_options": options}})
	return nil
}

// POST /account/authenticators/webauthn: {name, credential} adds it.
func (a webauthnAPI) add(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	name, cred := f.str("name"), credential(f)
	if err := f.err(); err != nil {
		return err
	}
	info, made, err := a.s.svc.SecurityKeys.AddWebAuthn(r.Context(), c.st, name, cred)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: toAuthenticatorJSON(*info),
		Meta: map[string]bool{"recovery_codes_generated": made}})
	return nil
}

// PUT /account/authenticators/webauthn: {id, name} renames one.
func (a webauthnAPI) rename(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	id, name := intField(f, "id"), f.str("name")
	if err := f.err(); err != nil {
		return err
	}
	if id == 0 {
		return latch.Invalid("id", "required", "This field is required.")
	}
	info, err := a.s.svc.SecurityKeys.RenameWebAuthn(r.Context(), c.st, id, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: toAuthenticatorJSON(*info)})
	return nil
}

// DELETE /account/authenticators/webauthn: {authenticators: [id…]}.
func (a webauthnAPI) remove(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	ids := f.ids("authenticators")
	if err := f.err(); err != nil {
		return err
	}
	if err := a.s.svc.SecurityKeys.DeleteWebAuthn(r.Context(), c.st, ids); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK})
	return nil
}

// GET /auth/webauthn/authenticate: request options for the pending
// mfa_authenticate stage.
func (a webauthnAPI) requestOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	options, err := a.s.svc.SecurityKeys.WebAuthnRequestOptions(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: map[string]json.RawMessage{"request_options": options}})
	return nil
}

// POST /auth/webauthn/authenticate: {credential} passes mfa_authenticate.
func (a webauthnAPI) authenticate(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	cred := credential(f)
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.SecurityKeys.AuthenticateWebAuthn(r.Context(), c.st, cred)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// GET /auth/webauthn/reauthenticate: request options to reauthenticate.
func (a webauthnAPI) reauthenticationOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	options, err := a.s.svc.SecurityKeys.WebAuthnReauthenticationOptions(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: map[string]json.RawMessage{"request_options": options}})
	return nil
}

// POST /auth/webauthn/reauthenticate: {credential} renews the caller's
// authentication.
func (a webauthnAPI) reauthenticate(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	cred := credential(f)
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.SecurityKeys.ReauthenticateWebAuthn(r.Context(), c.st, cred)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// GET /auth/webauthn/login: request options for a passkey login. The
// challenge is kept in the caller's session: a caller without one gets
// one (the browser a cookie, the app meta.session_token).
func (a webauthnAPI) loginOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	st, options, err := a.s.svc.SecurityKeys.PasskeyLoginOptions(r.Context(), c.st)
	if err != nil {
		return err
	}
	body := envelope{Status: http.StatusOK, Data: map[string]json.RawMessage{"request_options": options}}
	if token := a.s.applySession(w, c, st); token != "" {
		body.Meta = map[string]string{"session_token": token}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// POST /auth/webauthn/login: {credential} logs in with a passkey.
func (a webauthnAPI) login(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	cred := credential(f)
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.SecurityKeys.PasskeyLogin(r.Context(), c.st, cred)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/webauthn/signup: {email, username?} starts a passkey signup;
// 401 with verify_email pending (then mfa_signup_webauthn).
func (a webauthnAPI) signup(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.SignupInput{Email: f.str("email"), Username: f.str("username")}
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.SecurityKeys.PasskeySignup(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// GET /auth/webauthn/signup: creation options for the signup's passkey.
func (a webauthnAPI) signupOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	options, err := a.s.svc.SecurityKeys.PasskeySignupOptions(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: map[string]json.RawMessage{"creation_options": options}})
	return nil
}

// PUT /auth/webauthn/signup: {name, credential} finishes the signup.
func (a webauthnAPI) finishSignup(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	name, cred := f.str("name"), credential(f)
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.SecurityKeys.FinishPasskeySignup(r.Context(), c.st, name, cred)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}
