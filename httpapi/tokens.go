package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/jsonstr"
)

// tokensAPI serves the token endpoints: refresh for the app, access tokens for
// the browser, and the JWKS.
type tokensAPI struct{ s *Server }

// POST /_allauth/app/v1/tokens/refresh {refresh_token}: the next token pair.
// A refused token is a plain {"status": 400}, as allauth answers.
func (a tokensAPI) refreshTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
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
	access, refresh, err := a.s.svc.Tokens.Refresh(account.WithClient(r.Context(), c.st.Client), token)
	if errors.Is(err, account.ErrInvalidRefresh) {
		writeJSON(w, http.StatusBadRequest, envelope{Status: http.StatusBadRequest})
		return nil
	}
	if err != nil {
		return err
	}
	buf := bodyBuffer()
	defer recycle(buf)
	buf.Write(appendTokenPairJSON(buf.AvailableBuffer(), access, refresh))
	writeBody(w, http.StatusOK, buf.Bytes())
	return nil
}

// appendTokenPairJSON appends the 200 answer of a refresh, byte for byte as
// writeJSON encodes it: written by hand, as the session answer is, because
// encoding/json's reflection was ~3 % of a refresh.
func appendTokenPairJSON(b []byte, access, refresh string) []byte {
	b = append(b, `{"status":200,"data":{"access_token":`...)
	b = jsonstr.Append(b, access, true)
	b = append(b, `,"refresh_token":`...)
	b = jsonstr.Append(b, refresh, true)
	return append(b, "}}\n"...)
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
func (a tokensAPI) browserAccessToken(w http.ResponseWriter, r *http.Request, c *call) error {
	token, exp, err := a.s.svc.Tokens.AccessToken(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: accessTokenJSON{AccessToken: token,
		ExpiresAt: exp.Unix(), ExpiresIn: int64(a.s.svc.Config().Tokens.AccessTTL / time.Second)}})
	return nil
}

// GET /.well-known/jwks.json: the public keys of every signing key still
// valid, for verifying access tokens offline. Caches may keep it for less
// than keyring.PublishDelay (a new key is published that long before it
// signs, nodes reloading every 5 s), so a cached copy always knows the
// signing key; verifiers also refetch when they meet an unknown kid.
func (a tokensAPI) jwks(w http.ResponseWriter, r *http.Request) {
	body := a.s.cfg.JWKS()
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age=25")
	// Anyone may read public keys; no credentials are involved.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Del("Access-Control-Allow-Credentials")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}
