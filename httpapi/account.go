package httpapi

import (
	"net/http"

	"github.com/latchauth/latch/account"
)

// POST /account/password/change: {current_password, new_password}. The
// session stays logged in under a new key; the user's other sessions end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.st.Authenticated() {
		return errUnauthenticated
	}
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.ChangePasswordInput{CurrentPassword: f.str("current_password"), NewPassword: f.str("new_password")}
	if err := f.err(); err != nil {
		return err
	}
	st, err := s.svc.ChangePassword(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	s.writeAuth(w, r, c, st)
	return nil
}
