package httpapi

import (
	"net/http"
	"strings"

	"github.com/latchauth/latch"
)

// routes is the whole route table. Every headless endpoint is registered
// once per client tree; the client kind decides how the session is carried
// (cookie + CSRF for the browser, X-Session-Token for the app).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, kind := range []latch.ClientKind{latch.Browser, latch.App} {
		p := "/_allauth/" + string(kind) + "/v1"
		api := func(pattern string, h handlerFunc) {
			method, path, _ := cutPattern(pattern)
			mux.Handle(method+" "+p+path, s.api(kind, h))
		}
		api("GET /config", s.getConfig)

		api("GET /auth/session", s.getSession)
		api("DELETE /auth/session", s.logout)
		api("POST /auth/login", s.login)
		api("POST /auth/signup", s.signup)

		api("GET /auth/sessions", s.listSessions)
		api("DELETE /auth/sessions", s.endSessions)

		api("POST /account/password/change", s.changePassword)

		api("GET /auth/email/verify", s.checkEmailVerification)
		api("POST /auth/email/verify", s.verifyEmail)
		api("POST /auth/email/verify/resend", s.resendEmailVerification)
		api("GET /account/email", s.listEmails)
		api("POST /account/email", s.addEmail)
		api("PUT /account/email", s.resendEmail)
		api("PATCH /account/email", s.setPrimaryEmail)
		api("DELETE /account/email", s.removeEmail)

		api("POST /auth/password/request", s.requestPasswordReset)
		api("GET /auth/password/reset", s.checkPasswordReset)
		api("POST /auth/password/reset", s.resetPassword)

		api("POST /auth/code/confirm", s.confirmLoginCode)
		if s.svc.Config().LoginByCode {
			api("POST /auth/code/request", s.requestLoginCode)
			api("POST /auth/code/resend", s.resendLoginCode)
		}
	}
	mux.Handle("POST /_allauth/app/v1/tokens/refresh", s.api(latch.App, s.refreshTokens))
	if s.cfg.JWKS != nil {
		mux.Handle("POST /_allauth/browser/v1/tokens/access", s.api(latch.Browser, s.browserAccessToken))
		mux.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	}
	mux.HandleFunc("GET /auth/verify", s.forwardAuth)
	s.compatRoutes(mux)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	return s.withJSONFallback(mux)
}

func cutPattern(p string) (method, path string, ok bool) {
	for i := 0; i < len(p); i++ {
		if p[i] == ' ' {
			return p[:i], p[i+1:], true
		}
	}
	return "", p, false
}

// withJSONFallback answers unknown paths with a JSON 404 and known paths
// called with the wrong method with a JSON 405 and an Allow header, instead
// of ServeMux's plain-text answers.
func (s *Server) withJSONFallback(mux *http.ServeMux) http.Handler {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, pattern := mux.Handler(r); pattern != "" {
			if r.RequestURI == "*" || strings.Contains(pattern, "{") {
				// The mux itself refuses "*" and binds path wildcards.
				mux.ServeHTTP(w, r)
				return
			}
			// Serve the match found rather than have the mux match again;
			// without wildcards, the pattern is all it would record.
			r.Pattern = pattern
			h.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			if s.cfg.App != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !apiPath(r.URL.Path) {
				s.serveApp(w, r)
				return
			}
			writeJSON(w, http.StatusNotFound, errorBody(http.StatusNotFound, "not_found", "No such endpoint: "+r.URL.Path))
			return
		}
		if r.Method == http.MethodOptions {
			// A preflight for a path the CORS middleware did not answer.
			w.WriteHeader(http.StatusNoContent)
			return
		}
		allowed := strings.Join(append(allow, http.MethodOptions), ", ")
		w.Header().Set("Allow", allowed)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody(http.StatusMethodNotAllowed, "method_not_allowed",
			"Method "+r.Method+" is not allowed here; allowed: "+allowed+"."))
	})
}

// apiPrefixes are the paths the web app never shadows: an unknown path under
// them is a JSON 404, not the app.
var apiPrefixes = []string{"/_allauth/", "/auth/", "/.well-known/", "/api/", "/token-auth/", "/core/", "/healthz", "/readyz", "/metrics"}

func apiPath(p string) bool {
	for _, prefix := range apiPrefixes {
		if strings.HasPrefix(p, prefix) || p+"/" == prefix {
			return true
		}
	}
	return false
}

// serveApp serves the web app. The API's Cache-Control and CSP are dropped:
// the app sets a page's own (immutable assets, revalidated index.html, a CSP
// that allows its scripts).
func (s *Server) serveApp(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Del("Cache-Control")
	h.Del("Content-Security-Policy")
	s.cfg.App.ServeHTTP(w, r)
}
