package httpapi

import (
	"errors"
	"net/http"

	"github.com/latchauth/latch/account"
)

// The drf-jwt surface: djangorestframework-jwt as the "Django + React JWT
// authentication" tutorials use it. The frontend posts {username, password}
// to /token-auth/, keeps the token in localStorage, sends it as
// "Authorization: JWT <token>" to /core/current_user/, and signs up at
// /core/users/. The token is the core's access token for a new
// token-addressed session; it expires after the access-token lifetime (five
// minutes by default, as djangorestframework-jwt's), and stops working as
// soon as that session ends (password change, deactivation).

// drfJWT serves the drf-jwt surface.
type drfJWT struct{ s *Server }

// drfJWTDenied is djangorestframework-jwt's 401 to a caller without a valid
// token.
func drfJWTDenied(tokenSent bool) error {
	msg := msgNotAuthenticated
	if tokenSent {
		msg = "Signature has expired or is invalid."
	}
	return &compatError{status: http.StatusUnauthorized, body: detailBody{Detail: msg}, challenge: drfJWTChallenge}
}

// drfJWTChallenge is djangorestframework-jwt's WWW-Authenticate challenge.
const drfJWTChallenge = `JWT realm="api"`

// drfJWTUserJSON is the tutorial's UserSerializer: the username only.
type drfJWTUserJSON struct {
	Username string `json:"username"`
}

type drfJWTLoginJSON struct {
	Token string         `json:"token"`
	User  drfJWTUserJSON `json:"user"`
}

// POST /token-auth/ {username, password}: {"token": <access token>, "user":
// {"username"}}. The identifier is taken as an email address when username
// is not a login method.
func (j drfJWT) login(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := j.s.readForm(w, r)
	if err != nil {
		return err
	}
	v, err := requireStrings(f, "username", "password")
	if err != nil {
		return err
	}
	st, err := j.s.passwordLogin(r.Context(), c, "username", v[0], v[1])
	switch {
	case errors.Is(err, errBadCredentials):
		return &compatError{status: http.StatusBadRequest,
			body: map[string][]string{"non_field_errors": {"Unable to log in with provided credentials."}}}
	case errors.Is(err, errUnverified):
		return &compatError{status: http.StatusBadRequest, body: map[string][]string{"non_field_errors": {msgUnverified}}}
	case errors.Is(err, errSecondFactor):
		return &compatError{status: http.StatusBadRequest, body: map[string][]string{"non_field_errors": {msgSecondFactor}}}
	case err != nil:
		return err
	}
	if err := j.s.compatTokens(r.Context(), st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, drfJWTLoginJSON{Token: st.AccessToken, User: drfJWTUserJSON{Username: compatUsername(st.User)}})
	return nil
}

// GET /core/current_user/ with "Authorization: JWT <token>" (or Bearer):
// {"username"}.
func (j drfJWT) currentUser(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, drfJWTUserJSON{Username: compatUsername(c.st.User)})
	return nil
}

type drfJWTSignupJSON struct {
	Username string `json:"username"`
	Token    string `json:"token,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// POST /core/users/ {username, password, email}: create the account and log
// it in; 201 {"username", "token"}. When the address must be verified first
// the answer is 201 {"username", "detail"} without a token.
func (j drfJWT) signup(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := j.s.readForm(w, r)
	if err != nil {
		return err
	}
	v, err := requireStrings(f, "username", "password")
	if err != nil {
		return err
	}
	email := f.str("email")
	if err := f.err(); err != nil {
		return err
	}
	st, err := j.s.compatSignup(r.Context(), c, account.SignupInput{Email: email, Username: v[0], Password: v[1]})
	switch {
	case errors.Is(err, errUnverified):
		writeJSON(w, http.StatusCreated, drfJWTSignupJSON{Username: v[0], Detail: msgVerificationSent})
		return nil
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusCreated, drfJWTSignupJSON{Username: compatUsername(st.User), Token: st.AccessToken})
	return nil
}
