package httpapi_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch/httpapi"
)

// TestRouteAccess checks that the router enforces every access level of the
// route table with its surface's refusal: allauth's 401 with the flows for
// the headless API, each tutorial surface's DRF answer (with a token that is
// not valid as well as with none, for the token surfaces).
func TestRouteAccess(t *testing.T) {
	srv := startLatch(t, openSQLite(t), compat("all"))
	browser, app := newClient(t, srv, "browser"), newClient(t, srv, "app")
	type refusal struct {
		status    int
		challenge string
		body      string // the exact body; "" for the headless API's flows
	}
	const notProvided = `{"detail":"Authentication credentials were not provided."}` + "\n"
	want := map[string][2]refusal{ // surface → {no token, a bad token}
		"drf-session": {{status: 403, body: notProvided}, {status: 403, body: notProvided}},
		"drf-jwt": {{401, `JWT realm="api"`, notProvided},
			{401, `JWT realm="api"`, `{"detail":"Signature has expired or is invalid."}` + "\n"}},
		"simplejwt": {{401, `Bearer realm="api"`, notProvided},
			{401, `Bearer realm="api"`, `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}` + "\n"}},
	}
	checked := map[string]int{}
	for _, r := range httpapi.AllRoutes() {
		if r.Access == "anyone" || r.Surface == "admin" {
			continue // the admin API: TestAdminAccess
		}
		if r.Access != "authenticated" {
			t.Errorf("%s %s: access %q is not checked here; extend this test", r.Method, r.Path, r.Access)
			continue
		}
		checked[r.Surface]++
		switch r.Surface {
		case "headless-browser", "headless-app":
			c, prefix := browser, "/_allauth/browser/v1"
			if r.Surface == "headless-app" {
				c, prefix = app, "/_allauth/app/v1"
			}
			res := c.do(r.Method, strings.TrimPrefix(r.Path, prefix), map[string]any{})
			if res.Status != 401 || len(res.flowIDs()) == 0 || res.meta()["is_authenticated"] != false {
				t.Errorf("%s %s anonymously: %d %s, want allauth's 401 with the flows", r.Method, r.Path, res.Status, res.Raw)
			}
		default:
			w, ok := want[r.Surface]
			if !ok {
				t.Errorf("%s %s: no refusal known for surface %s; extend this test", r.Method, r.Path, r.Surface)
				continue
			}
			for i, auth := range []string{"", "Bearer not-a-token"} {
				path := strings.ReplaceAll(r.Path, "{public_id}", "00000000-0000-4000-8000-000000000000")
				req, _ := http.NewRequest(r.Method, srv.URL+path, nil)
				req.Header.Set("Origin", srv.URL)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != w[i].status || string(b) != w[i].body || res.Header.Get("WWW-Authenticate") != w[i].challenge {
					t.Errorf("%s %s (Authorization %q): %d %q WWW-Authenticate %q, want %d %q %q", r.Method, r.Path, auth,
						res.StatusCode, b, res.Header.Get("WWW-Authenticate"), w[i].status, w[i].body, w[i].challenge)
				}
			}
		}
	}
	for _, sf := range []string{"headless-browser", "headless-app", "drf-session", "drf-jwt", "simplejwt"} {
		if checked[sf] == 0 {
			t.Errorf("no %s route takes logged-in callers only", sf)
		}
	}
}

// TestAPIPrefixes pins the paths the web app never shadows, derived from the
// route table, whether or not their surfaces are enabled.
func TestAPIPrefixes(t *testing.T) {
	got := slices.Sorted(slices.Values(httpapi.APIPrefixes))
	want := []string{"/.well-known/", "/_allauth/", "/_latch/", "/accounts/", "/api/", "/auth/", "/core/", "/healthz", "/metrics", "/readyz", "/token-auth/"}
	if !slices.Equal(got, want) {
		t.Errorf("API prefixes %q, want %q", got, want)
	}
}

// TestRouteTableShape checks what the router relies on: each route once,
// the headless API under its client's tree, the tutorial routes outside it.
func TestRouteTableShape(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range httpapi.AllRoutes() {
		k := r.Method + " " + r.Path
		if seen[k] {
			t.Errorf("%s is in the table twice", k)
		}
		seen[k] = true
		switch {
		case r.Surface == "headless-browser" && !strings.HasPrefix(r.Path, "/_allauth/browser/v1/"),
			r.Surface == "headless-app" && !strings.HasPrefix(r.Path, "/_allauth/app/v1/"),
			!strings.HasPrefix(r.Surface, "headless-") && strings.HasPrefix(r.Path, "/_allauth/"):
			t.Errorf("%s: surface %s", k, r.Surface)
		}
	}
	if len(seen) < 50 {
		t.Errorf("only %d routes", len(seen))
	}
}
