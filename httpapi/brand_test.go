package httpapi_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
)

// TestBrandInConfig: /config's latch section carries the operator's
// branding, the account-deletion switch and the lifetimes the web app's
// copy names, on both clients; a logo file is served sandboxed at
// /_latch/brand/logo, and without one that path is a JSON 404.
func TestBrandInConfig(t *testing.T) {
	logo := []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")
	tests := []struct {
		name     string
		brand    httpapi.Brand
		deletion bool
		logoURL  any
		color    string
	}{
		{"defaults", httpapi.Brand{}, true, nil, "#2f5d50"},
		{"file", httpapi.Brand{SiteName: "Acme", Logo: logo, LogoType: "image/svg+xml", Color: "#aa3300"}, false, "/_latch/brand/logo", "#aa3300"},
		{"url", httpapi.Brand{SiteName: "Acme", LogoURL: "https://cdn.example.com/acme.png"}, true, "https://cdn.example.com/acme.png", "#2f5d50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startLatch(t, openSQLite(t), func(c *account.Config, h *httpapi.Config) {
				h.Brand = tt.brand
				c.AccountDeletion = tt.deletion
				c.LoginCode.TTL = 5 * time.Minute
			})
			for _, kind := range []string{"browser", "app"} {
				r := newClient(t, srv, kind).do("GET", "/config", nil)
				l, _ := r.data()["latch"].(map[string]any)
				if l == nil {
					t.Fatalf("%s: no latch section: %v", kind, r.Body)
				}
				b := l["brand"].(map[string]any)
				site := tt.brand.SiteName
				if site == "" {
					site = "Latch"
				}
				if l["site_name"] != site || b["logo_url"] != tt.logoURL || b["color"] != tt.color || l["account_deletion"] != tt.deletion {
					t.Errorf("%s: latch %v", kind, l)
				}
				if lt := l["lifetimes"].(map[string]any); lt["login_code"] != 300.0 || lt["password_reset_link"] != 3600.0 || lt["session"] != 14*24*3600.0 {
					t.Errorf("%s: lifetimes %v", kind, lt)
				}
			}
			res, err := http.Get(srv.URL + httpapi.BrandLogoPath)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if tt.brand.Logo == nil {
				if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/json" {
					t.Errorf("no logo file: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
				}
				return
			}
			if res.StatusCode != 200 || string(body) != string(logo) || res.Header.Get("Content-Type") != "image/svg+xml" ||
				res.Header.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'; sandbox" ||
				res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("logo: %d %v %q", res.StatusCode, res.Header, body)
			}
		})
	}
}
