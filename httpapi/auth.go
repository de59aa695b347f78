package httpapi

import (
	"net/http"
	"strconv"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/jsonstr"
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

// appendUserJSON appends u as encoding/json marshals it.
func appendUserJSON(b []byte, u userJSON) []byte {
	b = append(b, `{"id":`...)
	b = jsonstr.Append(b, u.ID, true)
	b = append(b, `,"display":`...)
	b = jsonstr.Append(b, u.Display, true)
	b = appendJSONField(b, "email", u.Email)
	b = appendJSONField(b, "username", u.Username)
	b = append(b, `,"has_usable_password":`...)
	b = strconv.AppendBool(b, u.HasUsablePassword)
	return append(b, '}')
}

// appendSessionJSON appends the 200 answer of writeAuth: the envelope with
// the user, how they authenticated (a list, never null) and the tokens
// handed out in meta. The session check answers with it on every request,
// so it is written by hand rather than through encoding/json's reflection,
// byte for byte the same. It reports false for a non-finite time, which
// encoding/json refuses.
func appendSessionJSON(b []byte, u userJSON, methods []latch.AuthMethod, sessionToken, accessToken, refreshToken string) ([]byte, bool) {
	b = append(b, `{"status":200,"data":{"user":`...)
	b = appendUserJSON(b, u)
	b = append(b, `,"methods":[`...)
	for i := range methods {
		m := &methods[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"method":`...)
		b = jsonstr.Append(b, m.Method, true)
		b = append(b, `,"at":`...)
		var ok bool
		if b, ok = appendJSONFloat(b, m.At); !ok {
			return b, false
		}
		b = appendJSONField(b, "email", m.Email)
		b = appendJSONField(b, "username", m.Username)
		if m.Reauthenticated {
			b = append(b, `,"reauthenticated":true`...)
		}
		b = appendJSONField(b, "type", m.Type)
		b = appendJSONField(b, "provider", m.Provider)
		b = appendJSONField(b, "uid", m.UID)
		b = append(b, '}')
	}
	b = append(b, `]},"meta":{"is_authenticated":true`...)
	b = appendJSONField(b, "session_token", sessionToken)
	b = appendJSONField(b, "access_token", accessToken)
	b = appendJSONField(b, "refresh_token", refreshToken)
	return append(b, "}}\n"...), true
}

// appendFlowsJSON appends the answer to an unauthenticated caller (401, or
// 410 for an app whose session is gone): the flows open to it, each with
// is_pending when the flow says to show it, and meta with a new session
// token if one was minted.
func appendFlowsJSON(b []byte, status int, flows []account.Flow, sessionToken string) []byte {
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"data":{"flows":[`...)
	for i, f := range flows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = jsonstr.Append(b, f.ID, true)
		if f.IsPending || f.ShowPending {
			b = append(b, `,"is_pending":`...)
			b = strconv.AppendBool(b, f.IsPending)
		}
		if len(f.Types) > 0 {
			b = append(b, `,"types":[`...)
			for j, t := range f.Types {
				if j > 0 {
					b = append(b, ',')
				}
				b = jsonstr.Append(b, t, true)
			}
			b = append(b, ']')
		}
		b = appendProviderFlow(b, f)
		b = append(b, '}')
	}
	b = append(b, `]},"meta":{"is_authenticated":false`...)
	b = appendJSONField(b, "session_token", sessionToken)
	return append(b, "}}\n"...)
}

// writeAuth answers with the authentication state: 200 with the user and
// how they authenticated, or 401 with the flows that can be taken next. It
// also hands a new session key to the client.
func (s *Server) writeAuth(w http.ResponseWriter, r *http.Request, c *call, st *account.State) {
	token := s.applySession(w, c, st)
	buf := bodyBuffer()
	defer recycle(buf)
	if !st.Authenticated() {
		flows, err := mfaAPI{s}.flows(r, st, s.svc.Sessions.Flows(st))
		if err != nil {
			s.writeError(w, r, c, err)
			return
		}
		buf.Write(appendFlowsJSON(buf.AvailableBuffer(), http.StatusUnauthorized, flows, token))
		writeBody(w, http.StatusUnauthorized, buf.Bytes())
		return
	}
	b, ok := appendSessionJSON(buf.AvailableBuffer(), toUserJSON(st.User), st.Methods(), token, st.AccessToken, st.RefreshToken)
	if !ok {
		writeBody(w, http.StatusInternalServerError, unencodable)
		return
	}
	buf.Write(b)
	writeBody(w, http.StatusOK, buf.Bytes())
}

// authAPI serves the session endpoints of the headless API: who is logged in,
// login, signup and logout.
type authAPI struct{ s *Server }

// GET /auth/session: who is logged in, or which flows are open.
func (a authAPI) getSession(w http.ResponseWriter, r *http.Request, c *call) error {
	a.s.writeAuth(w, r, c, c.st)
	return nil
}

// DELETE /auth/session: log out. Always answers 401, as allauth does.
func (a authAPI) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := a.s.svc.Sessions.Logout(r.Context(), c.st)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/login: {email|username, password}.
func (a authAPI) login(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.LoginInput{Password: f.str("password")}
	if a.s.svc.LoginMethod("email") {
		in.Email = f.strPtr("email")
	}
	if a.s.svc.LoginMethod("username") {
		in.Username = f.strPtr("username")
	}
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Sessions.Login(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// POST /auth/signup: {email, username?, password}.
func (a authAPI) signup(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.SignupInput{Email: f.str("email"), Username: f.str("username"), Password: f.str("password")}
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Users.Signup(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}
