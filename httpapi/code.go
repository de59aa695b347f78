package httpapi

import "net/http"

// loginCodeAPI serves login by emailed code.
type loginCodeAPI struct{ s *Server }

// POST /auth/code/request {email}: mail a login code; the login waits at the
// login_by_code stage (401, pending).
func (a loginCodeAPI) requestLoginCode(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	email := f.str("email")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Sessions.RequestLoginCode(r.Context(), c.st, email)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/code/confirm {code}: finish the code login.
func (a loginCodeAPI) confirmLoginCode(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	code := f.str("code")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Sessions.ConfirmLoginCode(r.Context(), c.st, code)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/code/resend: a new code for the code login in progress.
func (a loginCodeAPI) resendLoginCode(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := a.s.svc.Sessions.ResendLoginCode(r.Context(), c.st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, okBody)
	return nil
}
