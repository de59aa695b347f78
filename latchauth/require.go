package latchauth

import (
	"encoding/json"
	"net/http"
)

// RequireUser passes on requests that [Auth.Middleware] authenticated, and
// answers the others itself:
//
//   - 401 {"detail": "Authentication required."} with WWW-Authenticate:
//     Bearer (plus error="invalid_token" when an access token was refused,
//     which tells a client to refresh it) for anonymous requests;
//   - 503 {"detail": "Authentication service unavailable."} with
//     Retry-After when the request's credential could not be checked
//     because Latch did not answer.
//
// It must be inside the middleware: without it every request is anonymous.
func RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireStaff is [RequireUser] for staff: it also answers 403
// {"detail": "You do not have permission to perform this action."} to
// authenticated users who are neither staff nor superusers.
func RequireStaff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse(w, r) {
			return
		}
		if u, _ := UserFrom(r.Context()); !u.Staff && !u.Superuser {
			writeDetail(w, http.StatusForbidden, "You do not have permission to perform this action.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuse answers a request without a user, and reports whether it did.
func refuse(w http.ResponseWriter, r *http.Request) bool {
	o := outcomeOf(r.Context())
	switch {
	case o != nil && o.authenticated:
		return false
	case o != nil && o.unavailable:
		w.Header().Set("Retry-After", "5")
		writeDetail(w, http.StatusServiceUnavailable, "Authentication service unavailable.")
	case o != nil && o.refused && o.bearer:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeDetail(w, http.StatusUnauthorized, "Authentication required.")
	default:
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeDetail(w, http.StatusUnauthorized, "Authentication required.")
	}
	return true
}

// writeDetail writes a JSON error in the shape Django REST framework uses.
func writeDetail(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(map[string]string{"detail": detail})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
