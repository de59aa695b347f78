package httpapi

import "net/http"

type resetInfoJSON struct {
	User userJSON `json:"user"`
}

// POST /auth/password/request {email}: mail a reset link (200) or start a
// reset by code (401 with password_reset_by_code pending). The same answer
// whether or not the address has an account.
func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	email := f.str("email")
	if err := f.err(); err != nil {
		return err
	}
	st, err := s.svc.RequestPasswordReset(r.Context(), c.st, email)
	if err != nil {
		return err
	}
	if s.svc.Config().PasswordResetByCode {
		s.writeAuth(w, r, c, st)
		return nil
	}
	writeJSON(w, http.StatusOK, okBody)
	return nil
}

// GET /auth/password/reset with X-Password-Reset-Key: whose password the key resets.
func (s *Server) checkPasswordReset(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.svc.CheckResetKey(r.Context(), c.st, r.Header.Get("X-Password-Reset-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: resetInfoJSON{User: toUserJSON(u)}})
	return nil
}

// POST /auth/password/reset {key, password}: set the new password. Success
// is a 401 (not logged in) unless the server logs users in after a reset.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	key, pw := f.str("key"), f.str("password")
	if err := f.err(); err != nil {
		return err
	}
	st, err := s.svc.ResetPassword(r.Context(), c.st, key, pw)
	if err != nil {
		return err
	}
	s.writeAuth(w, r, c, st)
	return nil
}
