package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

type tokenPairJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// POST /_allauth/app/v1/tokens/refresh {refresh_token}: the next token pair.
// A refused token is a plain {"status": 400}, as allauth answers.
func (s *Server) refreshTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	token := f.str("refresh_token")
	if err := f.err(); err != nil {
		return err
	}
	if token == "" {
		return latch.Invalid("refresh_token", "required", "This field is required.")
	}
	access, refresh, err := s.svc.Refresh(account.WithClient(r.Context(), c.st.Client), token)
	if errors.Is(err, account.ErrInvalidRefresh) {
		writeJSON(w, http.StatusBadRequest, envelope{Status: http.StatusBadRequest})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: tokenPairJSON{AccessToken: access, RefreshToken: refresh}})
	return nil
}

type accessTokenJSON struct {
	AccessToken string `json:"access_token"`
	ExpiresAt   int64  `json:"expires_at"`
	ExpiresIn   int64  `json:"expires_in"`
}

// POST /_allauth/browser/v1/tokens/access: a short-lived access token for
// the logged-in browser session, for calling services that verify JWTs. It
// is CSRF-protected like every unsafe browser request, names the session,
// and stops working at Latch the moment the session ends.
func (s *Server) browserAccessToken(w http.ResponseWriter, r *http.Request, c *call) error {
	token, exp, err := s.svc.AccessToken(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: accessTokenJSON{AccessToken: token,
		ExpiresAt: exp.Unix(), ExpiresIn: int64(s.svc.Config().Tokens.AccessTTL / time.Second)}})
	return nil
}

// GET /.well-known/jwks.json: the public keys of every signing key still
// valid, for verifying access tokens offline. Caches may keep it for less
// than keyring.PublishDelay (a new key is published that long before it
// signs, nodes reloading every 5 s), so a cached copy always knows the
// signing key; verifiers also refetch when they meet an unknown kid.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	body := s.cfg.JWKS()
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age=25")
	// Anyone may read public keys; no credentials are involved.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Del("Access-Control-Allow-Credentials")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// GET /auth/verify: forward authentication for nginx auth_request and
// Traefik ForwardAuth. A request carrying a valid session cookie, session
// token or access token gets 200 and the user in X-Latch-* headers for the
// proxy to pass on; anything else gets 401. The first credential present
// (access token, session token, cookie) decides, as in the API and the
// latchauth middleware: an invalid one is not rescued by another.
func (s *Server) forwardAuth(w http.ResponseWriter, r *http.Request) {
	client := latch.Client{IP: s.clientIP(r), UserAgent: truncate(r.UserAgent(), 512)}
	var st *account.State
	var err error
	switch {
	case bearerToken(r) != "":
		client.Kind = latch.Browser // never 410: forward auth only says yes or no
		st, err = s.svc.ResolveBearer(r.Context(), client, bearerToken(r))
	case r.Header.Get(tokenHeader) != "":
		client.Kind = latch.App
		st, err = s.svc.Resolve(r.Context(), client, r.Header.Get(tokenHeader))
	default:
		client.Kind = latch.Browser
		st, err = s.svc.Resolve(r.Context(), client, cookieValue(r, sessionCookie))
	}
	if err != nil && !errors.Is(err, latch.ErrSessionGone) {
		s.writeError(w, r, &call{st: &account.State{Client: client}}, err)
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
