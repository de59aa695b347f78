package account_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
)

// limitsHarness is a core with allauth's default budgets
// (login_failed 10/m/ip,5/5m/key; login_failed_account 20/5m/key) and one
// user, hal.
func limitsHarness(t *testing.T) *harness {
	h := newHarness(t, func(c *account.Config) { c.RateLimits = account.DefaultRateLimits() })
	h.addUser("hal@example.com", "hal", true)
	h.addUser("ivy@example.com", "ivy", true)
	return h
}

// from returns a browser calling from ip.
func (h *harness) from(ip string) *client {
	c := h.browser()
	c.c.IP = ip
	return c
}

// tryLogin logs in by email ("@" in ident) or username and returns the
// error code ("" for success).
func (c *client) tryLogin(t *testing.T, ident, pw string) string {
	t.Helper()
	var st *account.State
	var err error
	if len(ident) > 0 && contains(ident, '@') {
		st, err = c.login(ident, "", pw)
	} else {
		st, err = c.login("", ident, pw)
	}
	if err != nil {
		if code := inputCode(err); code != "" {
			return code
		}
		t.Fatalf("login %s: %v", ident, err)
	}
	if !st.Authenticated() {
		t.Fatalf("login %s: not authenticated", ident)
	}
	return ""
}

func contains(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// TestFailureBudgetIsPerAccount: wrong passwords typed against an account's
// address and against its username draw on one budget per account and
// source; other sources and other accounts are not affected.
func TestFailureBudgetIsPerAccount(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ip, ident string
		want      string
	}{
		{"same source, by email", "192.0.2.1", "hal@example.com", "too_many_login_attempts"},
		{"same source, by username", "192.0.2.1", "HAL", "too_many_login_attempts"},
		{"other source", "198.51.100.7", "hal", ""},
		{"same source, other account", "192.0.2.1", "ivy@example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := limitsHarness(t)
			// Five failures, mixing both identifiers of hal.
			for i, ident := range []string{"hal@example.com", "hal", "Hal@Example.com", "HAL", "hal"} {
				want := "email_password_mismatch"
				if !contains(ident, '@') {
					want = "username_password_mismatch"
				}
				if got := h.from("192.0.2.1").tryLogin(t, ident, "wrong password"); got != want {
					t.Fatalf("failure %d: %q, want %q", i+1, got, want)
				}
			}
			if got := h.from(tc.ip).tryLogin(t, tc.ident, testPassword); got != tc.want {
				t.Errorf("right password: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestUnknownIdentifiersKeepTheirBudgets: failures against identifiers
// without an account are counted per identifier typed, not against the
// account that later has it.
func TestUnknownIdentifiersKeepTheirBudgets(t *testing.T) {
	h := limitsHarness(t)
	c := h.from("192.0.2.1")
	for i := 0; i < 5; i++ {
		if got := c.tryLogin(t, "Ghost@example.com", "x"); got != "email_password_mismatch" {
			t.Fatalf("failure %d: %q", i+1, got)
		}
	}
	for _, tc := range []struct{ ident, pw, want string }{
		{"ghost@example.com", "x", "too_many_login_attempts"}, // case-folded: the same identifier
		{"ghost", "x", "username_password_mismatch"},          // another method, another budget
		{"other@example.com", "x", "email_password_mismatch"},
		{"hal@example.com", testPassword, ""},
	} {
		if got := c.tryLogin(t, tc.ident, tc.pw); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.ident, got, tc.want)
		}
	}
}

// TestRightPasswordIsRefunded: a successful login gives back the unit its
// check took, so it does not bring the account nearer to the limit.
func TestRightPasswordIsRefunded(t *testing.T) {
	h := limitsHarness(t)
	ip := "192.0.2.1"
	for i := 0; i < 4; i++ {
		if got := h.from(ip).tryLogin(t, "hal", "wrong"); got != "username_password_mismatch" {
			t.Fatalf("failure %d: %q", i, got)
		}
	}
	for i := 0; i < 3; i++ {
		if got := h.from(ip).tryLogin(t, "hal", testPassword); got != "" {
			t.Fatalf("success %d: %q", i, got)
		}
	}
	if got := h.from(ip).tryLogin(t, "hal", "wrong"); got != "username_password_mismatch" {
		t.Fatalf("fifth failure: %q (a success was charged)", got)
	}
	if got := h.from(ip).tryLogin(t, "hal", testPassword); got != "too_many_login_attempts" {
		t.Fatalf("after five failures: %q", got)
	}
}

// resetByLink resets hal's password through the mailed link, from c.
func resetByLink(t *testing.T, h *harness, c *client, newPassword string) {
	t.Helper()
	if _, err := c.keep(h.svc.Passwords.RequestPasswordReset(bg, c.state(), "hal@example.com")); err != nil {
		t.Fatal(err)
	}
	h.svc.Wait() // the link is stored and mailed after the answer
	key := h.lastMail("password_reset_key", "hal@example.com").str("Key")
	if _, err := c.keep(h.svc.Passwords.ResetPassword(bg, c.state(), key, newPassword)); err != nil {
		t.Fatalf("reset: %v", err)
	}
}

// TestResetForgivesFailures: a password reset forgets the failures counted
// against the account as a whole and from the resetting source, as allauth
// does; without one the failures stay until their window passes.
func TestResetForgivesFailures(t *testing.T) {
	const newPassword = "a different passphrase"
	for _, tc := range []struct {
		name string
		// fail spends a budget; then from logs in (pw: the new password
		// after a reset, else the old one).
		fail   func(t *testing.T, h *harness)
		reset  string // source that resets ("" no reset)
		wait   time.Duration
		from   string
		wantOK bool
	}{
		{"source budget, no reset", failFrom("192.0.2.1", 5), "", time.Minute, "192.0.2.1", false},
		{"source budget, window passed", failFrom("192.0.2.1", 5), "", 5*time.Minute + time.Second, "192.0.2.1", true},
		{"source budget, reset there", failFrom("192.0.2.1", 5), "192.0.2.1", 0, "192.0.2.1", true},
		{"account ceiling, no reset", failAcross(5, 4), "", time.Minute, "203.0.113.9", false},
		{"account ceiling, reset", failAcross(5, 4), "203.0.113.9", 0, "203.0.113.9", true},
		{"account ceiling, reset elsewhere, old source", failAcross(5, 4), "203.0.113.9", 0, "198.51.100.1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := limitsHarness(t)
			tc.fail(t, h)
			pw := testPassword
			if tc.reset != "" {
				resetByLink(t, h, h.from(tc.reset), newPassword)
				pw = newPassword
			}
			h.advance(tc.wait)
			got := h.from(tc.from).tryLogin(t, "hal@example.com", pw)
			if ok := got == ""; ok != tc.wantOK {
				t.Errorf("login from %s: %q, want ok=%v", tc.from, got, tc.wantOK)
			}
		})
	}
}

// failFrom makes n failures against hal from ip.
func failFrom(ip string, n int) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		for i := 0; i < n; i++ {
			if got := h.from(ip).tryLogin(t, "hal@example.com", "wrong"); got != "email_password_mismatch" {
				t.Fatalf("failure %d from %s: %q", i, ip, got)
			}
		}
		if got := h.from(ip).tryLogin(t, "hal@example.com", testPassword); got != "too_many_login_attempts" {
			t.Fatalf("after %d failures from %s: %q", n, ip, got)
		}
	}
}

// failAcross makes the account's ceiling of 20 failures from sources
// sources, perSource each (under each source's budget of 5).
func failAcross(sources, perSource int) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		for s := 0; s < sources; s++ {
			ip := fmt.Sprintf("198.51.100.%d", s+1)
			for i := 0; i < perSource; i++ {
				if got := h.from(ip).tryLogin(t, "hal", "wrong"); got != "username_password_mismatch" {
					t.Fatalf("failure %d from %s: %q", i, ip, got)
				}
			}
		}
		if got := h.from("203.0.113.9").tryLogin(t, "hal", testPassword); got != "too_many_login_attempts" {
			t.Fatalf("after %d failures the account is not at its ceiling: %q", sources*perSource, got)
		}
	}
}
