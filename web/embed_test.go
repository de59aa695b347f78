package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// These tests run against the committed build in dist/ (npm run build).

func get(t *testing.T, h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// assetOf finds a built asset with this extension.
func assetOf(t *testing.T, ext string) string {
	t.Helper()
	entries, err := fs.ReadDir(dist, "dist/assets")
	if err != nil {
		t.Fatalf("dist/assets: %v (build the app: cd web && npm ci && npm run build)", err)
	}
	for _, e := range entries {
		if path.Ext(e.Name()) == ext {
			return "/assets/" + e.Name()
		}
	}
	t.Fatalf("no %s file in dist/assets", ext)
	return ""
}

func wantIndex(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	if !strings.Contains(w.Body.String(), `<div id="root">`) {
		t.Errorf("body is not index.html: %.200s", w.Body.String())
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func wantNotFound(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 1 || body["status"] != float64(404) {
		t.Errorf("body %q, want {\"status\":404}", w.Body.String())
	}
}

func TestIndex(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/index.html"} {
		t.Run(p, func(t *testing.T) { wantIndex(t, get(t, h, "GET", p)) })
	}
}

func TestClientRoutesFallBackToIndex(t *testing.T) {
	h := Handler()
	for _, p := range []string{
		"/account",
		"/account/login",
		"/account/signup",
		"/account/password/reset",
		"/account/verify-email/aBc_-123",
		"/account/password/reset/key/aBc_-123",
		"/account/verify-email/odd.key",
		"/account/login?next=/account/email",
		"/account/login/",
	} {
		t.Run(p, func(t *testing.T) { wantIndex(t, get(t, h, "GET", p)) })
	}
}

// Only the app's own pages get index.html: anything else is a 404 page, so
// that scanners probing for files are not answered 200 (issue 10, item 12).
func TestUnknownPagesAre404(t *testing.T) {
	h := Handler()
	for _, p := range []string{
		"/.git/config",
		"/debug/pprof/",
		"/debug/pprof",
		"/foo",
		"/some/unknown/page",
		"/accounts",
		"/account/unknown",
		"/account/verify-email/a/b",
		"/account/password/reset/key/",
		"/wp-admin/",
	} {
		t.Run(p, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				w := get(t, h, method, p)
				if w.Code != http.StatusNotFound {
					t.Fatalf("%s: status %d, want 404", method, w.Code)
				}
				if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("%s: Content-Type %q", method, ct)
				}
				if strings.Contains(w.Body.String(), `<div id="root">`) {
					t.Errorf("%s: the app's index.html was served", method)
				}
				if method == "GET" && !strings.Contains(w.Body.String(), "Page not found") {
					t.Errorf("body %.200q", w.Body.String())
				}
				if method == "HEAD" && w.Body.Len() != 0 {
					t.Errorf("HEAD: %d body bytes", w.Body.Len())
				}
				if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Errorf("Content-Security-Policy %q", csp)
				}
			}
		})
	}
}

// The pages whose URL holds a mailed key never send it on in a Referer;
// the others keep same-origin.
func TestKeyPagesSendNoReferrer(t *testing.T) {
	h := Handler()
	for p, want := range map[string]string{
		"/account/verify-email/aBc_-123":        "no-referrer",
		"/account/password/reset/key/aBc_-123":  "no-referrer",
		"/account/password/reset/key/odd.key-1": "no-referrer",
		"/account/login":                        "same-origin",
		"/account/verify-email":                 "same-origin",
		"/":                                     "same-origin",
	} {
		w := get(t, h, "GET", p)
		wantIndex(t, w)
		if got := w.Header().Get("Referrer-Policy"); got != want {
			t.Errorf("%s: Referrer-Policy %q, want %q", p, got, want)
		}
	}
}

// pageRoutes is the list of src/app/routes.tsx: a page added there must be
// added here, or the server would answer it 404.
func TestPageRoutesMatchTheApp(t *testing.T) {
	src, err := os.ReadFile("src/app/routes.tsx")
	if err != nil {
		t.Fatal(err)
	}
	var app []string
	for _, m := range regexp.MustCompile(`\bpath: "([^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		app = append(app, m[1])
	}
	if len(app) == 0 {
		t.Fatal("no path found in routes.tsx")
	}
	slices.Sort(app)
	ours := slices.Sorted(slices.Values(pageRoutes))
	if !slices.Equal(app, ours) {
		t.Errorf("routes.tsx has %q,\nweb.pageRoutes has %q", app, ours)
	}
}

func TestHashedAssetsAreImmutable(t *testing.T) {
	h := Handler()
	for ext, ct := range map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"} {
		p := assetOf(t, ext)
		w := get(t, h, "GET", p)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", p, w.Code)
		}
		if got := w.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", p, got)
		}
		if got := w.Header().Get("Content-Type"); got != ct {
			t.Errorf("%s: Content-Type %q, want %q", p, got, ct)
		}
		want, _ := fs.ReadFile(dist, "dist"+p)
		if w.Body.String() != string(want) || w.Body.Len() == 0 {
			t.Errorf("%s: body differs from the embedded file", p)
		}
	}
}

func TestIndexIsReferencedAssets(t *testing.T) {
	// Every asset index.html names is served.
	h := Handler()
	body := get(t, h, "GET", "/").Body.String()
	n := 0
	for _, part := range strings.Split(body, `"`) {
		if strings.HasPrefix(part, "/assets/") {
			n++
			if w := get(t, h, "GET", part); w.Code != http.StatusOK {
				t.Errorf("%s: status %d", part, w.Code)
			}
		}
	}
	if n == 0 {
		t.Fatal("index.html names no asset")
	}
}

func TestOtherFilesAreRevalidated(t *testing.T) {
	w := get(t, Handler(), "GET", "/favicon.svg")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if got := w.Header().Get("Content-Type"); got != "image/svg+xml" {
		t.Errorf("Content-Type %q", got)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control %q", got)
	}
}

func TestMissingFilesAre404(t *testing.T) {
	h := Handler()
	for _, p := range []string{
		"/assets/index-missing.js",
		"/assets/nothing",
		"/assets/",
		"/favicon.ico",
		"/robots.txt",
		"/account/logo.png",
		"/account/verify-email/a/b.js",
	} {
		t.Run(p, func(t *testing.T) { wantNotFound(t, get(t, h, "GET", p)) })
	}
}

func TestConditionalAndHead(t *testing.T) {
	h := Handler()
	first := get(t, h, "GET", "/")
	etag := first.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w := get(t, h, "GET", "/account", "If-None-Match", etag); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", w.Code)
	}
	w := get(t, h, "HEAD", "/account/login")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, %d body bytes", w.Code, w.Body.Len())
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	w := get(t, Handler(), "POST", "/account/login")
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("status %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestPathsAreCleaned(t *testing.T) {
	h := Handler()
	p := assetOf(t, ".js")
	if w := get(t, h, "GET", "/account/../"+strings.TrimPrefix(p, "/")); w.Code != http.StatusOK ||
		w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("status %d", w.Code)
	}
	wantNotFound(t, get(t, h, "GET", "/../../etc/passwd.txt"))
}

func TestNeedsIndex(t *testing.T) {
	if _, err := newHandler(fstest.MapFS{"dist/assets/a.js": {Data: []byte("x")}}, "dist"); err == nil {
		t.Fatal("a build without index.html was accepted")
	}
}

// TestImageOrigins: the origin of an operator's logo is allowed as an image
// source of the app's pages, and nothing else is added.
func TestImageOrigins(t *testing.T) {
	w := get(t, Handler("https://cdn.example.com"), "GET", "/account/login")
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: https://cdn.example.com;") || strings.Contains(csp, "script-src 'self' https") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if csp := get(t, Handler(), "GET", "/account/login").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
		t.Errorf("without origins: Content-Security-Policy %q", csp)
	}
}
