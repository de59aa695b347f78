package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSocialSettings: LATCH_SOCIAL_PROVIDERS is checked at start (inline or
// a file), and the LATCH_SOCIAL_* rules reach the core with allauth's
// defaults.
func TestSocialSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "providers.json")
	if err := os.WriteFile(file, []byte(`[{"kind":"github","client_id":"x","secret":"y"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value string
		want  string // part of the error; "" for none
		n     int
	}{
		{"", "", 0},
		{`[{"id":"corp","kind":"oidc","client_id":"c","secret":"s","issuer":"https://sso.example.com"}]`, "", 1},
		{file, "", 1},
		{`[{"kind":"oidc","client_id":"c","issuer":"http://sso.example.com"}]`, "loopback", 0},
		{`[{"kind":"google","client_id":"c","secrte":"s"}]`, "unknown field", 0},
		{`[{"kind":"myspace","client_id":"c"}]`, "unknown kind", 0},
		{`{"kind":"google"}`, "JSON array", 0},
		{filepath.Join(t.TempDir(), "missing.json"), "read providers file", 0},
	}
	for _, tt := range tests {
		c, err := loadConfig(testEnv("sqlite:x.db", "LATCH_SOCIAL_PROVIDERS", tt.value))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q refused: %v", tt.value, err)
		case tt.want == "" && len(c.SocialProviders) != tt.n:
			t.Errorf("%q: %d providers, want %d", tt.value, len(c.SocialProviders), tt.n)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "LATCH_SOCIAL_PROVIDERS")):
			t.Errorf("%q: err %v, want one naming LATCH_SOCIAL_PROVIDERS and %q", tt.value, err, tt.want)
		}
	}
	c, err := loadConfig(testEnv("sqlite:x.db"))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Account.Social; s.EmailAuthentication || !s.AutoConnect || !s.AutoSignup || s.StoreTokens {
		t.Errorf("defaults %+v", s)
	}
	c, err = loadConfig(testEnv("sqlite:x.db", "LATCH_SOCIAL_EMAIL_AUTHENTICATION", "true", "LATCH_SOCIAL_EMAIL_AUTHENTICATION_AUTO_CONNECT", "false",
		"LATCH_SOCIAL_AUTO_SIGNUP", "false", "LATCH_SOCIAL_STORE_TOKENS", "true"))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Account.Social; !s.EmailAuthentication || s.AutoConnect || s.AutoSignup || !s.StoreTokens {
		t.Errorf("set %+v", s)
	}
}
