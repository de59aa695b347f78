package web

import (
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/fstest"
)

// countingFS counts the regular files opened in files. It has only Open
// (not MapFS's Sub, ReadFile or ReadDir), so that every access goes
// through it.
type countingFS struct {
	files  fstest.MapFS
	opened atomic.Int32
}

func (c *countingFS) Open(name string) (fs.File, error) {
	if f, ok := c.files[name]; ok && !f.Mode.IsDir() {
		c.opened.Add(1)
	}
	return c.files.Open(name)
}

// eagerETag is the ETag the handler made for every file at start before it
// made them on first use: the quoted base64url first 128 bits of the
// file's SHA-256.
func eagerETag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// TestFilesReadOnUse: making the handler reads no file; a response reads
// the file it sends, with the ETag, body and Content-Length the handler
// gave it when it hashed every file at start.
func TestFilesReadOnUse(t *testing.T) {
	js, br, gz := []byte("console.log(1)\n"), []byte("brotli bytes"), []byte("gzip bytes, longer")
	fsys := &countingFS{files: fstest.MapFS{
		"dist/index.html":      {Data: []byte("<!doctype html>")},
		"dist/assets/a.js":     {Data: js},
		"dist/assets/a.js.br":  {Data: br},
		"dist/assets/a.js.gz":  {Data: gz},
		"dist/assets/logo.svg": {Data: []byte("<svg/>")},
	}}
	h, err := newHandler(fsys, "dist")
	if err != nil {
		t.Fatal(err)
	}
	if n := fsys.opened.Load(); n != 0 {
		t.Fatalf("newHandler opened %d files, want none", n)
	}
	tests := []struct {
		accept   string
		body     []byte
		etag     string
		encoding string
	}{
		{"", js, eagerETag(js), ""},
		{"br, gzip", br, eagerETag(js)[:len(eagerETag(js))-1] + `-br"`, "br"},
		{"gzip", gz, eagerETag(js)[:len(eagerETag(js))-1] + `-gzip"`, "gzip"},
	}
	for _, tc := range tests {
		w := get(t, h, "GET", "/assets/a.js", "Accept-Encoding", tc.accept)
		if w.Code != http.StatusOK || w.Body.String() != string(tc.body) {
			t.Errorf("Accept-Encoding %q: status %d, body %q; want 200, %q", tc.accept, w.Code, w.Body, tc.body)
		}
		hd := w.Header()
		if hd.Get("ETag") != tc.etag || hd.Get("Content-Encoding") != tc.encoding ||
			hd.Get("Content-Length") != strconv.Itoa(len(tc.body)) || hd.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: ETag %q, Content-Encoding %q, Content-Length %q, Vary %q; want %q, %q, %d, Accept-Encoding",
				tc.accept, hd.Get("ETag"), hd.Get("Content-Encoding"), hd.Get("Content-Length"), hd.Get("Vary"), tc.etag, tc.encoding, len(tc.body))
		}
		if w := get(t, h, "GET", "/assets/a.js", "Accept-Encoding", tc.accept, "If-None-Match", tc.etag); w.Code != http.StatusNotModified {
			t.Errorf("Accept-Encoding %q, If-None-Match: status %d, want 304", tc.accept, w.Code)
		}
	}
	if n := fsys.opened.Load(); n != 7 { // a.js hashed once, then 6 responses
		t.Errorf("%d files opened, want 7", n)
	}
}

// TestEmbeddedETags: every file of the committed build gets, on first
// use, the ETag it got when all were hashed at start.
func TestEmbeddedETags(t *testing.T) {
	h, err := newHandler(dist, "dist")
	if err != nil {
		t.Fatal(err)
	}
	for p, f := range h.files {
		b, err := fs.ReadFile(dist, "dist"+p)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.etag(); err != nil || got != eagerETag(b) {
			t.Errorf("%s: ETag %q, %v; want %q", p, got, err, eagerETag(b))
		}
	}
}
