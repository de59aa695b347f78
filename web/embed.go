// Package web embeds Latch's account web app (the single-page app built
// from this directory by `npm run build` into dist/) and serves it.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// contentTypes fixes the types of the files a Vite build emits, so they do
// not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".txt":         "text/plain; charset=utf-8",
	".wasm":        "application/wasm",
}

// contentSecurityPolicy lets the app load its own scripts, styles and
// images (and images from imgOrigins: an operator's logo on a CDN) and call
// its own origin (the embedded app talks to the Latch that serves it), and
// nothing else.
func contentSecurityPolicy(imgOrigins, formOrigins []string) string {
	img := "'self' data:"
	for _, o := range imgOrigins {
		img += " " + o
	}
	form := "'self'"
	for _, o := range formOrigins {
		form += " " + o
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img + "; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action " + form + "; frame-ancestors 'none'"
}

// pageRoutes are the app's own pages, as src/app/routes.tsx declares them
// (TestPageRoutesMatchTheApp keeps the two lists equal): only these paths get
// index.html; any other path answers a 404 page, so that a probe for
// /.git/config or /debug/pprof/ is not told "200". A ":name" segment matches
// any one non-empty segment, even one that looks like a file name (a mailed
// key). Pages with such a segment carry the key in their URL: they are
// served with Referrer-Policy: no-referrer, so that the key does not leave in
// a Referer header.
var pageRoutes = []string{
	"/",
	"/account/login",
	"/account/login/code",
	"/account/login/code/confirm",
	"/account/signup",
	"/account/verify-email",
	"/account/verify-email/:key",
	"/account/continue",
	"/account/2fa/authenticate",
	"/account/2fa/trust",
	"/account/reauthenticate",
	"/account/password/reset",
	"/account/password/reset/code",
	"/account/password/reset/key/:key",
	"/account",
	"/account/email",
	"/account/password/change",
	"/account/sessions",
	"/account/2fa",
	"/account/profile",
	"/account/delete",
	"/account/logout",
	"/account/provider/callback",
	"/account/provider/signup",
	"/account/providers",
	"/account/admin/users",
	"/account/admin/users/:id",
	"/account/admin/audit",
}

// notFoundPage is the answer to a GET of a page the app does not have.
const notFoundPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Page not found</title></head>
<body><h1>Page not found</h1><p>There is no page at this address. <a href="/">Go to your account</a>.</p></body>
</html>
`

// file is one file of the build. Its bytes are not copied: they are read
// from the handler's fsys for each response (the embedded files are in the
// binary's read-only data), and its ETag is a hash of them made on first
// use, so that starting Latch neither reads the whole app (some 700 KiB,
// pages the process then keeps resident) nor holds a second copy of it on
// the heap, where the collector would mark it in every cycle.
type file struct {
	name        string // in the handler's fsys
	size        int64
	contentType string
	etag        func() (string, error)
	// encoded are the precompressed copies the build wrote next to the
	// file (<file>.br, <file>.gz), best first.
	encoded []encodedFile
}

// encodedFile is one precompressed copy of a file; its ETag is the file's
// with "-<coding>" added.
type encodedFile struct {
	coding string // the Content-Encoding: "br" or "gzip"
	name   string
	size   int64
}

// codings are the precompressed copies the handler looks for, by the
// suffix the build gives them, in the order of preference when a client
// accepts several equally (brotli is the smaller).
var codings = []struct{ coding, suffix string }{
	{"br", ".br"},
	{"gzip", ".gz"},
}

type handler struct {
	fsys  fs.FS           // the build's root
	files map[string]file // by URL path, e.g. "/assets/index-abc.js"
	index file
	csp   string // Content-Security-Policy of the app's pages
}

// Handler serves the embedded app: its files, with hashed ones under
// /assets/ cached for a year (immutable) and the rest revalidated
// (no-cache); index.html for the app's page routes (pageRoutes) with status
// 200; a JSON 404 for a missing file (a path with an extension, or under
// /assets/); and an HTML 404 page for any other path. Only GET and HEAD are
// answered (405 otherwise).
//
// imgOrigins are origins (scheme://host[:port]) the app may load images
// from besides its own: the origin of an operator's logo URL.
func Handler(imgOrigins ...string) http.Handler {
	h, err := newHandler(dist, "dist")
	if err != nil {
		panic("web: " + err.Error())
	}
	h.csp = contentSecurityPolicy(imgOrigins, nil)
	return h
}

// HandlerWithProviders is Handler whose pages may also send forms on to
// formOrigins: the login providers' authorization endpoints, where the
// provider buttons' form POST is redirected (form-action applies to the
// redirects of a submission).
func HandlerWithProviders(imgOrigins, formOrigins []string) http.Handler {
	h := Handler(imgOrigins...).(*handler)
	h.csp = contentSecurityPolicy(imgOrigins, formOrigins)
	return h
}

// newHandler lists the files under root in fsys; it reads none of them.
func newHandler(fsys fs.FS, root string) (*handler, error) {
	sub, err := fs.Sub(fsys, root)
	if err != nil {
		return nil, err
	}
	h := &handler{fsys: sub, files: map[string]file{}}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		h.files["/"+p] = file{
			name:        p,
			size:        info.Size(),
			contentType: typeOf(p),
			etag:        sync.OnceValues(func() (string, error) { return etagOf(sub, p) }),
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Attach each <file>.br / <file>.gz to its file; they are not served
	// under their own names.
	for p, f := range h.files {
		for _, c := range codings {
			enc, ok := h.files[p+c.suffix]
			if !ok {
				continue
			}
			delete(h.files, p+c.suffix)
			f.encoded = append(f.encoded, encodedFile{coding: c.coding, name: enc.name, size: enc.size})
		}
		h.files[p] = f
	}
	index, ok := h.files["/index.html"]
	if !ok {
		return nil, fs.ErrNotExist
	}
	h.index = index
	return h, nil
}

// etagOf is the ETag of the file name in fsys: the first 128 bits of its
// SHA-256, base64url, quoted.
func etagOf(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", fmt.Errorf("web: hashing %s: %w", name, err)
	}
	return `"` + base64.RawURLEncoding.EncodeToString(sum.Sum(nil)[:16]) + `"`, nil
}

// typeOf is the Content-Type of a built file, from contentTypes alone:
// asking package mime would load the system's whole table (/etc/mime.types:
// some 15,000 objects the garbage collector then marks in every cycle, for
// good) for the precompressed .br and .gz copies, which are never served
// under their own names.
func typeOf(p string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(p))]; ok {
		return t
	}
	return "application/octet-stream"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		writeStatus(w, http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if f, ok := h.files[p]; ok && p != "/index.html" {
		if strings.HasPrefix(p, "/assets/") {
			hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			hd.Set("Cache-Control", "no-cache")
		}
		h.serve(w, r, f)
		return
	}
	page, keyed := p == "/index.html", false
	if !page && !strings.HasPrefix(p, "/assets/") {
		page, keyed = pageRoute(p)
	}
	if !page {
		hd.Set("Cache-Control", "no-store")
		if strings.HasPrefix(p, "/assets/") || p == "/assets" || path.Ext(p) != "" {
			writeStatus(w, http.StatusNotFound)
			return
		}
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(http.StatusNotFound)
		if r.Method != http.MethodHead {
			w.Write([]byte(notFoundPage))
		}
		return
	}
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Frame-Options", "DENY")
	if keyed {
		hd.Set("Referrer-Policy", "no-referrer")
	} else {
		hd.Set("Referrer-Policy", "same-origin")
	}
	h.serve(w, r, h.index)
}

// pageRoute reports whether the clean path p is one of pageRoutes, and
// whether the route has a parameter (a key in the URL).
func pageRoute(p string) (page, keyed bool) {
	for _, route := range pageRoutes {
		if ok, param := matchRoute(route, p); ok {
			return true, param
		}
	}
	return false, false
}

// matchRoute matches p against route segment by segment, a ":name" segment
// matching any one non-empty segment; it reports whether one did.
func matchRoute(route, p string) (ok, param bool) {
	for {
		rs, rrest, rmore := strings.Cut(strings.TrimPrefix(route, "/"), "/")
		ps, prest, pmore := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		switch {
		case strings.HasPrefix(rs, ":"):
			if ps == "" {
				return false, false
			}
			param = true
		case rs != ps:
			return false, false
		}
		if rmore != pmore {
			return false, false
		}
		if !rmore {
			return true, param
		}
		route, p = rrest, prest
	}
}

// serve sends f, or the precompressed copy of it that the request's
// Accept-Encoding prefers, each with its own ETag; responses of a file that
// has copies carry Vary: Accept-Encoding. A file that cannot be read (never
// for the embedded build) answers 500.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, f file) {
	etag, err := f.etag()
	if err != nil {
		writeStatus(w, http.StatusInternalServerError)
		return
	}
	name := f.name
	var enc *encodedFile
	if len(f.encoded) > 0 {
		if enc = negotiate(r.Header.Values("Accept-Encoding"), f.encoded); enc != nil {
			name = enc.name
			etag = strings.TrimSuffix(etag, `"`) + "-" + enc.coding + `"`
		}
	}
	body, err := h.fsys.Open(name)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError)
		return
	}
	defer body.Close()
	content, ok := body.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(body)
		if err != nil {
			writeStatus(w, http.StatusInternalServerError)
			return
		}
		content = bytes.NewReader(b)
	}
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	if len(f.encoded) > 0 {
		hd.Add("Vary", "Accept-Encoding")
	}
	if enc != nil {
		hd.Set("Content-Encoding", enc.coding)
		if r.Header.Get("Range") == "" {
			// ServeContent leaves Content-Length out when a
			// Content-Encoding is set (for writers that compress on
			// the fly); these bytes are final.
			hd.Set("Content-Length", strconv.FormatInt(enc.size, 10))
		}
	}
	hd.Set("ETag", etag)
	// A zero time: no Last-Modified (embedded files have none); the ETag
	// answers conditional requests.
	http.ServeContent(w, r, "", time.Time{}, content)
}

// negotiate picks the copy in encoded (best first) with the highest q-value
// in the Accept-Encoding header lines (RFC 9110 §12.5.3): a coding named
// with q=0 is refused, "*" stands for any coding not named, a coding not
// covered is not acceptable. It returns nil for the identity (no header, or
// no coding with a q above 0 and at least that of a named identity).
func negotiate(header []string, encoded []encodedFile) *encodedFile {
	named := map[string]float64{}
	star := -1.0
	for _, line := range header {
		for _, item := range strings.Split(line, ",") {
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding == "" {
				continue
			}
			q := 1.0
			for _, param := range strings.Split(params, ";") {
				k, v, ok := strings.Cut(param, "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					parsed, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					if err != nil || parsed < 0 || parsed > 1 {
						parsed = 0
					}
					q = parsed
				}
			}
			if coding == "*" {
				star = q
			} else if old, seen := named[coding]; !seen || q > old {
				named[coding] = q
			}
		}
	}
	qOf := func(coding string) float64 {
		if q, ok := named[coding]; ok {
			return q
		}
		if coding == "gzip" {
			if q, ok := named["x-gzip"]; ok {
				return q
			}
		}
		return max(star, 0)
	}
	// The identity is always acceptable (RFC 9110 §12.5.3) but preferred
	// only when named with a higher q than any coding.
	identity := named["identity"]
	var best *encodedFile
	bestQ := 0.0
	for i := range encoded {
		if q := qOf(encoded[i].coding); q > bestQ {
			best, bestQ = &encoded[i], q
		}
	}
	if best == nil || bestQ < identity {
		return nil
	}
	return best
}

func writeStatus(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(`{"status":` + strconv.Itoa(status) + `}`))
}
