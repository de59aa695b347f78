package httpapi

import (
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// Device tokens (see package account) travel in an HttpOnly cookie for the
// browser and in the X-Device-Token header for apps, which store the value
// a login answered with and send it with later logins.
const (
	deviceCookie = "latch_device"
	deviceHeader = "X-Device-Token"
)

// deviceToken returns the device token a request presents.
func deviceToken(r *http.Request, kind latch.ClientKind) string {
	if kind == latch.Browser {
		return truncate(cookieValue(r, deviceCookie), 64)
	}
	return truncate(headerValue(r.Header, deviceHeader), 64)
}

// applyDevice hands the client the device token a login issued.
func (s *Server) applyDevice(w http.ResponseWriter, kind latch.ClientKind, st *account.State) {
	if st.NewDevice == "" {
		return
	}
	if kind == latch.Browser {
		http.SetCookie(w, &http.Cookie{
			Name: deviceCookie, Value: st.NewDevice, Path: "/", Domain: s.cfg.CookieDomain,
			MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: s.secure, SameSite: s.cfg.CookieSameSite,
		})
		return
	}
	w.Header().Set(deviceHeader, st.NewDevice)
}
