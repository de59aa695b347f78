package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// csrfChars is Django's CSRF alphabet; tokens are 32 of them, as Django's.
const csrfChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// A CSRF token is bound to the session it was issued with: its 32
// characters are a random salt (16 characters, 95 bits) followed by an HMAC
// (16 characters, 95 bits) keyed from the master secret over the salt and
// the session's identity — the SHA-256 of the session key the browser holds
// (its sessionid cookie), or a fixed anonymous context when it holds none.
// The token is still a plain Django-shaped csrftoken cookie that JavaScript
// reads and echoes in X-CSRFToken, so every frontend works as with Django,
// but a csrftoken pair obtained by another client (with another session, or
// none) is refused with this one's session cookie. A new token is issued
// whenever the session key changes (login, logout, rotation), and whenever
// the cookie a request brings was not issued for its session.
const (
	csrfSaltLen = 16
	csrfMACLen  = 16
)

// csrfKey is the HMAC key of CSRF tokens, kept as its two padded blocks so
// that a token is made and checked without allocating.
type csrfKey struct{ ipad, opad [sha256.BlockSize]byte }

func newCSRFKey(secret []byte) *csrfKey {
	if len(secret) == 0 {
		// Without a configured key (tests, embedding): a random one, good
		// for this process only.
		secret = make([]byte, 32)
		rand.Read(secret)
	}
	if len(secret) > sha256.BlockSize {
		sum := sha256.Sum256(secret)
		secret = sum[:]
	}
	k := &csrfKey{}
	for i := range sha256.BlockSize {
		var b byte
		if i < len(secret) {
			b = secret[i]
		}
		k.ipad[i], k.opad[i] = b^0x36, b^0x5c
	}
	return k
}

// mac writes the MAC characters of salt for sessionKey ("" for a caller
// without a session) into out: HMAC-SHA256(key, context ‖ salt), each of
// its first bytes mapped onto csrfChars.
func (k *csrfKey) mac(out []byte, salt, sessionKey string) {
	var inner [sha256.BlockSize + 1 + sha256.Size + csrfSaltLen]byte
	n := copy(inner[:], k.ipad[:])
	if sessionKey == "" {
		inner[n] = 'a' // the anonymous context
		n++
	} else {
		inner[n] = 's'
		n++
		var buf [64]byte
		var id [sha256.Size]byte
		if len(sessionKey) <= len(buf) {
			id = sha256.Sum256(buf[:copy(buf[:], sessionKey)])
		} else {
			id = sha256.Sum256([]byte(sessionKey))
		}
		n += copy(inner[n:], id[:])
	}
	n += copy(inner[n:], salt)
	sum := sha256.Sum256(inner[:n])
	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], k.opad[:])
	copy(outer[sha256.BlockSize:], sum[:])
	sum = sha256.Sum256(outer[:])
	for i := range out {
		out[i] = csrfChars[int(sum[i])%len(csrfChars)]
	}
}

// newToken returns a new token bound to sessionKey ("" for none).
func (k *csrfKey) newToken(sessionKey string) string {
	b := []byte(randomString(csrfSaltLen + csrfMACLen))
	k.mac(b[csrfSaltLen:], string(b[:csrfSaltLen]), sessionKey)
	return string(b)
}

// SessionCSRFToken returns a csrftoken cookie value that a server whose
// Config.CSRFKey is key accepts with the session cookie sessionKey ("" for a
// caller without a session), as it would issue it — for load generators
// that send seeded sessions' cookies without first asking for a token.
func SessionCSRFToken(key []byte, sessionKey string) string {
	return newCSRFKey(key).newToken(sessionKey)
}

// bound reports whether token (a csrftoken cookie, plain or in Django's
// masked form) was issued for sessionKey.
func (k *csrfKey) bound(token, sessionKey string) bool {
	if !validCSRFToken(token) {
		return false
	}
	if len(token) == 64 {
		token = unmaskCSRF(token)
	}
	var want [csrfMACLen]byte
	k.mac(want[:], token[:csrfSaltLen], sessionKey)
	return subtle.ConstantTimeCompare(want[:], []byte(token[csrfSaltLen:])) == 1
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

// anonymousOnly reports whether a refusal is only that the csrftoken
// cookie was issued for no session while the request carries a session
// cookie. Such a request may go on if that cookie names no live session (it
// expired, or was never Latch's): the caller is anonymous, and the token is
// right for an anonymous caller. The caller checks that after resolving.
func (k *csrfKey) anonymousOnly(r *http.Request, e *csrfError, sessionKey string) bool {
	return e.code == "csrf_token_invalid" && sessionKey != "" && k.bound(cookieValue(r, csrfCookie), "")
}

// checkCSRF applies both checks an unsafe browser request must pass: the
// request's origin must be the server's own or a trusted one (Origin and
// Sec-Fetch-Site, by http.CrossOriginProtection), and the X-CSRFToken header
// must echo the csrftoken cookie, as Django requires, and that cookie must
// have been issued for the session the request carries (sessionKey, "" for
// none). A refusal names the check that failed and the setting that would
// let a legitimate frontend in.
func (s *Server) checkCSRF(r *http.Request, sessionKey string) *csrfError {
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
	case !s.csrfKey.bound(cookie, sessionKey):
		return &csrfError{"csrf_token_invalid", "CSRF check failed: the csrftoken cookie was not issued for this session. " +
			"It changes at login and logout; a new one came with this answer: read it again and retry."}
	}
	return nil
}
