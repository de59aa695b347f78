package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/latchauth/latch"
)

// The drf-session surface: Django REST framework session login with HTTP
// Basic credentials, as in "Authentication with Django and Single Page Apps"
// (Mike Sukmanowsky, github.com/msukmanowsky/django-spa-auth). The frontend
// posts "Authorization: Basic …" to /api/auth/login and keeps the session
// cookie it gets; refusals carry no WWW-Authenticate challenge, so browsers
// show no login popup, and DRF then answers 403. The session is the core's
// browser session in the sessionid cookie. The tutorial's frontend sends no
// X-CSRFToken header, so unsafe methods pass the Origin check only.

// drfSession serves the drf-session surface.
type drfSession struct{ s *Server }

// drfSessionDenied is DRF's answer to a caller without a session where one
// is required: a 403, since the surface sends no WWW-Authenticate challenge.
func drfSessionDenied(bool) error { return detailError(http.StatusForbidden, msgNotAuthenticated) }

// drfSessionUserJSON is the user as the tutorial's UserSerializer gives it,
// plus public_id. Latch keeps no first and last names: they are empty.
type drfSessionUserJSON struct {
	ID         int64  `json:"id"`
	PublicID   string `json:"public_id"`
	Username   string `json:"username"`
	Email      string `json:"email"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	DateJoined string `json:"date_joined"`
}

func toDRFSessionUser(u *latch.User) drfSessionUserJSON {
	return drfSessionUserJSON{ID: numericID(u.PublicID), PublicID: u.PublicID, Username: u.Username, Email: u.Email,
		DateJoined: djangoTime(u.DateJoined)}
}

// numericID is a stable positive number for a user, for frontends that
// require a numeric id (the tutorial's validates "id" as a positive number):
// the first 52 bits of the public id, plus one. It stays below 2^53, so
// JavaScript reads it exactly, and it reveals nothing, unlike the internal
// row id, which is never shown.
func numericID(publicID string) int64 {
	hex := strings.ReplaceAll(publicID, "-", "")
	if len(hex) < 13 {
		return 1
	}
	n, err := strconv.ParseUint(hex[:13], 16, 64)
	if err != nil {
		return 1
	}
	return int64(n) + 1
}

// POST /api/auth/login with "Authorization: Basic <username:password>": log
// in (by email when username is not a login method); 200 with the user, the
// session cookie and a new CSRF token. Without Basic credentials DRF falls
// back to the session: a logged-in caller gets its user.
func (d drfSession) login(w http.ResponseWriter, r *http.Request, c *call) error {
	scheme, creds, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Basic") {
		if !c.st.Authenticated() {
			return detailError(http.StatusForbidden, msgNotAuthenticated)
		}
		writeJSON(w, http.StatusOK, toDRFSessionUser(c.st.User))
		return nil
	}
	if strings.TrimSpace(creds) == "" {
		return detailError(http.StatusForbidden, "Invalid basic header. No credentials provided.")
	}
	username, password, ok := r.BasicAuth()
	if !ok {
		return detailError(http.StatusForbidden, "Invalid basic header. Credentials not correctly base64 encoded.")
	}
	st, err := d.s.passwordLogin(r.Context(), c, "username", username, password)
	switch {
	case errors.Is(err, errBadCredentials):
		return detailError(http.StatusForbidden, "Invalid username/password.")
	case errors.Is(err, errUnverified):
		return detailError(http.StatusForbidden, msgUnverified)
	case errors.Is(err, errSecondFactor):
		return detailError(http.StatusForbidden, msgSecondFactor)
	case err != nil:
		return err
	}
	d.s.applySession(w, c, st)
	writeJSON(w, http.StatusOK, toDRFSessionUser(st.User))
	return nil
}

// POST /api/auth/logout: end the session server-side and clear its cookie.
func (d drfSession) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := d.s.svc.Sessions.Logout(r.Context(), c.st)
	if err != nil {
		return err
	}
	d.s.applySession(w, c, st)
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// GET /api/auth/me and /api/me: the logged-in user.
func (d drfSession) me(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, toDRFSessionUser(c.st.User))
	return nil
}
