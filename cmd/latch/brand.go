package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/latchauth/latch/httpapi"
)

// maxLogoBytes bounds LATCH_BRAND_LOGO_FILE: a logo, not a photo.
const maxLogoBytes = 512 << 10

// logoTypes are the image types a logo file may be, by what
// http.DetectContentType finds (SVG, text to it, by its extension).
var logoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true, "image/gif": true}

// readLogo reads a logo file and tells its content type.
func readLogo(path string) ([]byte, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if fi.Size() > maxLogoBytes {
		return nil, "", fmt.Errorf("%d bytes; a logo may have at most %d", fi.Size(), maxLogoBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	if strings.EqualFold(filepath.Ext(path), ".svg") {
		if !bytes.Contains(b, []byte("<svg")) {
			return nil, "", errors.New("a .svg file without an <svg> element")
		}
		return b, "image/svg+xml", nil
	}
	t, _, _ := strings.Cut(http.DetectContentType(b), ";")
	if !logoTypes[t] {
		return nil, "", fmt.Errorf("not a PNG, JPEG, WebP, GIF or SVG image (found %s)", t)
	}
	return b, t, nil
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// parseColor checks a #rrggbb colour and lower-cases it.
func parseColor(v string) (string, error) {
	if !colorPattern.MatchString(v) {
		return "", errors.New("want a colour as #rrggbb, e.g. #2f5d50")
	}
	return strings.ToLower(v), nil
}

// parseLogoURL checks LATCH_BRAND_LOGO_URL: https, or http on a loopback
// host (a development setup), so that the page that shows it stays secure.
func parseLogoURL(v string) (*url.URL, error) {
	u, err := parseHTTPURL(v)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, errors.New("want https:// (http:// only for localhost)")
	}
	return u, nil
}

// loopbackHost reports whether host names this machine.
func loopbackHost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// brandParts returns what the HTTP API, the web app and mail need of the
// brand: the API's Brand, the origins the web app may load the logo from,
// and the logo's absolute URL for mail (mail clients need one).
func (c *config) brandParts() (b httpapi.Brand, imgOrigins []string, mailLogo string) {
	b = c.Brand
	b.SiteName = c.SiteName
	switch {
	case b.Logo != nil:
		mailLogo = strings.TrimSuffix(c.PublicURL.String(), "/") + httpapi.BrandLogoPath
	case b.LogoURL != "":
		u, _ := url.Parse(b.LogoURL) // checked by parseLogoURL
		imgOrigins = []string{u.Scheme + "://" + u.Host}
		mailLogo = b.LogoURL
	}
	return b, imgOrigins, mailLogo
}
