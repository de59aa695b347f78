package httpapi

import (
	"errors"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// forwardAuth serves forward authentication, GET /auth/verify.
type forwardAuth struct{ s *Server }

// GET /auth/verify: forward authentication for nginx auth_request and
// Traefik ForwardAuth. A request carrying a valid session cookie, session
// token or access token gets 200 and the user in X-Latch-* headers for the
// proxy to pass on; anything else gets 401. The first credential present
// (access token, session token, cookie) decides, as in the API and the
// latchauth middleware: an invalid one is not rescued by another.
func (f forwardAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	client := latch.Client{IP: f.s.clientIP(r), UserAgent: userAgent(r)}
	var st *account.State
	var err error
	bearer, token := bearerToken(r), headerValue(r.Header, tokenHeader)
	switch {
	case bearer != "":
		client.Kind = latch.Browser // never 410: forward auth only says yes or no
		st, err = f.s.svc.Tokens.ResolveBearer(r.Context(), client, bearer)
	case token != "":
		client.Kind = latch.App
		st, err = f.s.svc.Sessions.Resolve(r.Context(), client, token)
	default:
		client.Kind = latch.Browser
		st, err = f.s.svc.Sessions.Resolve(r.Context(), client, cookieValue(r, sessionCookie))
	}
	if err != nil && !errors.Is(err, latch.ErrSessionGone) {
		f.s.writeError(w, r, &call{st: &account.State{Client: client}}, err)
		return
	}
	if err != nil || !st.Authenticated() {
		writeJSON(w, http.StatusUnauthorized, errorBody(http.StatusUnauthorized, "unauthenticated", "No valid session or access token."))
		return
	}
	u := st.User
	roles := 0
	if u.IsStaff {
		roles |= 1
	}
	if u.IsSuperuser {
		roles |= 2
	}
	// One backing array for the three values, each capped to its element.
	values := []string{u.PublicID, u.Email, u.Username}
	h := w.Header()
	h["X-Latch-User-Id"] = values[0:1:1]
	h["X-Latch-User-Email"] = values[1:2:2]
	h["X-Latch-Username"] = values[2:3:3]
	h["X-Latch-Roles"] = rolesHeader[roles]
	buf := bodyBuffer()
	defer recycle(buf)
	b := append(buf.AvailableBuffer(), `{"status":200,"data":{"user":`...)
	buf.Write(append(appendUserJSON(b, toUserJSON(u)), "}}\n"...))
	writeBody(w, http.StatusOK, buf.Bytes())
}

// rolesHeader is the X-Latch-Roles value by role bits (1 staff, 2 superuser),
// shared like the header values in middleware.go.
var rolesHeader = [4][]string{{""}, {"staff"}, {"superuser"}, {"staff,superuser"}}
