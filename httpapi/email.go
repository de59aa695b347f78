package httpapi

import (
	"net/http"

	"github.com/latchauth/latch"
)

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
func (s *Server) checkEmailVerification(w http.ResponseWriter, r *http.Request, c *call) error {
	info, err := s.svc.CheckVerification(r.Context(), c.st, r.Header.Get("X-Email-Verification-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK,
		Data: verifyInfoJSON{Email: info.Email, User: toUserJSON(info.User)},
		Meta: verifyMeta{IsAuthenticating: info.IsAuthenticating}})
	return nil
}

// POST /auth/email/verify {key}: verify, and continue a waiting login.
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	key := f.str("key")
	if err := f.err(); err != nil {
		return err
	}
	st, err := s.svc.VerifyEmail(r.Context(), c.st, key)
	if err != nil {
		return err
	}
	s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/email/verify/resend: a new code for the verification in progress.
func (s *Server) resendEmailVerification(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.svc.ResendVerification(r.Context(), c.st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, okBody)
	return nil
}

func (s *Server) writeEmails(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.svc.ListEmails(r.Context(), c.st)
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
func (s *Server) listEmails(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.writeEmails(w, r, c)
}

// emailForm reads the {email} body of the address endpoints; anonymous
// callers get the 401 authentication response first.
func (s *Server) emailForm(w http.ResponseWriter, r *http.Request, c *call) (*form, string, error) {
	if !c.st.Authenticated() {
		return nil, "", latch.ErrUnauthenticated
	}
	f, err := s.readForm(w, r)
	if err != nil {
		return nil, "", err
	}
	email := f.str("email")
	return f, email, f.err()
}

// POST /account/email {email}: add an address and send it a verification.
func (s *Server) addEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	_, email, err := s.emailForm(w, r, c)
	if err != nil {
		return err
	}
	if _, err := s.svc.AddEmail(r.Context(), c.st, email); err != nil {
		return err
	}
	return s.writeEmails(w, r, c)
}

// PUT /account/email {email}: resend the verification; 403 when no mail went out.
func (s *Server) resendEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	_, email, err := s.emailForm(w, r, c)
	if err != nil {
		return err
	}
	sent, err := s.svc.ResendVerificationEmail(r.Context(), c.st, email)
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
func (s *Server) setPrimaryEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	f, email, err := s.emailForm(w, r, c)
	if err != nil {
		return err
	}
	primary := f.boolean("primary")
	if err := f.err(); err != nil {
		return err
	}
	if err := s.svc.SetPrimaryEmail(r.Context(), c.st, email, primary); err != nil {
		return err
	}
	return s.writeEmails(w, r, c)
}

// DELETE /account/email {email}: remove an address.
func (s *Server) removeEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	_, email, err := s.emailForm(w, r, c)
	if err != nil {
		return err
	}
	if err := s.svc.RemoveEmail(r.Context(), c.st, email); err != nil {
		return err
	}
	return s.writeEmails(w, r, c)
}
