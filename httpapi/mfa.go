package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// mfaAPI serves the second-factor endpoints of the headless API: the
// caller's authenticators (TOTP, recovery codes), the mfa_authenticate and
// mfa_trust stages of a login, and reauthentication by password or by a
// second factor.
type mfaAPI struct{ s *Server }

// trustCookie carries the browser's MFA trust token (account's trusted
// browsers): HttpOnly, for TrustTTL.
const trustCookie = "latch_mfa_trust"

// trustToken returns the trust token a browser request presents.
func trustToken(r *http.Request, kind latch.ClientKind) string {
	if kind != latch.Browser {
		return ""
	}
	return truncate(cookieValue(r, trustCookie), 256)
}

// applyTrust hands the browser the trust token its login asked for.
func (a mfaAPI) applyTrust(w http.ResponseWriter, kind latch.ClientKind, st *account.State) {
	if st.NewTrust == "" || kind != latch.Browser {
		return
	}
	s := a.s
	http.SetCookie(w, &http.Cookie{
		Name: trustCookie, Value: st.NewTrust, Path: "/", Domain: s.cfg.CookieDomain,
		MaxAge: int(s.svc.Config().MFA.TrustTTL.Seconds()), HttpOnly: true, Secure: s.secure, SameSite: s.cfg.CookieSameSite,
	})
}

// authenticatorJSON is allauth's authenticator object, by type.
type authenticatorJSON struct {
	Type       string   `json:"type"`
	CreatedAt  float64  `json:"created_at"`
	LastUsedAt *float64 `json:"last_used_at"`
	// Recovery codes only.
	Total  *int `json:"total_code_count,omitempty"`
	Unused *int `json:"unused_code_count,omitempty"`
	// WebAuthn only.
	ID             int64  `json:"id,omitempty"`
	Name           string `json:"name,omitempty"`
	IsPasswordless *bool  `json:"is_passwordless,omitempty"`
}

func toAuthenticatorJSON(a account.AuthenticatorInfo) authenticatorJSON {
	out := authenticatorJSON{Type: a.Type, CreatedAt: unixFloat(a.Created)}
	if !a.LastUsed.IsZero() {
		t := unixFloat(a.LastUsed)
		out.LastUsedAt = &t
	}
	switch a.Type {
	case latch.AuthenticatorRecoveryCodes:
		out.Total, out.Unused = &a.Total, &a.Unused
	case latch.AuthenticatorWebAuthn:
		out.ID, out.Name, out.IsPasswordless = a.ID, a.Name, &a.Passwordless
	}
	return out
}

// recoveryCodesJSON is allauth's recovery codes with the unused ones.
type recoveryCodesJSON struct {
	authenticatorJSON
	UnusedCodes []string `json:"unused_codes"`
}

func writeRecoveryCodes(w http.ResponseWriter, rc *account.RecoveryCodes) {
	codes := rc.Codes
	if codes == nil {
		codes = []string{}
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK,
		Data: recoveryCodesJSON{authenticatorJSON: toAuthenticatorJSON(rc.AuthenticatorInfo), UnusedCodes: codes}})
}

// GET /account/authenticators: the caller's authenticators, no secrets.
func (a mfaAPI) listAuthenticators(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := a.s.svc.MFA.Authenticators(r.Context(), c.st)
	if err != nil {
		return err
	}
	out := make([]authenticatorJSON, 0, len(list))
	for _, x := range list {
		out = append(out, toAuthenticatorJSON(x))
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: out})
	return nil
}

// GET /account/authenticators/totp: the active TOTP authenticator, or 404
// with a fresh secret and its otpauth:// URI to set one up with.
func (a mfaAPI) getTOTP(w http.ResponseWriter, r *http.Request, c *call) error {
	active, setup, err := a.s.svc.MFA.TOTP(r.Context(), c.st)
	if err != nil {
		return err
	}
	if active != nil {
		writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: toAuthenticatorJSON(*active)})
		return nil
	}
	writeJSON(w, http.StatusNotFound, envelope{Status: http.StatusNotFound,
		Meta: map[string]string{"secret": setup.Secret, "totp_url": setup.URL}})
	return nil
}

// POST /account/authenticators/totp: {code} activates TOTP.
func (a mfaAPI) activateTOTP(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	code := f.str("code")
	if err := f.err(); err != nil {
		return err
	}
	info, made, err := a.s.svc.MFA.ActivateTOTP(r.Context(), c.st, code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: toAuthenticatorJSON(*info),
		Meta: map[string]bool{"recovery_codes_generated": made}})
	return nil
}

// DELETE /account/authenticators/totp: deactivates TOTP.
func (a mfaAPI) deactivateTOTP(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := a.s.svc.MFA.DeactivateTOTP(r.Context(), c.st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK})
	return nil
}

// GET /account/authenticators/recovery-codes: the codes, with the unused ones.
func (a mfaAPI) getRecoveryCodes(w http.ResponseWriter, r *http.Request, c *call) error {
	rc, err := a.s.svc.MFA.RecoveryCodes(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeRecoveryCodes(w, rc)
	return nil
}

// POST /account/authenticators/recovery-codes: a new set replaces the old.
func (a mfaAPI) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request, c *call) error {
	rc, err := a.s.svc.MFA.RegenerateRecoveryCodes(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeRecoveryCodes(w, rc)
	return nil
}

// code reads the {code} body of the second-factor endpoints.
func (a mfaAPI) code(w http.ResponseWriter, r *http.Request) (string, error) {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return "", err
	}
	code := f.str("code")
	return code, f.err()
}

// POST /auth/2fa/authenticate: {code} passes the mfa_authenticate stage.
func (a mfaAPI) authenticate(w http.ResponseWriter, r *http.Request, c *call) error {
	code, err := a.code(w, r)
	if err != nil {
		return err
	}
	st, err := a.s.svc.MFA.Authenticate(r.Context(), c.st, code)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/2fa/reauthenticate: {code} renews the caller's authentication.
func (a mfaAPI) reauthenticate(w http.ResponseWriter, r *http.Request, c *call) error {
	code, err := a.code(w, r)
	if err != nil {
		return err
	}
	st, err := a.s.svc.MFA.Reauthenticate(r.Context(), c.st, code)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/reauthenticate: {password} renews the caller's authentication.
func (a mfaAPI) reauthenticatePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	pw := f.str("password")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Sessions.Reauthenticate(r.Context(), c.st, pw)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/2fa/trust (browser): {trust} answers the mfa_trust stage.
func (a mfaAPI) trust(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	if !f.has("trust") {
		return latch.Invalid("trust", "required", "This field is required.")
	}
	trust := f.boolean("trust")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.MFA.Trust(r.Context(), c.st, trust)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// methodJSON is one entry of allauth's "methods" list.
type methodJSON struct {
	Method          string  `json:"method"`
	At              float64 `json:"at"`
	Email           string  `json:"email,omitempty"`
	Username        string  `json:"username,omitempty"`
	Reauthenticated bool    `json:"reauthenticated,omitempty"`
	Type            string  `json:"type,omitempty"`
	Provider        string  `json:"provider,omitempty"`
	UID             string  `json:"uid,omitempty"`
}

// flowJSON is one entry of allauth's "flows" list.
type flowJSON struct {
	ID        string   `json:"id"`
	IsPending bool     `json:"is_pending,omitempty"`
	Types     []string `json:"types,omitempty"`
}

// writeReauthenticate answers an action that needs a recent
// authentication: allauth's 401 with the user, how it authenticated and
// the flows it can reauthenticate with.
func (a mfaAPI) writeReauthenticate(w http.ResponseWriter, r *http.Request, c *call) {
	s := a.s
	flows, err := s.svc.MFA.ReauthenticationFlows(r.Context(), c.st)
	if err != nil {
		s.writeError(w, r, c, err)
		return
	}
	data := struct {
		User    userJSON     `json:"user"`
		Methods []methodJSON `json:"methods"`
		Flows   []flowJSON   `json:"flows"`
	}{User: toUserJSON(c.st.User), Methods: []methodJSON{}, Flows: []flowJSON{}}
	for _, m := range c.st.Methods() {
		data.Methods = append(data.Methods, methodJSON(m))
	}
	for _, f := range flows {
		data.Flows = append(data.Flows, flowJSON{ID: f.ID, Types: f.Types})
	}
	body, err := json.Marshal(envelope{Status: http.StatusUnauthorized, Data: data, Meta: map[string]bool{"is_authenticated": true}})
	if err != nil {
		writeBody(w, http.StatusInternalServerError, unencodable)
		return
	}
	writeBody(w, http.StatusUnauthorized, append(body, '\n'))
}

// mfaFlows adds to a pending mfa_authenticate flow the types the login can
// pass it with, as allauth lists them.
func (a mfaAPI) flows(r *http.Request, st *account.State, flows []account.Flow) ([]account.Flow, error) {
	s := a.s
	for i := range flows {
		if flows[i].ID == string(account.StageMFAAuthenticate) && flows[i].IsPending {
			types, err := s.svc.MFA.PendingTypes(r.Context(), st)
			if err != nil {
				return nil, err
			}
			flows[i].Types = types
		}
	}
	return flows, nil
}
