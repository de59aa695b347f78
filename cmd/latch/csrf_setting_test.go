package main

import "testing"

// TestCSRFCookieHTTPOnlySetting: LATCH_CSRF_COOKIE_HTTPONLY is off by
// default, as Django's CSRF_COOKIE_HTTPONLY, and reaches the HTTP config.
func TestCSRFCookieHTTPOnlySetting(t *testing.T) {
	for env, want := range map[string]bool{"": false, "false": false, "true": true} {
		c, err := loadConfig(testEnv("sqlite:x.db", "LATCH_CSRF_COOKIE_HTTPONLY", env))
		if err != nil || c.CSRFHTTPOnly != want {
			t.Errorf("LATCH_CSRF_COOKIE_HTTPONLY=%q: %v, %v; want %v", env, c.CSRFHTTPOnly, err, want)
		}
	}
	if _, err := loadConfig(testEnv("sqlite:x.db", "LATCH_CSRF_COOKIE_HTTPONLY", "yes please")); err == nil {
		t.Error("a non-boolean LATCH_CSRF_COOKIE_HTTPONLY was accepted")
	}
}
