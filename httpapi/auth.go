package httpapi

import (
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/password"
)

// userJSON is allauth's user object; empty values are omitted, as allauth does.
type userJSON struct {
	ID                string `json:"id"`
	Display           string `json:"display"`
	Email             string `json:"email,omitempty"`
	Username          string `json:"username,omitempty"`
	HasUsablePassword bool   `json:"has_usable_password"`
}

func toUserJSON(u *latch.User) userJSON {
	display := u.Username
	if display == "" {
		display = u.Email
	}
	if display == "" {
		display = "user"
	}
	return userJSON{ID: u.PublicID, Display: display, Email: u.Email, Username: u.Username,
		HasUsablePassword: password.IsUsable(u.PasswordHash)}
}

type flowJSON struct {
	ID        string `json:"id"`
	IsPending *bool  `json:"is_pending,omitempty"`
}

type flowsData struct {
	Flows []flowJSON `json:"flows"`
}

type sessionData struct {
	User    userJSON           `json:"user"`
	Methods []latch.AuthMethod `json:"methods"`
}

type authMeta struct {
	IsAuthenticated bool   `json:"is_authenticated"`
	SessionToken    string `json:"session_token,omitempty"`
	AccessToken     string `json:"access_token,omitempty"`
	RefreshToken    string `json:"refresh_token,omitempty"`
}

func (s *Server) flows(st *account.State) []flowJSON {
	list := s.svc.Flows(st)
	out := make([]flowJSON, len(list))
	for i, f := range list {
		out[i] = flowJSON{ID: f.ID}
		if f.IsPending || f.ShowPending {
			out[i].IsPending = &f.IsPending
		}
	}
	return out
}

// writeAuth answers with the authentication state: 200 with the user and
// how they authenticated, or 401 with the flows that can be taken next. It
// also hands a new session key to the client.
func (s *Server) writeAuth(w http.ResponseWriter, r *http.Request, c *call, st *account.State) {
	token := s.applySession(w, c, st)
	if st.Authenticated() {
		methods := st.Methods()
		if methods == nil {
			methods = []latch.AuthMethod{}
		}
		writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK,
			Data: sessionData{User: toUserJSON(st.User), Methods: methods},
			Meta: authMeta{IsAuthenticated: true, SessionToken: token, AccessToken: st.AccessToken, RefreshToken: st.RefreshToken}})
		return
	}
	writeJSON(w, http.StatusUnauthorized, envelope{Status: http.StatusUnauthorized,
		Data: flowsData{Flows: s.flows(st)},
		Meta: authMeta{IsAuthenticated: false, SessionToken: token}})
}

// GET /auth/session: who is logged in, or which flows are open.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request, c *call) error {
	s.writeAuth(w, r, c, c.st)
	return nil
}

// DELETE /auth/session: log out. Always answers 401, as allauth does.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.svc.Logout(r.Context(), c.st)
	if err != nil {
		return err
	}
	s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/login: {email|username, password}.
func (s *Server) login(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.LoginInput{Password: f.str("password")}
	if s.svc.LoginMethod("email") {
		in.Email = f.strPtr("email")
	}
	if s.svc.LoginMethod("username") {
		in.Username = f.strPtr("username")
	}
	if err := f.err(); err != nil {
		return err
	}
	st, err := s.svc.Login(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/signup: {email, username?, password}.
func (s *Server) signup(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.SignupInput{Email: f.str("email"), Username: f.str("username"), Password: f.str("password")}
	if err := f.err(); err != nil {
		return err
	}
	st, err := s.svc.Signup(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	s.writeAuth(w, r, c, st)
	return nil
}
