package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// The django-session surface: the JSON views of the "Django session-based
// auth for single-page apps" tutorial (testdriven.io), whose React frontend
// fetches the CSRF token from GET /api/csrf/, posts {username, password} to
// /api/login/ with it in X-CSRFToken, asks /api/session/ and /api/whoami/,
// and logs out with GET /api/logout (redirected, as Django's APPEND_SLASH
// does, by the router). The session is the core's browser session in the
// sessionid cookie; unsafe methods pass Django's CSRF checks.

// djangoSession serves the django-session surface.
type djangoSession struct{ s *Server }

// GET /api/csrf/: the CSRF token in the X-CSRFToken response header (masked,
// as Django's get_token gives it) and, when the client has none yet, the
// csrftoken cookie.
func (d djangoSession) csrf(w http.ResponseWriter, r *http.Request, c *call) error {
	secret := c.csrf
	if secret == "" {
		secret = unmaskCSRF(cookieValue(r, csrfCookie))
	}
	h := w.Header()
	h.Set(csrfHeader, maskCSRF(secret))
	if h.Get("Access-Control-Allow-Origin") != "" {
		// A frontend on another origin reads the token from this header (the
		// tutorial's CORS_EXPOSE_HEADERS).
		exposed := csrfHeader
		if prev := h.Get("Access-Control-Expose-Headers"); prev != "" {
			exposed = prev + ", " + exposed
		}
		h.Set("Access-Control-Expose-Headers", exposed)
	}
	writeJSON(w, http.StatusOK, detailBody{Detail: "CSRF cookie set"})
	return nil
}

// maskCSRF returns secret in Django's masked form (a random mask followed by
// the secret shifted by it), different on every call so that a token in a
// response cannot be recovered by compression attacks (BREACH). unmaskCSRF
// reverses it; secret must be a valid 32-character token.
func maskCSRF(secret string) string {
	mask := randomString(len(secret))
	n := len(csrfChars)
	out := make([]byte, len(secret))
	for i := range out {
		x := strings.IndexByte(csrfChars, secret[i])
		y := strings.IndexByte(csrfChars, mask[i])
		out[i] = csrfChars[(x+y)%n]
	}
	return mask + string(out)
}

// POST /api/login/ {username, password}: log in (by email when username is
// not a login method). The session cookie and, as Django rotates it at
// login, a new CSRF token come with the answer.
func (d djangoSession) login(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := d.s.readForm(w, r)
	if err != nil {
		return err
	}
	username, password := f.strPtr("username"), f.strPtr("password")
	if username == nil || password == nil {
		return detailError(http.StatusBadRequest, "Please provide username and password.")
	}
	st, err := d.s.passwordLogin(r.Context(), c, "username", *username, *password)
	switch {
	case errors.Is(err, errBadCredentials):
		return detailError(http.StatusBadRequest, "Invalid credentials.")
	case errors.Is(err, errUnverified):
		return detailError(http.StatusBadRequest, msgUnverified)
	case errors.Is(err, errSecondFactor):
		return detailError(http.StatusBadRequest, msgSecondFactor)
	case err != nil:
		return err
	}
	d.s.applySession(w, c, st)
	writeJSON(w, http.StatusOK, detailBody{Detail: "Successfully logged in."})
	return nil
}

// GET /api/logout/: end the session server-side and clear its cookie.
// Logging out by GET is the tutorial's; it ends the session only for a
// request the browser marks as coming from a trusted page (sameOriginGET),
// so that another site cannot log the user out with a link or an image.
func (d djangoSession) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if reason := d.sameOriginGET(r); reason != "" {
		return detailError(http.StatusForbidden, "CSRF Failed: "+reason)
	}
	if !c.st.Authenticated() {
		return detailError(http.StatusBadRequest, "You're not logged in.")
	}
	st, err := d.s.svc.Sessions.Logout(r.Context(), c.st)
	if err != nil {
		return err
	}
	d.s.applySession(w, c, st)
	writeJSON(w, http.StatusOK, detailBody{Detail: "Successfully logged out."})
	return nil
}

type djangoSessionJSON struct {
	IsAuthenticated bool `json:"isAuthenticated"`
}

// GET /api/session/: whether the caller is logged in.
func (d djangoSession) session(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, djangoSessionJSON{IsAuthenticated: c.st.Authenticated()})
	return nil
}

type djangoWhoamiJSON struct {
	Username string `json:"username"`
}

// GET /api/whoami/: the caller's username, or {"isAuthenticated": false}.
func (d djangoSession) whoami(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.st.Authenticated() {
		writeJSON(w, http.StatusOK, djangoSessionJSON{IsAuthenticated: false})
		return nil
	}
	writeJSON(w, http.StatusOK, djangoWhoamiJSON{Username: compatUsername(c.st.User)})
	return nil
}

// sameOriginGET checks that a GET with a side effect comes from a page the
// server trusts, and returns why not (Django's wording) or "". A browser
// must say so positively: Sec-Fetch-Site: same-origin, or an Origin — else
// a Referer — on the server's own origin or a trusted one (the CSRF check's
// rules, http.CrossOriginProtection). A request carrying none of these is
// refused: it may come from a browser without Fetch Metadata following
// another site's link, and the tutorial's own fetch always carries one.
func (d djangoSession) sameOriginGET(r *http.Request) string {
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return ""
	}
	origin, what := r.Header.Get("Origin"), "Origin"
	if origin == "" {
		what = "Referer"
		if ref := r.Header.Get("Referer"); ref != "" {
			origin = ref
			if u, err := url.Parse(ref); err == nil && u.Scheme != "" && u.Host != "" {
				origin = u.Scheme + "://" + u.Host
			}
		}
	}
	if origin == "" {
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
			return "Origin checking failed - " + truncate(site, 20) + " request without an Origin header."
		}
		return "Referer checking failed - no Referer."
	}
	// The CSRF origin check, applied as to an unsafe request from origin.
	probe := &http.Request{Method: http.MethodPost, Host: r.Host, URL: r.URL, Header: http.Header{"Origin": {origin}}}
	if d.s.cop.Check(probe) != nil {
		return what + " checking failed - " + truncate(origin, 200) + " does not match any trusted origins."
	}
	return ""
}
