package httpapi

import (
	"net/http"

	"github.com/latchauth/latch/account"
)

// passwordAPI serves password change and reset.
type passwordAPI struct{ s *Server }

type resetInfoJSON struct {
	User userJSON `json:"user"`
}

// POST /auth/password/request {email}: mail a reset link (200) or start a
// reset by code (401 with password_reset_by_code pending). The same answer
// whether or not the address has an account.
func (a passwordAPI) requestPasswordReset(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	email := f.str("email")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Passwords.RequestPasswordReset(r.Context(), c.st, email)
	if err != nil {
		return err
	}
	if a.s.svc.Config().PasswordResetByCode {
		a.s.writeAuth(w, r, c, st)
		return nil
	}
	writeJSON(w, http.StatusOK, okBody)
	return nil
}

// GET /auth/password/reset with X-Password-Reset-Key: whose password the key resets.
func (a passwordAPI) checkPasswordReset(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := a.s.svc.Passwords.CheckResetKey(r.Context(), c.st, r.Header.Get("X-Password-Reset-Key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: resetInfoJSON{User: toUserJSON(u)}})
	return nil
}

// POST /auth/password/reset {key, password}: set the new password. Success
// is a 401 (not logged in) unless the server logs users in after a reset.
func (a passwordAPI) resetPassword(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	key, pw := f.str("key"), f.str("password")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Passwords.ResetPassword(r.Context(), c.st, key, pw)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /account/password/change: {current_password, new_password}. The
// session stays logged in under a new key; the user's other sessions end.
func (a passwordAPI) changePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.ChangePasswordInput{CurrentPassword: f.str("current_password"), NewPassword: f.str("new_password")}
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Passwords.ChangePassword(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}
