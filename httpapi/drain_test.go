package httpapi_test

import (
	"testing"

	"github.com/latchauth/latch/httpapi"
)

// TestReadyzWhileDraining: once the server drains (latch serve on SIGTERM),
// /readyz answers 503 in the API's error format, as the OpenAPI document
// says, while the other endpoints keep answering as before.
func TestReadyzWhileDraining(t *testing.T) {
	s := startOpenAPIServer(t, nil)
	ops := s.client(t, "")
	oaWant(t, ops.do("GET", "/readyz", nil), 200)
	api := s.Config.Handler.(*httpapi.Server)
	if api.Draining() {
		t.Fatal("draining before Drain")
	}
	api.Drain()
	r := ops.do("GET", "/readyz", nil)
	oaWant(t, r, 503, "shutting_down")
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	oaWant(t, ops.do("GET", "/healthz", nil), 200)
	app := s.client(t, "app")
	oaWant(t, app.do("GET", "/config", nil), 200)
	oaWant(t, app.do("POST", "/auth/signup", map[string]any{"email": "dora@example.com", "password": oaPassword}), 200)
}
