// Package latchauth protects your own Go HTTP services with Latch. Its
// middleware turns whatever login a request carries — a Latch access token
// (JWT), an app session token or a browser session cookie — into a [User]
// in the request's context; two small wrappers refuse the requests a
// handler must not see.
//
// # Quick start
//
// Run Latch (say at https://auth.example.com), then in your service:
//
//	package main
//
//	import (
//		"encoding/json"
//		"log"
//		"net/http"
//
//		"github.com/latchauth/latch/latchauth"
//	)
//
//	func main() {
//		auth, err := latchauth.New(latchauth.Config{URL: "https://auth.example.com"})
//		if err != nil {
//			log.Fatal(err)
//		}
//		mux := http.NewServeMux()
//		// Anyone:
//		mux.HandleFunc("GET /api/hello", hello)
//		// Logged-in users only:
//		mux.Handle("GET /api/me", latchauth.RequireUser(http.HandlerFunc(me)))
//		// Staff and superusers only:
//		mux.Handle("GET /api/staff/me", latchauth.RequireStaff(http.HandlerFunc(me)))
//		log.Fatal(http.ListenAndServe(":8080", auth.Middleware(mux)))
//	}
//
//	func hello(w http.ResponseWriter, r *http.Request) {
//		if u, ok := latchauth.UserFrom(r.Context()); ok {
//			w.Write([]byte("hello, " + u.Email))
//			return
//		}
//		w.Write([]byte("hello, stranger"))
//	}
//
//	func me(w http.ResponseWriter, r *http.Request) {
//		u, _ := latchauth.UserFrom(r.Context()) // RequireUser guarantees one
//		json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "email": u.Email})
//	}
//
// Wrap the whole mux in [Auth.Middleware] once; it never answers a request
// itself, so public routes keep working for anonymous callers. Put
// [RequireUser] or [RequireStaff] around the handlers that need a user.
// Key your data by [User.ID], the user's stable public id (a UUID); emails
// and usernames can change.
//
// # What clients send
//
// The middleware accepts the three ways Latch carries a login. The first
// one present decides (a request with a refused access token is not given a
// second chance with its cookie):
//
//   - Authorization: Bearer <access token>. Mobile and native apps get an
//     access token (and a refresh token) from every login through
//     /_allauth/app/v1/… when Latch runs with LATCH_APP_TOKEN_STRATEGY=jwt,
//     in meta.access_token, and a fresh one from POST
//     /_allauth/app/v1/tokens/refresh. A browser SPA logged in with a
//     cookie can get one from POST /_allauth/browser/v1/tokens/access, for
//     APIs on other sites.
//   - X-Session-Token: <session token>, the app client's meta.session_token.
//   - The sessionid cookie of a browser login, which the browser sends by
//     itself when your API is on Latch's origin (one domain behind a reverse
//     proxy) or shares its cookie through LATCH_COOKIE_DOMAIN.
//
// # How each is checked
//
// Access tokens are verified here, with no call to Latch per request: the
// signature must be by one of the keys Latch publishes at
// /.well-known/jwks.json, made with exactly that key's algorithm (so "alg:
// none", HMAC tokens and other algorithm confusion fail), and the issuer,
// audience, issue time and expiry must be right. The JWKS is fetched on
// first use, again every five minutes, and again — at most once per few
// seconds — when a token names a key the cached set lacks, which is how a
// key rotation at Latch (latch keys rotate) arrives. The response is
// bounded in size, and a failed fetch is retried a few seconds later, never
// remembered.
//
// Session cookies and tokens are opaque: the middleware asks Latch's
// GET /auth/verify, sending the credential to Latch's URL and nowhere else
// (redirects are not followed), and remembers the answer for
// [Config].CacheTTL (10 seconds by default) under a SHA-256 hash of the
// credential, in a cache of bounded size.
//
// # Logout and revocation
//
// A logout, password change or deactivation at Latch ends the session at
// once, and here within CacheTTL for cookies and session tokens (set a
// negative CacheTTL to ask Latch on every request). An access token stays
// valid here until it expires — LATCH_JWT_ACCESS_TTL, five minutes by
// default — since it is checked offline; that is the trade JWTs make. Keep
// the lifetime short, or send session credentials where a revocation must
// take effect at once.
//
// # What handlers see and answer
//
// [UserFrom] returns the user, with [User.Staff] and [User.Superuser]
// for authorization decisions; [User.SessionID] names the Latch session of
// an access token. Anonymous requests to a [RequireUser] handler get 401
// JSON {"detail": "Authentication required."} with WWW-Authenticate:
// Bearer — error="invalid_token" when an access token was refused, which
// tells a client to refresh it. [RequireStaff] adds 403 for users who are
// neither staff nor superusers. When Latch cannot be reached to check a
// credential, the request is anonymous and RequireUser answers 503 with
// Retry-After rather than a 401 that would log the user out; the
// middleware logs the failure (without credentials) through
// [log/slog.Default], at most every few seconds.
//
// # CSRF
//
// A cookie is sent by the browser whoever made the page, so an API that
// accepts the session cookie on unsafe methods must refuse cross-site
// requests, as Latch does for its own. Go's [net/http.CrossOriginProtection]
// does it in one line:
//
//	handler := http.NewCrossOriginProtection().Handler(auth.Middleware(mux))
//
// Requests with a Bearer or X-Session-Token header are not at risk: a
// browser never adds those by itself.
//
// # Configuration
//
// Config.URL is Latch's base URL as this service reaches it. Access tokens
// carry iss and aud equal to LATCH_PUBLIC_URL (aud: LATCH_JWT_AUDIENCE when
// set), so when the service reaches Latch by another URL — an internal
// address such as http://latch:8000 — set Issuer and Audience to the public
// URL:
//
//	auth, err := latchauth.New(latchauth.Config{
//		URL:      "http://latch:8000",        // where this service reaches Latch
//		Issuer:   "https://auth.example.com", // LATCH_PUBLIC_URL
//		Audience: "https://api.example.com",  // LATCH_JWT_AUDIENCE, if set
//		CacheTTL: 5 * time.Second,
//		Leeway:   5 * time.Second, // clock skew between the hosts
//	})
//
// # Services in other languages, and proxies
//
// Any JWT library can verify Latch's access tokens against its JWKS (check
// iss, aud and exp, and pin the algorithms to EdDSA, RS256 and ES256). A
// reverse proxy can authenticate for a service that knows nothing of Latch
// through forward auth (nginx auth_request, Traefik ForwardAuth) against
// GET /auth/verify, which answers 200 with the user in X-Latch-User-Id,
// X-Latch-User-Email, X-Latch-Username and X-Latch-Roles, or 401; see
// docs/nginx.md in the Latch repository. The example in examples/notes is a
// complete resource server built on this package.
package latchauth
