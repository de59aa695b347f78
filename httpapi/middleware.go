package httpapi

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// serveRecovering serves r with h, turning a panic into a logged stack and
// a JSON 500, so that a bug never shows a stack trace to the client.
func (s *Server) serveRecovering(h http.Handler, w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			writeJSON(w, http.StatusInternalServerError, errorBody(http.StatusInternalServerError, "internal_error",
				"Something went wrong on our side; it has been logged."))
		}
	}()
	h.ServeHTTP(w, r)
}

// Constant header values, shared by all responses so that setting one costs
// no allocation. Being shared, they must never be modified in place; nothing
// does: net/http and the handlers replace values (Set) or append to them
// (Add), and appending to one of these, full to capacity, copies it.
var (
	headerNosniff    = []string{"nosniff"}
	headerDeny       = []string{"DENY"}
	headerSameOrigin = []string{"same-origin"}
	headerCSP        = []string{"default-src 'none'; frame-ancestors 'none'"}
	headerNoStore    = []string{"no-store, no-cache, must-revalidate, private, max-age=0"}
	headerHSTS       = []string{"max-age=31536000; includeSubDomains"}
	headerJSON       = []string{"application/json"}
	headerOrigin     = []string{"Origin"}
	headerTrue       = []string{"true"}
	headerExposed    = []string{"Retry-After, X-Device-Token"}
)

// setSecurityHeaders sets the headers every API answer carries: never
// cached (answers carry sessions and tokens), never sniffed, framed or
// allowed to load anything. Headers that only act on documents
// (X-Frame-Options, Referrer-Policy, Cross-Origin-Opener-Policy) are left to
// the web app's pages (package web), which set their own; on a JSON answer
// they do nothing, and every header costs each answer a map entry.
func (s *Server) setSecurityHeaders(hd http.Header) {
	hd["X-Content-Type-Options"] = headerNosniff
	hd["Content-Security-Policy"] = headerCSP
	hd["Cache-Control"] = headerNoStore
	if s.secure {
		hd["Strict-Transport-Security"] = headerHSTS
	}
}

// Headers a cross-origin frontend may send: allauth's own plus Authorization.
const corsAllowHeaders = "Content-Type, X-CSRFToken, X-Session-Token, X-Email-Verification-Key, X-Password-Reset-Key, X-Device-Token, Authorization"

// corsHeaders lets the configured origins call the API with credentials, and
// answers their preflights. Other origins get no CORS headers, so browsers
// keep their responses from scripts; their preflights get a JSON 403 that
// names the setting to change. It reports whether it answered the request
// itself (a preflight).
func (s *Server) corsHeaders(w http.ResponseWriter, r *http.Request, origin string) (answered bool) {
	hd := w.Header()
	if vary := hd["Vary"]; len(vary) > 0 {
		hd["Vary"] = append(vary, "Origin")
	} else {
		hd["Vary"] = headerOrigin
	}
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	allowOrigin, allowed := s.cors[origin]
	if !allowed {
		if preflight {
			writeJSON(w, http.StatusForbidden, errorBody(http.StatusForbidden, "cors_origin_not_allowed",
				"Cross-origin requests from "+truncate(origin, 200)+" are not allowed. Add the origin to LATCH_CORS_ALLOWED_ORIGINS to allow it."))
			return true
		}
		return false
	}
	hd["Access-Control-Allow-Origin"] = allowOrigin
	hd["Access-Control-Allow-Credentials"] = headerTrue
	if preflight {
		hd.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
		hd.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		hd.Set("Access-Control-Max-Age", strconv.Itoa(600))
		hd.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	hd["Access-Control-Expose-Headers"] = headerExposed
	return false
}

// DefaultRequestTimeout is the deadline of a request when
// Config.RequestTimeout is not set.
const DefaultRequestTimeout = 10 * time.Second
