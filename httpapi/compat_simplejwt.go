package httpapi

import (
	"errors"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// The simplejwt surface: djangorestframework-simplejwt's token views
// (/api/token/, …/refresh/, …/verify/, …/blacklist/) and the register,
// login, refresh and user endpoints of the "DRF + simplejwt + React"
// tutorial (koladev's), whose axios client sends "Authorization: Bearer
// <access>". Access tokens are the core's, for a new token-addressed
// session; refresh tokens are the core's rotating ones: each works once and
// the answer carries its successor, and presenting a spent one after the
// grace window revokes the whole family. Blacklisting a refresh token ends
// its session, and with it every access token issued for it.

// simpleJWT serves the simplejwt surface.
type simpleJWT struct{ s *Server }

// simpleJWTChallenge is simplejwt's WWW-Authenticate challenge.
const simpleJWTChallenge = `Bearer realm="api"`

// simpleJWTUserLimit bounds GET /api/user/ for superusers.
const simpleJWTUserLimit = 1000

// errTokenNotValid is simplejwt's answer to a refused token (InvalidToken).
var errTokenNotValid = &compatError{status: http.StatusUnauthorized,
	body: detailBody{Detail: "Token is invalid or expired", Code: "token_not_valid"}, challenge: simpleJWTChallenge}

// simpleJWTUserJSON is the tutorial's UserSerializer, with the public id as
// both id and public_id.
type simpleJWTUserJSON struct {
	ID       string `json:"id"`
	PublicID string `json:"public_id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	IsActive bool   `json:"is_active"`
	Created  string `json:"created"`
	Updated  string `json:"updated"`
}

func toSimpleJWTUser(u *latch.User) simpleJWTUserJSON {
	return simpleJWTUserJSON{ID: u.PublicID, PublicID: u.PublicID, Username: u.Username, Email: u.Email,
		IsActive: u.IsActive, Created: djangoTime(u.DateJoined), Updated: djangoTime(u.Updated)}
}

// simpleJWTPasswordLogin reads {<identifier>, password} and logs in with
// them. The identifier is the body's "email" when it has one, else its
// "username", else (for the required-field error) field.
func (j simpleJWT) passwordLogin(w http.ResponseWriter, r *http.Request, c *call, field string) (*account.State, error) {
	f, err := j.s.readForm(w, r)
	if err != nil {
		return nil, err
	}
	if f.has("email") {
		field = "email"
	} else if f.has("username") {
		field = "username"
	}
	v, err := requireStrings(f, field, "password")
	if err != nil {
		return nil, err
	}
	st, err := j.s.passwordLogin(r.Context(), c, field, v[0], v[1])
	switch {
	case errors.Is(err, errBadCredentials):
		return nil, &compatError{status: http.StatusUnauthorized,
			body: detailBody{Detail: "No active account found with the given credentials"}, challenge: simpleJWTChallenge}
	case errors.Is(err, errUnverified):
		return nil, &compatError{status: http.StatusUnauthorized, body: detailBody{Detail: msgUnverified}, challenge: simpleJWTChallenge}
	case errors.Is(err, errSecondFactor):
		return nil, &compatError{status: http.StatusUnauthorized, body: detailBody{Detail: msgSecondFactor}, challenge: simpleJWTChallenge}
	case err != nil:
		return nil, err
	}
	if err := j.s.compatTokens(r.Context(), st); err != nil {
		return nil, err
	}
	return st, nil
}

type simpleJWTPairJSON struct {
	Refresh string `json:"refresh"`
	Access  string `json:"access"`
}

// POST /api/token/ {username | email, password}: {"refresh", "access"}.
func (j simpleJWT) obtain(w http.ResponseWriter, r *http.Request, c *call) error {
	field := "username"
	if !j.s.svc.LoginMethod("username") {
		field = "email"
	}
	st, err := j.passwordLogin(w, r, c, field)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, simpleJWTPairJSON{Refresh: st.RefreshToken, Access: st.AccessToken})
	return nil
}

type simpleJWTLoginJSON struct {
	User    simpleJWTUserJSON `json:"user"`
	Refresh string            `json:"refresh"`
	Access  string            `json:"access"`
}

// POST /api/auth/login/ {email, password}: {"user", "refresh", "access"}.
func (j simpleJWT) login(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := j.passwordLogin(w, r, c, "email")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, simpleJWTLoginJSON{User: toSimpleJWTUser(st.User), Refresh: st.RefreshToken, Access: st.AccessToken})
	return nil
}

type simpleJWTRegisterJSON struct {
	User    *simpleJWTUserJSON `json:"user,omitempty"`
	Refresh string             `json:"refresh,omitempty"`
	Token   string             `json:"token,omitempty"`
	Detail  string             `json:"detail,omitempty"`
}

// POST /api/auth/register/ {username, email, password}: create the account
// and log it in; 201 {"user", "refresh", "token"} (token is the access
// token). When the address must be verified first the answer is 201
// {"detail"} without tokens.
func (j simpleJWT) register(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := j.s.readForm(w, r)
	if err != nil {
		return err
	}
	v, err := requireStrings(f, "username", "email", "password")
	if err != nil {
		return err
	}
	st, err := j.s.compatSignup(r.Context(), c, account.SignupInput{Username: v[0], Email: v[1], Password: v[2]})
	switch {
	case errors.Is(err, errUnverified):
		writeJSON(w, http.StatusCreated, simpleJWTRegisterJSON{Detail: msgVerificationSent})
		return nil
	case err != nil:
		return err
	}
	u := toSimpleJWTUser(st.User)
	writeJSON(w, http.StatusCreated, simpleJWTRegisterJSON{User: &u, Refresh: st.RefreshToken, Token: st.AccessToken})
	return nil
}

type simpleJWTRefreshJSON struct {
	Access string `json:"access"`
}

// POST /api/token/refresh/ and /api/auth/refresh/ {refresh}: {"access"}.
// As simplejwt by default, the refresh token is not rotated: the tutorials'
// frontends keep their first one.
func (j simpleJWT) refresh(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := j.s.readForm(w, r)
	if err != nil {
		return err
	}
	v, err := requireStrings(f, "refresh")
	if err != nil {
		return err
	}
	access, err := j.s.svc.Tokens.RefreshAccess(r.Context(), v[0])
	if errors.Is(err, account.ErrInvalidRefresh) {
		return errTokenNotValid
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, simpleJWTRefreshJSON{Access: access})
	return nil
}

// POST /api/token/verify/ {token}: 200 {} when the access token is valid and
// its session still open. Refresh tokens cannot be verified without spending
// them: they get the same 401 as an invalid token.
func (j simpleJWT) verify(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := j.s.readForm(w, r)
	if err != nil {
		return err
	}
	v, err := requireStrings(f, "token")
	if err != nil {
		return err
	}
	st, err := j.s.svc.Tokens.ResolveBearer(r.Context(), c.st.Client, v[0])
	if errors.Is(err, latch.ErrSessionGone) {
		return errTokenNotValid
	}
	if err != nil {
		return err
	}
	if !st.Authenticated() {
		return errTokenNotValid
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// POST /api/token/blacklist/ {refresh}: 200 {}; the token's session ends,
// and with it the whole token family and its access tokens.
func (j simpleJWT) blacklist(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := j.s.readForm(w, r)
	if err != nil {
		return err
	}
	v, err := requireStrings(f, "refresh")
	if err != nil {
		return err
	}
	err = j.s.svc.Tokens.RevokeRefresh(account.WithClient(r.Context(), c.st.Client), v[0])
	if errors.Is(err, account.ErrInvalidRefresh) {
		return errTokenNotValid
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

type simpleJWTTokenMessage struct {
	TokenClass string `json:"token_class"`
	TokenType  string `json:"token_type"`
	Message    string `json:"message"`
}

type simpleJWTAuthFailedJSON struct {
	Detail   string                  `json:"detail"`
	Code     string                  `json:"code"`
	Messages []simpleJWTTokenMessage `json:"messages"`
}

// simpleJWTDenied is the 401 simplejwt's JWTAuthentication answers a
// caller without a valid access token.
func simpleJWTDenied(tokenSent bool) error {
	if !tokenSent {
		return &compatError{status: http.StatusUnauthorized, body: detailBody{Detail: msgNotAuthenticated}, challenge: simpleJWTChallenge}
	}
	return &compatError{status: http.StatusUnauthorized, challenge: simpleJWTChallenge, body: simpleJWTAuthFailedJSON{
		Detail: "Given token not valid for any token type", Code: "token_not_valid",
		Messages: []simpleJWTTokenMessage{{TokenClass: "AccessToken", TokenType: "access", Message: "Token is invalid or expired"}},
	}}
}

// GET /api/user/: every user, most recently updated first, to a superuser
// (at most simpleJWTUserLimit); only the caller to anyone else.
func (j simpleJWT) users(w http.ResponseWriter, r *http.Request, c *call) error {
	users, err := j.s.svc.Users.ListUsers(r.Context(), c.st, simpleJWTUserLimit)
	if err != nil {
		return err
	}
	out := make([]simpleJWTUserJSON, len(users))
	for i := range users {
		out[i] = toSimpleJWTUser(&users[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /api/user/{public_id}/: a user; to anyone but a superuser, only
// themselves (others are 404, as if absent).
func (j simpleJWT) user(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := j.s.svc.Users.User(r.Context(), c.st, r.PathValue("public_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSimpleJWTUser(u))
	return nil
}
