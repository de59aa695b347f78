package httpapi

import (
	"net/http"

	"github.com/latchauth/latch"
)

// emailAPI serves email verification and the management of a user's addresses.
type emailAPI struct{ s *Server }

type emailJSON struct {
	Email    string `json:"email"`
	Verified bool   `json:"verified"`
	Primary  bool   `json:"primary"`
}

type verifyInfoJSON struct {
	Email string   `json:"email"`
	User  userJSON `json:"user"`
}

type verifyMeta struct {
	IsAuthenticating bool `json:"is_authenticating"`
}

var okBody = envelope{Status: http.StatusOK}

// GET /auth/email/verify with X-Email-Verification-Key: what the key verifies.
func (a emailAPI) checkEmailVerification(w http.ResponseWriter, r *http.Request, c *call) error {
	info, err := a.s.svc.Emails.CheckVerification(r.Context(), c.st, r.Header.Get("X-Email-Verification-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK,
		Data: verifyInfoJSON{Email: info.Email, User: toUserJSON(info.User)},
		Meta: verifyMeta{IsAuthenticating: info.IsAuthenticating}})
	return nil
}

// POST /auth/email/verify {key}: verify, and continue a waiting login.
func (a emailAPI) verifyEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	// In code mode, no verification in progress is a 409 before any input
	// check, as allauth answers.
	if err := a.s.svc.Emails.CanVerify(c.st); err != nil {
		return err
	}
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	key := f.str("key")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Emails.VerifyEmail(r.Context(), c.st, key)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/email/verify/resend: a new code for the verification in progress.
func (a emailAPI) resendEmailVerification(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := a.s.svc.Emails.ResendVerification(r.Context(), c.st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, okBody)
	return nil
}

func (a emailAPI) writeEmails(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := a.s.svc.Emails.ListEmails(r.Context(), c.st)
	if err != nil {
		return err
	}
	out := make([]emailJSON, len(list))
	for i, e := range list {
		out[i] = emailJSON{Email: e.Email, Verified: e.Verified, Primary: e.Primary}
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: out})
	return nil
}

// GET /account/email: the caller's addresses.
func (a emailAPI) listEmails(w http.ResponseWriter, r *http.Request, c *call) error {
	return a.writeEmails(w, r, c)
}

// emailForm reads the {email} body of the address endpoints.
func (a emailAPI) emailForm(w http.ResponseWriter, r *http.Request, c *call) (*form, string, error) {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return nil, "", err
	}
	email := f.str("email")
	return f, email, f.err()
}

// POST /account/email {email}: add an address and send it a verification.
// allauth serves this endpoint to anonymous callers too, to change the
// address of a pending signup (ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE,
// off by default); Latch has no such change, so an anonymous caller gets
// allauth's answer without it: 409, before any input check.
func (a emailAPI) addEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.st.Authenticated() {
		return latch.ErrConflict
	}
	_, email, err := a.emailForm(w, r, c)
	if err != nil {
		return err
	}
	if _, err := a.s.svc.Emails.AddEmail(r.Context(), c.st, email); err != nil {
		return err
	}
	return a.writeEmails(w, r, c)
}

// PUT /account/email {email}: resend the verification; 403 when no mail went out.
func (a emailAPI) resendEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	_, email, err := a.emailForm(w, r, c)
	if err != nil {
		return err
	}
	sent, err := a.s.svc.Emails.ResendVerificationEmail(r.Context(), c.st, email)
	if err != nil {
		return err
	}
	if !sent {
		return latch.ErrForbidden
	}
	writeJSON(w, http.StatusOK, okBody)
	return nil
}

// PATCH /account/email {email, primary: true}: make an address primary.
func (a emailAPI) setPrimaryEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	f, email, err := a.emailForm(w, r, c)
	if err != nil {
		return err
	}
	primary := f.boolean("primary")
	if err := f.err(); err != nil {
		return err
	}
	if err := a.s.svc.Emails.SetPrimaryEmail(r.Context(), c.st, email, primary); err != nil {
		return err
	}
	return a.writeEmails(w, r, c)
}

// DELETE /account/email {email}: remove an address.
func (a emailAPI) removeEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	_, email, err := a.emailForm(w, r, c)
	if err != nil {
		return err
	}
	if err := a.s.svc.Emails.RemoveEmail(r.Context(), c.st, email); err != nil {
		return err
	}
	return a.writeEmails(w, r, c)
}
