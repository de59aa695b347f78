package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/web"
)

// TestWebAppOnlyForItsPages: behind the whole server, the embedded app
// answers its own pages; unknown browser paths get an HTML 404 page and
// unknown API paths keep their JSON 404 (issue 10, item 12).
func TestWebAppOnlyForItsPages(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(_ *account.Config, h *httpapi.Config) { h.App = web.Handler() })
	for _, tc := range []struct {
		path, contentType string
		status            int
		referrer          string
	}{
		{"/account/login", "text/html; charset=utf-8", 200, "same-origin"},
		{"/account/password/reset/key/abc-123", "text/html; charset=utf-8", 200, "no-referrer"},
		{"/account/verify-email/abc-123", "text/html; charset=utf-8", 200, "no-referrer"},
		{"/.git/config", "text/html; charset=utf-8", 404, "no-referrer"},
		{"/debug/pprof/", "text/html; charset=utf-8", 404, "no-referrer"},
		{"/foo", "text/html; charset=utf-8", 404, "no-referrer"},
		{"/api/foo", "application/json", 404, ""},
		{"/_allauth/browser/v1/nope", "application/json", 404, ""},
		{"/auth/nope", "application/json", 404, ""},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || res.Header.Get("Content-Type") != tc.contentType {
			t.Errorf("%s: %d %q, want %d %q", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.status, tc.contentType)
		}
		if tc.referrer != "" && res.Header.Get("Referrer-Policy") != tc.referrer {
			t.Errorf("%s: Referrer-Policy %q, want %q", tc.path, res.Header.Get("Referrer-Policy"), tc.referrer)
		}
		if tc.status == 404 && strings.Contains(string(body), `<div id="root">`) {
			t.Errorf("%s: the app's index.html answered a 404", tc.path)
		}
	}
}
