package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// Cookie and header names, as Django and allauth use them.
const (
	sessionCookie = "sessionid"
	csrfCookie    = "csrftoken"
	csrfHeader    = "X-CSRFToken"
	tokenHeader   = "X-Session-Token"
	// csrfHeaderKey is csrfHeader in canonical form, which Header.Get looks
	// up without first converting (and allocating) a canonical copy.
	csrfHeaderKey = "X-Csrftoken"
)

// call is one request to a headless endpoint, after the session is resolved.
type call struct {
	kind latch.ClientKind
	st   *account.State
	anon account.State // a fresh anonymous state, for 410 answers
	// csrf is a CSRF token to set as the csrftoken cookie with the response.
	csrf string
	// cw wraps a browser request's ResponseWriter; it lives here to save an
	// allocation per request.
	cw cookieWriter
	// actor is the caller of an admin route (admin.go).
	actor account.Actor
}

// handlerFunc is a headless endpoint. It returns an error for anything but
// success; writeError turns it into JSON.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// api wraps a headless route for its client tree: the browser tree checks
// CSRF on unsafe methods and keeps the session in a cookie; the app tree
// reads X-Session-Token and never sets cookies. A caller the route's access
// level refuses gets what the core answers such a caller: allauth's 401
// with the flows open to it, or a 403 for a logged-in caller not staff.
func (s *Server) api(rt route) http.Handler {
	kind, h := rt.surface.clientKind(), rt.h
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := latch.Client{Kind: kind, IP: s.clientIP(r), UserAgent: userAgent(r), Device: deviceToken(r, kind),
			Trust: trustToken(r, kind)}
		c := &call{kind: kind, anon: account.State{Client: client}}
		var key string
		var refused *csrfError // an anonymous token with a session cookie: good only if it names no session
		if kind == latch.Browser {
			c.cw = cookieWriter{ResponseWriter: w, s: s, c: c}
			w = &c.cw
			key = cookieValue(r, sessionCookie)
			if !s.csrfKey.bound(cookieValue(r, csrfCookie), key) {
				c.csrf = s.csrfKey.newToken(key)
			}
			if !safeMethod(r.Method) {
				formCSRF(r, rt, s.cfg.MaxBodyBytes)
				if refused = s.checkCSRF(r, key); refused != nil && !s.csrfKey.anonymousOnly(r, refused, key) {
					writeJSON(w, http.StatusForbidden, errorBody(http.StatusForbidden, refused.code, refused.message))
					return
				}
			}
		} else {
			key = headerValue(r.Header, tokenHeader)
		}
		var st *account.State
		var err error
		if bearer := bearerToken(r); key == "" && bearer != "" && kind == latch.App {
			// The JWT strategy's access token stands in for the session token.
			st, err = s.svc.Tokens.ResolveBearer(r.Context(), client, bearer)
		} else {
			st, err = s.svc.Sessions.Resolve(r.Context(), client, key)
		}
		if err != nil {
			c.st = &c.anon
			s.writeError(w, r, c, err)
			return
		}
		c.st = st
		if kind == latch.Browser && st.Ended {
			s.clearSessionCookie(w, c)
		}
		if refused != nil && st.Session != nil {
			writeJSON(w, http.StatusForbidden, errorBody(http.StatusForbidden, refused.code, refused.message))
			return
		}
		if err := refuse(rt.access, st); err != nil {
			s.writeError(w, r, c, err)
			return
		}
		if err := h(w, r, c); err != nil {
			s.writeError(w, r, c, err)
		}
	})
}

// refuse returns the core's error for a caller that access does not admit:
// latch.ErrUnauthenticated for one not logged in, latch.ErrForbidden for
// one not staff where staff is required; nil for a caller it admits.
func refuse(acc access, st *account.State) error {
	switch {
	case acc == anyone:
		return nil
	case !st.Authenticated():
		return latch.ErrUnauthenticated
	case acc == staff && !st.User.IsStaff:
		return latch.ErrForbidden
	}
	return nil
}

// cookieWriter adds the CSRF cookie decided during the request just before
// the response header is written.
type cookieWriter struct {
	http.ResponseWriter
	s     *Server
	c     *call
	wrote bool
}

func (cw *cookieWriter) WriteHeader(status int) {
	if !cw.wrote {
		cw.wrote = true
		if cw.c.csrf != "" {
			http.SetCookie(cw.ResponseWriter, &http.Cookie{
				Name: csrfCookie, Value: cw.c.csrf, Path: "/", Domain: cw.s.cfg.CookieDomain,
				MaxAge: 365 * 24 * 3600, Secure: cw.s.secure, SameSite: cw.s.cfg.CookieSameSite,
				HttpOnly: cw.s.cfg.CSRFCookieHTTPOnly,
			})
		}
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *cookieWriter) Write(b []byte) (int, error) {
	if !cw.wrote {
		cw.WriteHeader(http.StatusOK)
	}
	return cw.ResponseWriter.Write(b)
}

func (cw *cookieWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// applySession carries a session change to the client: a new key becomes the
// browser's cookie (with a new CSRF token bound to it, as Django rotates it
// at login) or the app's session_token; an ended session clears the
// browser's cookie (and its CSRF token is replaced by an anonymous one).
// It returns the token to put in meta for the app client.
func (s *Server) applySession(w http.ResponseWriter, c *call, st *account.State) string {
	s.applyDevice(w, c.kind, st)
	mfaAPI{s}.applyTrust(w, c.kind, st)
	switch {
	case st.NewKey != "" && c.kind == latch.Browser:
		http.SetCookie(w, &http.Cookie{
			Name: sessionCookie, Value: st.NewKey, Path: "/", Domain: s.cfg.CookieDomain,
			Expires: st.Session.MaxExpires, HttpOnly: true, Secure: s.secure, SameSite: s.cfg.CookieSameSite,
		})
		c.csrf = s.csrfKey.newToken(st.NewKey)
	case st.NewKey != "":
		return st.NewKey
	case st.Ended && c.kind == latch.Browser:
		s.clearSessionCookie(w, c)
	}
	return ""
}

// clearSessionCookie clears the browser's session cookie, unless the
// response already sets it, and gives it a CSRF token for no session.
func (s *Server) clearSessionCookie(w http.ResponseWriter, c *call) {
	for _, v := range w.Header().Values("Set-Cookie") {
		if strings.HasPrefix(v, sessionCookie+"=") {
			return
		}
	}
	c.csrf = s.csrfKey.newToken("")
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", Domain: s.cfg.CookieDomain, MaxAge: -1,
		Expires: time.Unix(0, 0), HttpOnly: true, Secure: s.secure, SameSite: s.cfg.CookieSameSite,
	})
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	h := headerValue(r.Header, "Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// cookieValue returns the value of the first well-formed cookie called name
// (a valid cookie name), as r.Cookie(name) does, but without allocating.
func cookieValue(r *http.Request, name string) string {
	lines := r.Header["Cookie"]
	if cookieCapSet || countCookies(lines) > defaultCookieCap {
		// net/http reads no cookie past its cap: leave it to decide.
		c, err := r.Cookie(name)
		if err != nil {
			return ""
		}
		return c.Value
	}
	for _, line := range lines {
		for line = textproto.TrimString(line); line != ""; {
			var part string
			part, line, _ = strings.Cut(line, ";")
			key, value, _ := strings.Cut(textproto.TrimString(part), "=")
			if textproto.TrimString(key) != name {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			if validCookieValue(value) {
				return value
			}
		}
	}
	return ""
}

// defaultCookieCap is net/http's default cap on the cookies of a request.
const defaultCookieCap = 3000

// cookieCapSet reports that GODEBUG's httpcookiemaxnum may change that cap
// (set in the environment at startup or built into the binary).
var cookieCapSet = func() bool {
	if strings.Contains(os.Getenv("GODEBUG"), "httpcookiemaxnum") {
		return true
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "DefaultGODEBUG" && strings.Contains(s.Value, "httpcookiemaxnum") {
				return true
			}
		}
	}
	return false
}()

// countCookies counts cookies as net/http does against its cap.
func countCookies(lines []string) int {
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	return n
}

// validCookieValue reports whether net/http accepts v as a cookie value.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// clientIP is the peer address, or — behind TrustedProxyCount proxies — the
// address the outermost trusted proxy saw, taken from X-Forwarded-For.
func (s *Server) clientIP(r *http.Request) string {
	if n := s.cfg.TrustedProxyCount; n > 0 {
		if ip, ok := forwardedFor(r.Header.Values("X-Forwarded-For"), n); ok {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedFor returns the n-th last address of the X-Forwarded-For values
// read as one comma-separated list, if there are n and it is an IP address
// (as net.ParseIP takes it: no zone), without splitting the list.
func forwardedFor(values []string, n int) (string, bool) {
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for {
			comma := strings.LastIndexByte(v, ',')
			if n--; n == 0 {
				ip := strings.TrimSpace(v[comma+1:])
				addr, err := netip.ParseAddr(ip)
				return ip, err == nil && addr.Zone() == ""
			}
			if comma < 0 {
				break
			}
			v = v[:comma]
		}
	}
	return "", false
}

// headerValue returns the first value of the request header named key,
// which must be in canonical form, as net/http stores incoming names (the
// constants passed here are; a test checks them). It is Header.Get without
// the canonicalisation, which scans key on every call of the hot path.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// userAgent returns the request's User-Agent, cut to the 512 bytes kept.
func userAgent(r *http.Request) string {
	return truncate(headerValue(r.Header, "User-Agent"), 512)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
