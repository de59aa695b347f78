package httpapi

import (
	"net/http"
	"strings"

	"github.com/latchauth/latch"
)

// The route table: every surface Latch serves, one line per route, with who
// may call it. Registration on the ServeMux, the trailing-slash redirects of
// the tutorial surfaces, the paths the web app never shadows and the tests
// that keep the OpenAPI documents in step all read it; a new endpoint is one
// line here and a handler in its family's file.

// surface is a family of routes that share how a caller is identified and
// how a refusal is worded.
type surface string

const (
	// The headless API (allauth's), per client: the session in a cookie with
	// CSRF checks, or in the X-Session-Token header (or, under the JWT
	// strategy, an access token).
	surfaceBrowser surface = "headless-browser"
	surfaceApp     surface = "headless-app"
	// The tutorial-compatible surfaces (compat.go), named as in Config.Compat.
	surfaceDjangoSession surface = "django-session"
	surfaceDRFSession    surface = "drf-session"
	surfaceDRFJWT        surface = "drf-jwt"
	surfaceSimpleJWT     surface = "simplejwt"
	// The surfaces without sessions: their handlers are plain.
	surfaceJWKS        surface = "jwks"
	surfaceForwardAuth surface = "forward-auth"
	surfaceOps         surface = "ops"
	// surfaceBrand serves the operator's logo file (brand.go).
	surfaceBrand surface = "brand"
	// surfaceProviderCallback is where providers send the browser back
	// (GET, or a cross-site form POST that no CSRF check applies to).
	surfaceProviderCallback surface = "provider-callback"
	// surfaceAdmin is the admin API (admin.go): staff sessions, access
	// tokens and admin API keys.
	surfaceAdmin surface = "admin"
	// surfaceWebApp is the account web app, served for GET requests that no
	// other route matches outside the API's paths.
	surfaceWebApp surface = "web-app"
)

// clientKind is the client a headless surface serves.
func (sf surface) clientKind() latch.ClientKind {
	if sf == surfaceBrowser {
		return latch.Browser
	}
	return latch.App
}

// access is who may call a route. The router turns anyone else away before
// the handler runs, with the answer of the route's surface: for the headless
// API allauth's 401 with the flows open to the caller (or a 403 for a
// logged-in caller who is not staff), for a tutorial surface its own DRF
// refusal.
type access int

const (
	anyone        access = iota
	authenticated        // a logged-in user, every login stage done
	staff                // a logged-in staff user
)

// route is one line of the route table. Exactly one of h and plain is set:
// h for the surfaces that carry a session (the headless API and the
// tutorial surfaces), plain for the others, which take anyone.
type route struct {
	method, path string
	surface      surface
	access       access
	h            handlerFunc
	plain        http.HandlerFunc
}

// features are the parts of the configuration that decide which routes exist.
type features struct {
	loginByCode bool
	// passkeyLogin, passkeySignup: LATCH_MFA_PASSKEY_LOGIN, _SIGNUP.
	passkeyLogin, passkeySignup bool
	// tokens: access tokens are on (Config.JWKS).
	tokens bool
	// compat: the tutorial surfaces served.
	compat map[surface]bool
	// app: the web app is served (Config.App).
	app bool
	// logo: a logo file is served (Config.Brand.Logo).
	logo bool
	// accountDeletion: users may delete their own account.
	accountDeletion bool
}

// allFeatures turns every route on, for apiPrefixes.
var allFeatures = features{loginByCode: true, passkeyLogin: true, passkeySignup: true, tokens: true, app: true, logo: true, accountDeletion: true,
	compat: map[surface]bool{surfaceDjangoSession: true, surfaceDRFSession: true, surfaceDRFJWT: true, surfaceSimpleJWT: true}}

// routeTable returns the routes served with features f, in the order
// they read best; the order means nothing to the router.
func (s *Server) routeTable(f features) []route {
	var t []route
	auth, code, config := authAPI{s}, loginCodeAPI{s}, configAPI{s}
	sessions, email, password, tokens := sessionsAPI{s}, emailAPI{s}, passwordAPI{s}, tokensAPI{s}
	mfa, profile := mfaAPI{s}, profileAPI{s}

	// The headless API, once per client.
	for _, sf := range []surface{surfaceBrowser, surfaceApp} {
		prefix := "/_allauth/" + string(sf.clientKind()) + "/v1"
		api := func(pattern string, acc access, h handlerFunc) {
			method, path, _ := strings.Cut(pattern, " ")
			t = append(t, route{method: method, path: prefix + path, surface: sf, access: acc, h: h})
		}
		api("GET /config", anyone, config.getConfig)

		api("GET /auth/session", anyone, auth.getSession)
		api("DELETE /auth/session", anyone, auth.logout)
		api("POST /auth/login", anyone, auth.login)
		api("POST /auth/signup", anyone, auth.signup)

		api("GET /auth/sessions", authenticated, sessions.listSessions)
		api("DELETE /auth/sessions", authenticated, sessions.endSessions)

		api("POST /account/password/change", authenticated, password.changePassword)
		api("GET /account/profile", authenticated, profile.getProfile)
		api("PATCH /account/profile", authenticated, profile.updateProfile)
		if f.accountDeletion {
			api("DELETE /account", authenticated, profile.deleteAccount)
		}

		api("GET /auth/email/verify", anyone, email.checkEmailVerification)
		api("POST /auth/email/verify", anyone, email.verifyEmail)
		api("POST /auth/email/verify/resend", anyone, email.resendEmailVerification)
		api("GET /account/email", authenticated, email.listEmails)
		api("POST /account/email", anyone, email.addEmail) // anonymous: 409, as allauth
		api("PUT /account/email", authenticated, email.resendEmail)
		api("PATCH /account/email", authenticated, email.setPrimaryEmail)
		api("DELETE /account/email", authenticated, email.removeEmail)

		api("POST /auth/password/request", anyone, password.requestPasswordReset)
		api("GET /auth/password/reset", anyone, password.checkPasswordReset)
		api("POST /auth/password/reset", anyone, password.resetPassword)

		api("POST /auth/code/confirm", anyone, code.confirmLoginCode)
		if f.loginByCode {
			api("POST /auth/code/request", anyone, code.requestLoginCode)
			api("POST /auth/code/resend", anyone, code.resendLoginCode)
		}

		// Second factors and reauthentication (mfa.go).
		api("GET /account/authenticators", authenticated, mfa.listAuthenticators)
		api("GET /account/authenticators/totp", authenticated, mfa.getTOTP)
		api("POST /account/authenticators/totp", authenticated, mfa.activateTOTP)
		api("DELETE /account/authenticators/totp", authenticated, mfa.deactivateTOTP)
		api("GET /account/authenticators/recovery-codes", authenticated, mfa.getRecoveryCodes)
		api("POST /account/authenticators/recovery-codes", authenticated, mfa.regenerateRecoveryCodes)
		api("POST /auth/2fa/authenticate", anyone, mfa.authenticate)
		api("POST /auth/2fa/reauthenticate", authenticated, mfa.reauthenticate)
		api("POST /auth/reauthenticate", authenticated, mfa.reauthenticatePassword)
		if sf == surfaceBrowser {
			api("POST /auth/2fa/trust", anyone, mfa.trust)
		}
		wan := webauthnAPI{s}
		api("GET /account/authenticators/webauthn", authenticated, wan.creationOptions)
		api("POST /account/authenticators/webauthn", authenticated, wan.add)
		api("PUT /account/authenticators/webauthn", authenticated, wan.rename)
		api("DELETE /account/authenticators/webauthn", authenticated, wan.remove)
		api("GET /auth/webauthn/authenticate", anyone, wan.requestOptions)
		api("POST /auth/webauthn/authenticate", anyone, wan.authenticate)
		api("GET /auth/webauthn/reauthenticate", authenticated, wan.reauthenticationOptions)
		api("POST /auth/webauthn/reauthenticate", authenticated, wan.reauthenticate)
		if f.passkeyLogin {
			api("GET /auth/webauthn/login", anyone, wan.loginOptions)
			api("POST /auth/webauthn/login", anyone, wan.login)
		}
		if f.passkeySignup {
			api("POST /auth/webauthn/signup", anyone, wan.signup)
			api("GET /auth/webauthn/signup", anyone, wan.signupOptions)
			api("PUT /auth/webauthn/signup", anyone, wan.finishSignup)
		}
		// Social login (social.go).
		soc := socialAPI{s}
		if sf == surfaceBrowser {
			api("POST /auth/provider/redirect", anyone, soc.redirect) // an HTML form: CSRF token in csrfmiddlewaretoken
		}
		api("POST /auth/provider/token", anyone, soc.token)
		api("GET /auth/provider/signup", anyone, soc.getSignup)
		api("POST /auth/provider/signup", anyone, soc.signup)
		api("GET /account/providers", authenticated, soc.listAccounts)
		api("DELETE /account/providers", authenticated, soc.disconnect)

		switch {
		case sf == surfaceApp:
			api("POST /tokens/refresh", anyone, tokens.refreshTokens)
		case f.tokens:
			api("POST /tokens/access", authenticated, tokens.browserAccessToken)
		}
	}

	// The tutorial surfaces (compat_<name>.go). A path that ends in a slash
	// is that path only, as in Django's URLconfs; the path without the
	// slash redirects to it.
	compat := func(sf surface, pattern string, acc access, h handlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		t = append(t, route{method: method, path: path, surface: sf, access: acc, h: h})
	}
	if f.compat[surfaceDjangoSession] {
		d, sf := djangoSession{s}, surfaceDjangoSession
		compat(sf, "GET /api/csrf/", anyone, d.csrf)
		compat(sf, "POST /api/login/", anyone, d.login)
		compat(sf, "GET /api/logout/", anyone, d.logout) // its own answers: the CSRF check comes first
		compat(sf, "GET /api/session/", anyone, d.session)
		compat(sf, "GET /api/whoami/", anyone, d.whoami)
	}
	if f.compat[surfaceDRFSession] {
		d, sf := drfSession{s}, surfaceDRFSession
		compat(sf, "POST /api/auth/login", anyone, d.login)
		compat(sf, "POST /api/auth/logout", authenticated, d.logout)
		compat(sf, "GET /api/auth/me", authenticated, d.me)
		compat(sf, "GET /api/me", authenticated, d.me) // where the tutorial's frontend asks
	}
	if f.compat[surfaceDRFJWT] {
		j, sf := drfJWT{s}, surfaceDRFJWT
		compat(sf, "POST /token-auth/", anyone, j.login)
		compat(sf, "GET /core/current_user/", authenticated, j.currentUser)
		compat(sf, "POST /core/users/", anyone, j.signup)
	}
	if f.compat[surfaceSimpleJWT] {
		j, sf := simpleJWT{s}, surfaceSimpleJWT
		compat(sf, "POST /api/token/", anyone, j.obtain)
		compat(sf, "POST /api/token/refresh/", anyone, j.refresh)
		compat(sf, "POST /api/token/verify/", anyone, j.verify)
		compat(sf, "POST /api/token/blacklist/", anyone, j.blacklist)
		compat(sf, "POST /api/auth/register/", anyone, j.register)
		compat(sf, "POST /api/auth/login/", anyone, j.login)
		compat(sf, "POST /api/auth/refresh/", anyone, j.refresh)
		compat(sf, "GET /api/user/", authenticated, j.users)
		compat(sf, "GET /api/user/{public_id}/", authenticated, j.user)
	}

	// The admin API (admin*.go): staff and admin API keys only.
	adm := adminAPI{s}
	admin := func(pattern string, h handlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		t = append(t, route{method: method, path: adminPrefix + path, surface: surfaceAdmin, access: staff, h: h})
	}
	admin("GET /users", adm.listUsers)
	admin("POST /users", adm.createUser)
	admin("GET /users/{id}", adm.getUser)
	admin("PATCH /users/{id}", adm.updateUser)
	admin("DELETE /users/{id}", adm.deleteUser)
	admin("DELETE /users/{id}/sessions", adm.revokeSessions)
	admin("DELETE /users/{id}/authenticators", adm.resetMFA)
	admin("POST /users/{id}/emails/verify", adm.verifyEmail)
	admin("GET /audit", adm.listAudit)
	admin("GET /webhooks/deliveries", adm.listDeliveries)

	// The surfaces without sessions.
	plain := func(sf surface, pattern string, h http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		t = append(t, route{method: method, path: path, surface: sf, access: anyone, plain: h})
	}
	if f.tokens {
		plain(surfaceJWKS, "GET /.well-known/jwks.json", tokens.jwks)
	}
	plain(surfaceForwardAuth, "GET /auth/verify", forwardAuth{s}.ServeHTTP)
	// The provider's return, at allauth's callback paths (social.go); the
	// handler resolves the browser's session itself.
	for _, path := range []string{"/accounts/{kind}/login/callback/", "/accounts/oidc/{id}/login/callback/"} {
		plain(surfaceProviderCallback, "GET "+path, socialAPI{s}.callback)
		plain(surfaceProviderCallback, "POST "+path, socialAPI{s}.callback) // Apple's form_post
	}
	if f.logo {
		plain(surfaceBrand, "GET "+BrandLogoPath, brandAPI{s}.logo)
	}
	ops := opsAPI{s}
	plain(surfaceOps, "GET /healthz", ops.healthz)
	plain(surfaceOps, "GET /readyz", ops.readyz)
	if f.app {
		plain(surfaceWebApp, "GET /", serveApp(s.cfg.App))
	}
	return t
}

// features reads the routes' features from the configuration. A tutorial
// surface named twice is served once; the token surfaces need access tokens
// (Config.JWKS) and are left out, with an error logged, without them.
func (s *Server) features() features {
	f := features{loginByCode: s.svc.Config().LoginByCode, passkeyLogin: s.svc.Config().MFA.PasskeyLogin,
		passkeySignup: s.svc.Config().MFA.PasskeySignup, tokens: s.cfg.JWKS != nil,
		app: s.cfg.App != nil, logo: s.cfg.Brand.Logo != nil, accountDeletion: s.svc.Config().AccountDeletion,
		compat: map[surface]bool{}}
	for _, name := range s.cfg.Compat {
		names := []string{name}
		if name == "all" {
			names = compatNames
		}
		for _, name := range names {
			sf := surface(name)
			spec, ok := compatSurfaces[sf]
			switch {
			case f.compat[sf]:
			case !ok:
				s.log.Error("unknown tutorial surface; not served", "surface", name)
			case spec.kind == latch.App && !f.tokens:
				s.log.Error("tutorial surface needs access tokens, which are off; not served", "surface", name)
			default:
				f.compat[sf] = true
			}
		}
	}
	return f
}

// router registers the routes on a ServeMux: each behind the wrapper of
// its surface, which identifies the caller and enforces the route's access
// level, and, for a tutorial route ending in a slash, its slash-less twin.
// The web app, if any, answers what nothing else does.
func (s *Server) router(table []route) http.Handler {
	return s.withJSONFallback(s.register(table))
}

// register puts the routes of table on a ServeMux and, those without
// wildcards, in exactRoutes too; it returns the web app's handler apart.
func (s *Server) register(table []route) (mux *http.ServeMux, exact exactRoutes, app http.Handler) {
	mux = http.NewServeMux()
	exact = exactRoutes{}
	served := map[string]bool{}
	for _, rt := range table {
		served[rt.method+" "+rt.path] = true
	}
	for _, rt := range table {
		var h http.Handler
		switch {
		case rt.surface == surfaceAdmin:
			h = adminAPI{s}.wrap(rt)
		case rt.surface == surfaceBrowser || rt.surface == surfaceApp:
			h = s.api(rt)
		case rt.h != nil:
			h = s.compat(rt)
		case rt.access != anyone:
			panic("httpapi: route " + rt.method + " " + rt.path + " has an access level but no session to check it against")
		case rt.surface == surfaceWebApp:
			app = rt.plain
			continue
		default:
			h = rt.plain
		}
		pattern := rt.method + " " + rt.path
		if strings.HasSuffix(rt.path, "/") {
			pattern += "{$}"
			// Without the slash, a request would get ServeMux's own redirect,
			// in HTML; redirect it in JSON, as Django's APPEND_SLASH does (the
			// django-session tutorial logs out with GET /api/logout).
			if twin := strings.TrimSuffix(pattern, "/{$}"); !served[twin] {
				served[twin] = true
				mux.HandleFunc(twin, appendSlash)
				exact.add(rt.method, strings.TrimSuffix(rt.path, "/"), twin, http.HandlerFunc(appendSlash))
			}
		}
		mux.Handle(pattern, h)
		exact.add(rt.method, rt.path, pattern, h)
	}
	return mux, exact, app
}

// exactRoutes finds the routes without wildcards by path and method: one
// map lookup where the ServeMux walks its routing tree and cleans the path
// (a tenth of a cached session check). It answers only what the mux would
// answer the same way; everything else goes to the mux.
type exactRoutes map[string][]exactRoute

type exactRoute struct {
	method, pattern string
	h               http.Handler
}

func (e exactRoutes) add(method, path, pattern string, h http.Handler) {
	if strings.Contains(strings.TrimSuffix(pattern, "{$}"), "{") {
		return // a path wildcard: the mux binds it
	}
	e[path] = append(e[path], exactRoute{method: method, pattern: pattern, h: h})
}

// find returns the route of r and its pattern, if r's path is a route's
// path exactly and its method the route's. A path sent with escapes that
// are not the default (r.URL.RawPath set, e.g. %2F, which the mux does not
// split on) and HEAD (which GET routes serve, in the mux) are left to the
// mux; a path that equals a registered path is already clean.
func (e exactRoutes) find(r *http.Request) (http.Handler, string) {
	if r.URL.RawPath != "" || r.Method == http.MethodHead {
		return nil, ""
	}
	for _, rt := range e[r.URL.Path] {
		if rt.method == r.Method {
			return rt.h, rt.pattern
		}
	}
	return nil, ""
}

// withJSONFallback answers unknown paths with a JSON 404 and known paths
// called with the wrong method with a JSON 405 and an Allow header, instead
// of ServeMux's plain-text answers. GET and HEAD requests for unknown paths
// outside the API go to app, if any.
func (s *Server) withJSONFallback(mux *http.ServeMux, exact exactRoutes, app http.Handler) http.Handler {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, pattern := exact.find(r); h != nil {
			r.Pattern = pattern
			h.ServeHTTP(w, r)
			return
		}
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
			if app != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !apiPath(r.URL.Path) {
				app.ServeHTTP(w, r)
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

// apiPrefixes are the paths the web app never shadows, whether or not their
// surfaces are enabled: an unknown path under them is a JSON 404, not the
// app. They are the first segments of every route the table can hold (a
// route of one segment reserves that path and what lies below it), and
// /metrics, the ops surface served in front of this handler.
var apiPrefixes = prefixesOf((&Server{}).routeTable(allFeatures), "/metrics")

// prefixesOf returns the first path segment of each route but the web app's,
// with extra, each once.
func prefixesOf(table []route, extra ...string) []string {
	out := extra
	seen := map[string]bool{}
	for _, rt := range table {
		if rt.surface == surfaceWebApp {
			continue
		}
		p := rt.path
		if i := strings.IndexByte(p[1:], '/'); i >= 0 {
			p = p[:i+2]
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

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
// that allows its scripts). Its answers are documents, so they get the
// headers that only act on documents, which JSON answers go without
// (setSecurityHeaders); the app may set stricter ones.
func serveApp(app http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Del("Cache-Control")
		h.Del("Content-Security-Policy")
		h["X-Frame-Options"] = headerDeny
		h["Referrer-Policy"] = headerSameOrigin
		h["Cross-Origin-Opener-Policy"] = headerSameOrigin
		app.ServeHTTP(w, r)
	}
}
