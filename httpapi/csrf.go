package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"
)

// csrfChars is Django's CSRF alphabet; tokens are 32 of them (190 bits).
const csrfChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func newCSRFToken() string {
	return randomString(32)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		// 256 % 62 != 0, so reject the top values to keep the choice uniform.
		for b[i] >= 248 {
			var one [1]byte
			rand.Read(one[:])
			b[i] = one[0]
		}
		b[i] = csrfChars[int(b[i])%len(csrfChars)]
	}
	return string(b)
}

func validCSRFToken(t string) bool {
	if len(t) != 32 && len(t) != 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		// csrfChars, compared by range rather than searched.
		if c := t[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// unmaskCSRF returns the secret of a token: a 32-character token is the
// secret itself; a 64-character one is Django's masked form (mask ‖ cipher).
func unmaskCSRF(t string) string {
	if len(t) != 64 {
		return t
	}
	mask, cipher := t[:32], t[32:]
	out := make([]byte, 32)
	n := len(csrfChars)
	for i := range out {
		x := strings.IndexByte(csrfChars, cipher[i])
		y := strings.IndexByte(csrfChars, mask[i])
		out[i] = csrfChars[((x-y)%n+n)%n]
	}
	return string(out)
}

type csrfError struct{ code, message string }

// checkCSRF applies both checks an unsafe browser request must pass: the
// request's origin must be the server's own or a trusted one (Origin and
// Sec-Fetch-Site, by http.CrossOriginProtection), and the X-CSRFToken header
// must echo the csrftoken cookie, as Django requires. A refusal names the
// check that failed and the setting that would let a legitimate frontend in.
func (s *Server) checkCSRF(r *http.Request) *csrfError {
	if err := s.cop.Check(r); err != nil {
		origin := r.Header.Get("Origin")
		if origin == "" {
			origin = "(no Origin header; Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site") + ")"
		}
		return &csrfError{"csrf_origin", "CSRF origin check failed: requests from " + origin +
			" are not trusted for " + r.Host + ". If this is your frontend, add its origin to LATCH_CORS_ALLOWED_ORIGINS" +
			" (cross-origin SPA) or LATCH_CSRF_TRUSTED_ORIGINS (same site behind a proxy), or set LATCH_PUBLIC_URL to the URL users reach Latch at."}
	}
	cookie := cookieValue(r, csrfCookie)
	header := r.Header.Get(csrfHeaderKey)
	switch {
	case cookie == "":
		return &csrfError{"csrf_cookie_missing", "CSRF check failed: the csrftoken cookie is missing. " +
			"Make any GET request to the browser API first (e.g. GET /_allauth/browser/v1/config) to receive it; " +
			"a cross-origin frontend must send requests with credentials included."}
	case header == "":
		return &csrfError{"csrf_header_missing", "CSRF check failed: the X-CSRFToken header is missing. " +
			"Send the value of the csrftoken cookie in an X-CSRFToken header on POST, PUT, PATCH and DELETE requests."}
	case !validCSRFToken(header) || !validCSRFToken(cookie) ||
		subtle.ConstantTimeCompare([]byte(unmaskCSRF(header)), []byte(unmaskCSRF(cookie))) != 1:
		return &csrfError{"csrf_token_mismatch", "CSRF check failed: the X-CSRFToken header does not match the csrftoken cookie. " +
			"The cookie changes at login: read it again before each request."}
	}
	return nil
}
