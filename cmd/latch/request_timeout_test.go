package main

import (
	"testing"
	"time"
)

// TestRequestTimeoutSetting: LATCH_REQUEST_TIMEOUT defaults to 10 s, takes a
// positive Go duration, and is a known setting (no "unknown setting" warning).
func TestRequestTimeoutSetting(t *testing.T) {
	for env, want := range map[string]time.Duration{"": 10 * time.Second, "250ms": 250 * time.Millisecond, "1m": time.Minute} {
		c, err := loadConfig(testEnv("sqlite:x.db", "LATCH_REQUEST_TIMEOUT", env))
		if err != nil || c.RequestTimeout != want {
			t.Errorf("LATCH_REQUEST_TIMEOUT=%q: %v, %v; want %v", env, c.RequestTimeout, err, want)
		}
	}
	for _, bad := range []string{"0", "-1s", "ten seconds"} {
		if _, err := loadConfig(testEnv("sqlite:x.db", "LATCH_REQUEST_TIMEOUT", bad)); err == nil {
			t.Errorf("LATCH_REQUEST_TIMEOUT=%q was accepted", bad)
		}
	}
	if w := unknownSettings([]string{"LATCH_REQUEST_TIMEOUT=5s"}); len(w) != 0 {
		t.Errorf("LATCH_REQUEST_TIMEOUT warned as unknown: %v", w)
	}
}
