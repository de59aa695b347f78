package httpapi

import (
	"context"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// middleware wraps the routes, outermost first: request log, panic
// recovery, security headers, CORS.
func (s *Server) middleware(h http.Handler) http.Handler {
	return WithRequestID(newAccessLogger(s).wrap(s.recoverPanics(s.securityHeaders(s.corsHeaders(s.observe(h))))))
}

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

// recoverPanics turns a panic into a logged stack and a JSON 500, so a bug
// never shows a stack trace to the client.
func (s *Server) recoverPanics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	})
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

// securityHeaders sets the headers every response carries. API responses are
// never cached (they carry sessions and tokens) and never framed.
func (s *Server) securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["X-Content-Type-Options"] = headerNosniff
		hd["X-Frame-Options"] = headerDeny
		hd["Referrer-Policy"] = headerSameOrigin
		hd["Cross-Origin-Opener-Policy"] = headerSameOrigin
		hd["Content-Security-Policy"] = headerCSP
		hd["Cache-Control"] = headerNoStore
		if s.secure {
			hd["Strict-Transport-Security"] = headerHSTS
		}
		h.ServeHTTP(w, r)
	})
}

// Headers a cross-origin frontend may send: allauth's own plus Authorization.
const corsAllowHeaders = "Content-Type, X-CSRFToken, X-Session-Token, X-Email-Verification-Key, X-Password-Reset-Key, X-Device-Token, Authorization"

// corsHeaders lets the configured origins call the API with credentials, and
// answers their preflights. Other origins get no CORS headers, so browsers
// keep their responses from scripts; their preflights get a JSON 403 that
// names the setting to change.
func (s *Server) corsHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			h.ServeHTTP(w, r)
			return
		}
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
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		hd["Access-Control-Allow-Origin"] = allowOrigin
		hd["Access-Control-Allow-Credentials"] = headerTrue
		if preflight {
			hd.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			hd.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			hd.Set("Access-Control-Max-Age", strconv.Itoa(600))
			hd.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		hd["Access-Control-Expose-Headers"] = headerExposed
		h.ServeHTTP(w, r)
	})
}

// DefaultRequestTimeout is the deadline WithRequestTimeout gives a request
// when given none.
const DefaultRequestTimeout = 10 * time.Second

// WithRequestTimeout bounds every request h serves by d (<= 0:
// DefaultRequestTimeout): its context's deadline, which every store call
// takes, so that a hung or overloaded database costs a request at most d.
// A store call that runs out of it returns latch.ErrUnavailable, which the
// API answers with 503 and Retry-After. Handlers write their own response;
// the deadline only cancels what they wait for.
func WithRequestTimeout(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		d = DefaultRequestTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
