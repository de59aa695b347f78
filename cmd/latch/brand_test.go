package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBrandSettings(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "logo.png")
	os.WriteFile(png, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...), 0o600)
	svg := filepath.Join(dir, "logo.svg")
	os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), 0o600)
	notSVG := filepath.Join(dir, "fake.svg")
	os.WriteFile(notSVG, []byte(`<html><script>alert(1)</script>`), 0o600)
	text := filepath.Join(dir, "logo.txt")
	os.WriteFile(text, []byte("hello"), 0o600)
	big := filepath.Join(dir, "big.png")
	os.WriteFile(big, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, maxLogoBytes)...), 0o600)

	tests := []struct {
		env             map[string]string
		err             string // "" for none: a setting the error names
		color, logoType string
		logoURL, imgSrc string
		mailLogo        string
		accountDeletion bool
	}{
		{env: map[string]string{}, color: "#2f5d50", accountDeletion: true},
		{env: map[string]string{"LATCH_BRAND_COLOR": "#AA3300", "LATCH_ACCOUNT_DELETION": "false", "LATCH_PUBLIC_URL": "https://id.example.com", "LATCH_EMAIL_URL": "console:",
			"LATCH_BRAND_LOGO_FILE": png}, color: "#aa3300", logoType: "image/png", mailLogo: "https://id.example.com/_latch/brand/logo"},
		{env: map[string]string{"LATCH_BRAND_LOGO_FILE": svg}, color: "#2f5d50", logoType: "image/svg+xml", mailLogo: "http://127.0.0.1:0/_latch/brand/logo", accountDeletion: true},
		{env: map[string]string{"LATCH_BRAND_LOGO_URL": "https://cdn.example.com/a/logo.png"}, color: "#2f5d50",
			logoURL: "https://cdn.example.com/a/logo.png", imgSrc: "https://cdn.example.com", mailLogo: "https://cdn.example.com/a/logo.png", accountDeletion: true},
		{env: map[string]string{"LATCH_BRAND_COLOR": "green"}, err: "LATCH_BRAND_COLOR"},
		{env: map[string]string{"LATCH_BRAND_COLOR": "#2f5d5"}, err: "LATCH_BRAND_COLOR"},
		{env: map[string]string{"LATCH_BRAND_LOGO_URL": "http://cdn.example.com/logo.png"}, err: "LATCH_BRAND_LOGO_URL"},
		{env: map[string]string{"LATCH_BRAND_LOGO_URL": "javascript:alert(1)"}, err: "LATCH_BRAND_LOGO_URL"},
		{env: map[string]string{"LATCH_BRAND_LOGO_URL": "https://cdn.example.com/l.png", "LATCH_BRAND_LOGO_FILE": png}, err: "not both"},
		{env: map[string]string{"LATCH_BRAND_LOGO_FILE": text}, err: "LATCH_BRAND_LOGO_FILE"},
		{env: map[string]string{"LATCH_BRAND_LOGO_FILE": notSVG}, err: "LATCH_BRAND_LOGO_FILE"},
		{env: map[string]string{"LATCH_BRAND_LOGO_FILE": big}, err: "LATCH_BRAND_LOGO_FILE"},
		{env: map[string]string{"LATCH_BRAND_LOGO_FILE": filepath.Join(dir, "missing.png")}, err: "LATCH_BRAND_LOGO_FILE"},
		{env: map[string]string{"LATCH_ACCOUNT_DELETION": "maybe"}, err: "LATCH_ACCOUNT_DELETION"},
	}
	for _, tt := range tests {
		env := map[string]string{"LATCH_ADDR": "127.0.0.1:0"}
		for k, v := range tt.env {
			env[k] = v
		}
		c, err := loadConfig(func(k string) string { return env[k] })
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: err %v, want one naming %s", tt.env, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.env, err)
			continue
		}
		b, img, mailLogo := c.brandParts()
		if b.Color != tt.color || b.LogoType != tt.logoType || b.LogoURL != tt.logoURL || strings.Join(img, ",") != tt.imgSrc ||
			mailLogo != tt.mailLogo || c.Account.AccountDeletion != tt.accountDeletion || b.SiteName != "Latch" {
			t.Errorf("%v: brand %+v (logo %d bytes), img-src %v, mail logo %q, deletion %v", tt.env, b, len(b.Logo), img, mailLogo, c.Account.AccountDeletion)
		}
	}
}
