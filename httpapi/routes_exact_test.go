package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestExactRoutesAgreeWithMux checks the router's fast path against the
// ServeMux it stands in front of: for every route of the table and the
// awkward variants of its path, exactRoutes either finds the pattern the mux
// finds, or leaves the request to the mux.
func TestExactRoutesAgreeWithMux(t *testing.T) {
	mux, exact, _ := (&Server{}).register((&Server{}).routeTable(allFeatures))
	found := 0
	for _, rt := range (&Server{}).routeTable(allFeatures) {
		if rt.surface == surfaceWebApp {
			continue
		}
		path := strings.NewReplacer("{", "", "}", "").Replace(rt.path) // wildcards as literal segments
		variants := []struct{ method, target string }{
			{rt.method, path},
			{http.MethodHead, path},
			{rt.method, "/" + strings.Replace(path[1:], "/", "//", 1)}, // unclean: the mux redirects
			{rt.method, path + "/"},                                     // another path, or the mux's slash redirect
			{rt.method, strings.TrimSuffix(path, "/")},                  // the slash-less twin
			{rt.method, strings.Replace(path, "a", "%61", 1)},           // escaped, not default
			{rt.method, "/" + strings.Replace(path[1:], "/", "%2F", 1)}, // an escaped slash, one segment to the mux
			{http.MethodPatch, path},
			{"BREW", path},
		}
		for _, v := range variants {
			r := httptest.NewRequest(v.method, "http://latch.test"+v.target, nil)
			h, pattern := exact.find(r)
			if h == nil {
				continue // the mux decides
			}
			found++
			if _, want := mux.Handler(r); pattern != want {
				t.Errorf("%s %s: fast path %q, mux %q", v.method, v.target, pattern, want)
			}
		}
		if !strings.Contains(rt.path, "{") {
			r := httptest.NewRequest(rt.method, "http://latch.test"+rt.path, nil)
			if h, _ := exact.find(r); h == nil {
				t.Errorf("%s %s: not on the fast path", rt.method, rt.path)
			}
		}
	}
	if found < 50 {
		t.Errorf("only %d requests took the fast path", found)
	}
}
