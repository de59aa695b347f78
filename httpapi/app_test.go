package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
)

// TestWebAppFallback: pages and client-side routes go to the web app with a
// page's headers; API paths never do.
func TestWebAppFallback(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", "script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><title>app "+r.URL.Path+"</title>")
	})
	srv := startLatch(t, openSQLite(t), func(_ *account.Config, h *httpapi.Config) { h.App = app })
	get := func(path string) (*http.Response, string) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, path := range []string{"/", "/account/login", "/account/verify-email/abc"} {
		res, body := get(path)
		if res.StatusCode != 200 || !strings.Contains(body, "app "+path) {
			t.Errorf("GET %s: %d %q", path, res.StatusCode, body)
		}
		if res.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") ||
			res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Cross-Origin-Opener-Policy") != "same-origin" ||
			res.Header.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("GET %s headers: %v", path, res.Header)
		}
	}
	for _, path := range []string{"/_allauth/browser/v1/nope", "/auth/nope", "/.well-known/nope", "/api/nope", "/healthz/x", "/_allauth"} {
		res, body := get(path)
		if res.StatusCode != 404 || !strings.HasPrefix(body, "{") {
			t.Errorf("GET %s: %d %q — the app shadows the API", path, res.StatusCode, body)
		}
	}
	// Only GET and HEAD reach the app.
	res, err := http.Post(srv.URL+"/account/login", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("POST to an app path: %d", res.StatusCode)
	}
}
