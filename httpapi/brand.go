package httpapi

import (
	"net/http"
	"strconv"
)

// Brand is what the web app and mail show of the operator's site
// (LATCH_SITE_NAME, LATCH_BRAND_*): GET /config tells the web app in its
// `latch` section, and a logo file is served at BrandLogoPath.
type Brand struct {
	SiteName string
	// LogoURL is an absolute URL of the logo; Logo (with its LogoType, e.g.
	// image/png) is a logo file that Latch serves itself. At most one is set.
	LogoURL  string
	Logo     []byte
	LogoType string
	// Color is the accent colour, #rrggbb; default mail.DefaultBrandColor,
	// the web app's own.
	Color string
}

// BrandLogoPath is where a configured logo file is served.
const BrandLogoPath = "/_latch/brand/logo"

// logoURL is the logo's address for the web app: the configured URL, the
// path of the served file, or "" for none.
func (b Brand) logoURL() string {
	if b.Logo != nil {
		return BrandLogoPath
	}
	return b.LogoURL
}

// brandAPI serves the brand's files.
type brandAPI struct{ s *Server }

// logo serves the configured logo file. It is public, cacheable for an
// hour, and sandboxed (an SVG logo runs no script and loads nothing).
func (a brandAPI) logo(w http.ResponseWriter, r *http.Request) {
	b := a.s.cfg.Brand
	h := w.Header()
	h.Set("Content-Type", b.LogoType)
	h.Set("Content-Length", strconv.Itoa(len(b.Logo)))
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b.Logo)
	}
}
