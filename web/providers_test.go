package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// The provider buttons' form POST is redirected to the providers: the
// pages' form-action lets it go there, and only there.
func TestHandlerWithProvidersFormAction(t *testing.T) {
	for _, tt := range []struct {
		h    func() any
		want string
	}{
		{func() any { return Handler() }, "form-action 'self';"},
		{func() any {
			return HandlerWithProviders(nil, []string{"https://accounts.google.com", "https://github.com"})
		},
			"form-action 'self' https://accounts.google.com https://github.com;"},
	} {
		rec := httptest.NewRecorder()
		tt.h().(*handler).ServeHTTP(rec, httptest.NewRequest("GET", "/account/login", nil))
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, tt.want) {
			t.Errorf("CSP %q, want %q", csp, tt.want)
		}
	}
}
