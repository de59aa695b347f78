package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
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

func TestNegotiate(t *testing.T) {
	both := []encodedFile{{coding: "br"}, {coding: "gzip"}}
	gzOnly := []encodedFile{{coding: "gzip"}}
	tests := []struct {
		name    string
		header  []string
		encoded []encodedFile
		want    string // "" = identity
	}{
		{"no header", nil, both, ""},
		{"empty header", []string{""}, both, ""},
		{"gzip", []string{"gzip"}, both, "gzip"},
		{"browser", []string{"gzip, deflate, br, zstd"}, both, "br"},
		{"br only, file has gzip only", []string{"br"}, gzOnly, ""},
		{"case and spaces", []string{" GZip ;  Q=0.8 "}, both, "gzip"},
		{"q prefers gzip", []string{"br;q=0.5, gzip;q=0.9"}, both, "gzip"},
		{"q=0 refuses br", []string{"br;q=0, gzip"}, both, "gzip"},
		{"q=0 refuses all", []string{"br;q=0, gzip;q=0"}, both, ""},
		{"star", []string{"*"}, both, "br"},
		{"star but br refused", []string{"*, br;q=0"}, both, "gzip"},
		{"star q=0", []string{"*;q=0"}, both, ""},
		{"star q=0 with gzip", []string{"gzip, *;q=0"}, both, "gzip"},
		{"identity preferred", []string{"gzip;q=0.5, identity"}, both, ""},
		{"identity lower", []string{"gzip, identity;q=0.5"}, both, "gzip"},
		{"x-gzip", []string{"x-gzip"}, both, "gzip"},
		{"two lines", []string{"deflate", "gzip"}, both, "gzip"},
		{"bad q is 0", []string{"br;q=abc, gzip;q=2"}, both, ""},
		{"no copies", []string{"gzip, br"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if e := negotiate(tt.header, tt.encoded); e != nil {
				got = e.coding
			}
			if got != tt.want {
				t.Errorf("negotiate(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

// TestPrecompressedAssets checks that the committed build's assets are
// served as their .br or .gz copy by Accept-Encoding, each coding with its
// own ETag, with Vary, and that the copies decode to the file.
func TestPrecompressedAssets(t *testing.T) {
	h := Handler()
	for _, target := range []string{assetOf(t, ".js"), assetOf(t, ".css"), "/account/login"} {
		plain := get(t, h, http.MethodGet, target)
		if plain.Code != http.StatusOK || plain.Header().Get("Content-Encoding") != "" {
			t.Fatalf("%s without Accept-Encoding: %d, Content-Encoding %q", target, plain.Code, plain.Header().Get("Content-Encoding"))
		}
		etags := map[string]string{"": plain.Header().Get("ETag")}
		for _, tc := range []struct{ accept, coding string }{
			{"gzip, deflate, br", "br"},
			{"gzip", "gzip"},
			{"br;q=0, gzip;q=1", "gzip"},
			{"*;q=0", ""},
		} {
			w := get(t, h, http.MethodGet, target, "Accept-Encoding", tc.accept)
			if w.Code != http.StatusOK {
				t.Fatalf("%s (%s): status %d", target, tc.accept, w.Code)
			}
			if got := w.Header().Get("Content-Encoding"); got != tc.coding {
				t.Errorf("%s (%s): Content-Encoding %q, want %q", target, tc.accept, got, tc.coding)
			}
			if v := w.Header().Get("Vary"); v != "Accept-Encoding" {
				t.Errorf("%s (%s): Vary %q", target, tc.accept, v)
			}
			if w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
				t.Errorf("%s (%s): Content-Length %q for %d bytes", target, tc.accept, w.Header().Get("Content-Length"), w.Body.Len())
			}
			checkBody(t, target, tc.coding, w.Body.Bytes(), plain.Body.Bytes())
			if tc.coding != "" && w.Body.Len() >= plain.Body.Len() {
				t.Errorf("%s (%s): %d bytes, not smaller than %d", target, tc.accept, w.Body.Len(), plain.Body.Len())
			}
			if old, seen := etags[tc.coding]; seen && old != w.Header().Get("ETag") {
				t.Errorf("%s: two ETags for %q", target, tc.coding)
			}
			etags[tc.coding] = w.Header().Get("ETag")
			// A revalidation with the coding's ETag is a 304.
			nm := get(t, h, http.MethodGet, target, "Accept-Encoding", tc.accept, "If-None-Match", w.Header().Get("ETag"))
			if nm.Code != http.StatusNotModified {
				t.Errorf("%s (%s): If-None-Match its ETag: %d, want 304", target, tc.accept, nm.Code)
			}
		}
		if len(etags) != 3 || etags[""] == etags["br"] || etags[""] == etags["gzip"] || etags["br"] == etags["gzip"] {
			t.Errorf("%s: ETags per coding not distinct: %v", target, etags)
		}
		// The copies are not files of their own.
		if !strings.HasPrefix(target, "/assets/") {
			continue
		}
		for _, suffix := range []string{".gz", ".br"} {
			if w := get(t, h, http.MethodGet, target+suffix); w.Code != http.StatusNotFound {
				t.Errorf("%s%s: status %d, want 404", target, suffix, w.Code)
			}
		}
	}
}

// checkBody checks a response body of target in a coding against the plain
// one: gzip decodes to it; brotli (no decoder in the standard library) is
// the build's .br copy byte for byte.
func checkBody(t *testing.T, target, coding string, body, plain []byte) {
	t.Helper()
	switch coding {
	case "":
		if !bytes.Equal(body, plain) {
			t.Errorf("%s: identity body differs from the file", target)
		}
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: gzip: %v", target, err)
		}
		out, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(out, plain) {
			t.Errorf("%s: gzip body does not decode to the file (%v)", target, err)
		}
	case "br":
		name := target
		if !strings.HasPrefix(name, "/assets/") {
			name = "/index.html"
		}
		want, err := fs.ReadFile(dist, "dist"+name+".br")
		if err != nil || !bytes.Equal(body, want) {
			t.Errorf("%s: br body is not dist%s.br (%v)", target, name, err)
		}
	}
}

// TestEveryTextAssetIsPrecompressed fails when the committed build lacks a
// .gz or .br copy of a script or stylesheet (a build without the plugin).
func TestEveryTextAssetIsPrecompressed(t *testing.T) {
	h, err := newHandler(dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	for p, f := range h.files {
		if ext := path.Ext(p); ext != ".js" && ext != ".css" && ext != ".html" {
			continue
		}
		var got []string
		for _, e := range f.encoded {
			got = append(got, e.coding)
		}
		if !slices.Equal(got, []string{"br", "gzip"}) {
			t.Errorf("%s: precompressed copies %v, want [br gzip]", p, got)
		}
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

// TestEveryFileHasItsType: each file the app is built into is served with
// its own Content-Type from the package's table (no lookup in the system's
// MIME database), never as application/octet-stream.
func TestEveryFileHasItsType(t *testing.T) {
	h, err := newHandler(dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.files) < 3 {
		t.Fatalf("%d files", len(h.files))
	}
	for p, f := range h.files {
		if f.contentType == "application/octet-stream" || f.contentType == "" {
			t.Errorf("%s: Content-Type %q", p, f.contentType)
		}
	}
}
