package account_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/ratelimit"
)

// This file tests the MFA family through the core: TOTP enrolment, the
// mfa_authenticate stage on every way into an account, recovery codes,
// reauthentication and trusted browsers. Codes come from the test's own
// TOTP generator, not the core's.

// totpAt is the 6-digit TOTP code of a base32 secret at t (RFC 6238).
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	m := hmac.New(sha1.New, key)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], uint64(at.Unix()/30))
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[19] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1_000_000)
}

// enrol logs c in as email and activates TOTP; it returns the secret and
// the recovery codes, and leaves the clock one step later (so the next
// code is not the activating one) and c logged out.
func (h *harness) enrol(c *client, email string) (string, []string) {
	h.t.Helper()
	if _, err := c.login(email, "", testPassword); err != nil {
		h.t.Fatalf("login: %v", err)
	}
	active, setup, err := h.svc.MFA.TOTP(bg, c.state())
	if err != nil || active != nil || setup == nil {
		h.t.Fatalf("TOTP: %v %v %v", active, setup, err)
	}
	if !strings.HasPrefix(setup.URL, "otpauth://totp/") || !strings.Contains(setup.URL, "secret="+setup.Secret) {
		h.t.Fatalf("totp url %s", setup.URL)
	}
	info, made, err := h.svc.MFA.ActivateTOTP(bg, c.state(), totpAt(h.t, setup.Secret, h.now))
	if err != nil || info.Type != latch.AuthenticatorTOTP || !made {
		h.t.Fatalf("activate: %+v %v %v", info, made, err)
	}
	if m := h.lastMail("mfa_enabled", email); !strings.Contains(m.str("Factor"), "TOTP") {
		h.t.Fatalf("notification %+v", m)
	}
	rc, err := h.svc.MFA.RecoveryCodes(bg, c.state())
	if err != nil {
		h.t.Fatalf("recovery codes: %v", err)
	}
	if _, err := c.keep(h.svc.Sessions.Logout(bg, c.state())); err != nil {
		h.t.Fatal(err)
	}
	h.advance(30 * time.Second)
	return setup.Secret, rc.Codes
}

func (c *client) mfa(code string) (*account.State, error) {
	return c.keep(c.h.svc.MFA.Authenticate(bg, c.state(), code))
}

// TestTOTPEnrolment: a verified account sees a fresh secret while it has
// no TOTP, activates it with a right code only, once, gets 10 recovery
// codes with it, and lists both; an account with no verified address
// cannot add one (409).
func TestTOTPEnrolment(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ann@example.com", "ann", true)
	h.addUser("bob@example.com", "bob", false)

	bob := h.browser()
	if _, err := bob.login("bob@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.svc.MFA.TOTP(bg, bob.state()); !errors.Is(err, latch.ErrConflict) {
		t.Fatalf("unverified account: %v, want conflict", err)
	}

	c := h.browser()
	if _, err := c.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	_, setup, err := h.svc.MFA.TOTP(bg, c.state())
	if err != nil {
		t.Fatal(err)
	}
	_, again, err := h.svc.MFA.TOTP(bg, c.state())
	if err != nil || again.Secret == setup.Secret {
		t.Fatalf("second GET reuses the secret or fails: %v", err)
	}
	// Only the latest secret offered activates.
	if _, _, err := h.svc.MFA.ActivateTOTP(bg, c.state(), totpAt(t, setup.Secret, h.now)); inputCode(err) != "incorrect_code" {
		t.Fatalf("code of an older secret: %v", err)
	}
	wrong := totpAt(t, again.Secret, h.now.Add(-2*time.Minute))
	if _, _, err := h.svc.MFA.ActivateTOTP(bg, c.state(), wrong); inputCode(err) != "incorrect_code" {
		t.Fatalf("stale code: %v", err)
	}
	if _, _, err := h.svc.MFA.ActivateTOTP(bg, c.state(), totpAt(t, again.Secret, h.now)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.svc.MFA.ActivateTOTP(bg, c.state(), totpAt(t, again.Secret, h.now)); !errors.Is(err, latch.ErrConflict) {
		t.Fatalf("second activation: %v, want conflict", err)
	}
	active, setup2, err := h.svc.MFA.TOTP(bg, c.state())
	if err != nil || active == nil || setup2 != nil {
		t.Fatalf("active TOTP not reported: %v %v %v", active, setup2, err)
	}
	list, err := h.svc.MFA.Authenticators(bg, c.state())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, a := range list {
		types = append(types, a.Type)
		if a.Type == latch.AuthenticatorRecoveryCodes && (a.Total != 10 || a.Unused != 10) {
			t.Errorf("recovery codes %d/%d, want 10/10", a.Unused, a.Total)
		}
	}
	if !slices.Equal(types, []string{"totp", "recovery_codes"}) {
		t.Fatalf("authenticators %v", types)
	}
	if h.events.count(account.EventMFAEnabled) != 1 {
		t.Errorf("mfa_enabled events: %d", h.events.count(account.EventMFAEnabled))
	}
	// Nothing secret reaches the store in clear.
	stored, err := h.db.Authenticators.Authenticators(bg, c.state().User.ID)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := h.svc.MFA.RecoveryCodes(bg, c.state())
	for _, a := range stored {
		if strings.Contains(a.Data, again.Secret) || strings.Contains(a.Data, rc.Codes[0]) {
			t.Fatalf("a secret is stored in clear: %s", a.Data)
		}
	}
}

// TestNoLoginPathSkipsMFA: every way into an account with a second factor
// — password by email or username, login by code, a password reset that
// logs in, each with and without mandatory verification first — waits at
// mfa_authenticate with no session and no tokens, and a right code
// finishes it with the mfa method recorded.
func TestNoLoginPathSkipsMFA(t *testing.T) {
	paths := []string{"password/email", "password/username", "code", "reset"}
	for _, path := range paths {
		for _, app := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/app=%v", path, app), func(t *testing.T) {
				h := newHarness(t, func(c *account.Config) {
					c.LoginByCode, c.LoginOnPasswordReset = true, true
					if app {
						c.Tokens.Strategy = "jwt"
					}
				})
				u := h.addUser("ann@example.com", "ann", true)
				secret, _ := h.enrol(h.browser(), "ann@example.com")
				c := h.browser()
				if app {
					c = h.app()
				}
				var st *account.State
				var err error
				switch path {
				case "password/email":
					st, err = c.login("ann@example.com", "", testPassword)
				case "password/username":
					st, err = c.login("", "ann", testPassword)
				case "code":
					if _, err := c.requestLoginCode("ann@example.com"); err != nil {
						t.Fatal(err)
					}
					st, err = c.confirmLoginCode(h.lastMail("login_code", "ann@example.com").str("Code"))
				case "reset":
					if _, err := h.svc.Passwords.RequestPasswordReset(bg, c.state(), "ann@example.com"); err != nil {
						t.Fatal(err)
					}
					h.svc.Wait()
					key := h.lastMail("password_reset_key", "ann@example.com").str("Key")
					st, err = c.keep(h.svc.Passwords.ResetPassword(bg, c.state(), key, "a new and long passphrase"))
				}
				if err != nil {
					t.Fatalf("first factor: %v", err)
				}
				if st.Authenticated() || st.AccessToken != "" || st.RefreshToken != "" {
					t.Fatalf("authenticated before the second factor: %+v", st)
				}
				if got := c.pendingStage(); got != "mfa_authenticate" {
					t.Fatalf("pending %q, want mfa_authenticate", got)
				}
				if n := h.sessionsOf(u.ID); n != 0 {
					t.Fatalf("%d authenticated sessions before the second factor", n)
				}
				types, err := h.svc.MFA.PendingTypes(bg, c.state())
				if err != nil || !slices.Equal(types, []string{"recovery_codes", "totp"}) {
					t.Fatalf("pending types %v %v", types, err)
				}
				st, err = c.mfa(totpAt(t, secret, h.now))
				if err != nil {
					t.Fatalf("second factor: %v", err)
				}
				if !st.Authenticated() || st.User.ID != u.ID {
					t.Fatal("not authenticated after the second factor")
				}
				m := st.Methods()
				if len(m) != 2 || m[1].Method != "mfa" || m[1].Type != "totp" {
					t.Fatalf("methods %+v", m)
				}
				if app && (st.AccessToken == "" || st.RefreshToken == "") {
					t.Fatal("no tokens after the second factor")
				}
			})
		}
	}
}

// TestMFAAfterVerification: under mandatory verification, a login waits
// at verify_email first and at mfa_authenticate after it.
func TestMFAAfterVerification(t *testing.T) {
	h := newHarness(t, func(c *account.Config) {
		c.EmailVerification, c.VerificationByCode = account.VerificationMandatory, true
	})
	h.addUser("ann@example.com", "ann", true)
	secret, _ := h.enrol(h.browser(), "ann@example.com")
	// A second, unverified address used to log in must be verified first.
	u, _ := h.db.Users.UserByEmail(bg, "ann@example.com")
	if err := h.db.Emails.AddEmail(bg, &latch.EmailAddress{UserID: u.ID, Email: "ann2@example.com", Created: h.now}); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Emails.SetPrimaryEmail(bg, u.ID, "ann2@example.com", h.now); err != nil {
		t.Fatal(err)
	}
	c := h.browser()
	if _, err := c.login("", "ann", testPassword); err != nil {
		t.Fatal(err)
	}
	if got := c.pendingStage(); got != "verify_email" {
		t.Fatalf("pending %q, want verify_email", got)
	}
	code := h.lastMail("email_confirmation", "ann2@example.com").str("Code")
	if _, err := c.verifyEmail(code); err != nil {
		t.Fatal(err)
	}
	if got := c.pendingStage(); got != "mfa_authenticate" {
		t.Fatalf("pending %q after verification, want mfa_authenticate", got)
	}
	if st, err := c.mfa(totpAt(t, secret, h.now)); err != nil || !st.Authenticated() {
		t.Fatalf("second factor: %v", err)
	}
}

// TestTOTPReplay: a code is accepted once — the activating code cannot log
// in, and a code that logged in cannot log in again within its window —
// while the next step's code works.
func TestTOTPReplay(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ann@example.com", "ann", true)
	c := h.browser()
	if _, err := c.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	_, setup, _ := h.svc.MFA.TOTP(bg, c.state())
	first := totpAt(t, setup.Secret, h.now)
	if _, _, err := h.svc.MFA.ActivateTOTP(bg, c.state(), first); err != nil {
		t.Fatal(err)
	}
	c = h.browser()
	if _, err := c.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := c.mfa(first); inputCode(err) != "incorrect_code" {
		t.Fatalf("activating code replayed: %v", err)
	}
	h.advance(30 * time.Second)
	next := totpAt(t, setup.Secret, h.now)
	if _, err := c.mfa(next); err != nil {
		t.Fatalf("next code: %v", err)
	}
	other := h.browser()
	if _, err := other.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := other.mfa(next); inputCode(err) != "incorrect_code" {
		t.Fatalf("used code replayed in another login: %v", err)
	}
}

// TestRecoveryCodeLogin: a recovery code passes mfa_authenticate once; the
// unused count drops; regenerated codes replace the old ones.
func TestRecoveryCodeLogin(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ann@example.com", "ann", true)
	_, codes := h.enrol(h.browser(), "ann@example.com")
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	c := h.browser()
	if _, err := c.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	st, err := c.mfa(codes[0])
	if err != nil || st.Methods()[1].Type != "recovery_codes" {
		t.Fatalf("recovery code: %v", err)
	}
	rc, err := h.svc.MFA.RecoveryCodes(bg, c.state())
	if err != nil || rc.Unused != 9 || slices.Contains(rc.Codes, codes[0]) {
		t.Fatalf("after one use: %+v %v", rc, err)
	}
	d := h.browser()
	if _, err := d.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := d.mfa(codes[0]); inputCode(err) != "incorrect_code" {
		t.Fatalf("used recovery code accepted: %v", err)
	}
	fresh, err := h.svc.MFA.RegenerateRecoveryCodes(bg, c.state())
	if err != nil || len(fresh.Codes) != 10 || fresh.Unused != 10 {
		t.Fatalf("regenerate: %+v %v", fresh, err)
	}
	if _, err := d.mfa(codes[1]); inputCode(err) != "incorrect_code" {
		t.Fatalf("old recovery code accepted after regeneration: %v", err)
	}
	if st, err := d.mfa(fresh.Codes[0]); err != nil || !st.Authenticated() {
		t.Fatalf("new recovery code: %v", err)
	}
}

// TestMFAAttempts: MaxAttempts wrong codes end the pending login.
func TestMFAAttempts(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ann@example.com", "ann", true)
	secret, _ := h.enrol(h.browser(), "ann@example.com")
	c := h.browser()
	if _, err := c.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	right := totpAt(t, secret, h.now)
	wrong := "000000"
	if wrong == right {
		wrong = "111111"
	}
	for i := range 5 {
		if _, err := c.mfa(wrong); inputCode(err) != "incorrect_code" {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if _, err := c.mfa(right); !errors.Is(err, latch.ErrConflict) {
		t.Fatalf("right code after 5 wrong ones: %v, want conflict (login dropped)", err)
	}
	if got := c.pendingStage(); got != "" {
		t.Fatalf("still pending at %q", got)
	}
}

// TestReauthentication: the actions that need a recent authentication
// refuse a login older than the timeout with ErrReauthenticationRequired;
// a password (wrong: incorrect_password) or a second factor renews it.
func TestReauthentication(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ann@example.com", "ann", true)
	secret, _ := h.enrol(h.browser(), "ann@example.com")
	c := h.browser()
	if _, err := c.login("ann@example.com", "", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := c.mfa(totpAt(t, secret, h.now)); err != nil {
		t.Fatal(err)
	}
	gated := map[string]func() error{
		"recovery codes": func() error { _, err := h.svc.MFA.RecoveryCodes(bg, c.state()); return err },
		"add email":      func() error { _, err := h.svc.Emails.AddEmail(bg, c.state(), "new@example.com"); return err },
		"remove email":   func() error { return h.svc.Emails.RemoveEmail(bg, c.state(), "none@example.com") },
		"primary email":  func() error { return h.svc.Emails.SetPrimaryEmail(bg, c.state(), "none@example.com", true) },
		"end other sessions": func() error {
			_, err := h.svc.Sessions.EndSessions(bg, c.state(), []int64{c.state().Session.ID + 1000})
			return err
		},
		"deactivate totp": func() error { return h.svc.MFA.DeactivateTOTP(bg, c.state()) },
	}
	h.advance(6 * time.Minute)
	for name, fn := range gated {
		if err := fn(); !errors.Is(err, latch.ErrReauthenticationRequired) {
			t.Errorf("%s after 6 minutes: %v, want reauthentication", name, err)
		}
	}
	flows, err := h.svc.MFA.ReauthenticationFlows(bg, c.state())
	if err != nil || len(flows) != 2 || flows[0].ID != "reauthenticate" || flows[1].ID != "mfa_reauthenticate" ||
		!slices.Equal(flows[1].Types, []string{"recovery_codes", "totp"}) {
		t.Fatalf("flows %+v %v", flows, err)
	}
	if _, err := h.svc.Sessions.Reauthenticate(bg, c.state(), "wrong password"); inputCode(err) != "incorrect_password" {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := h.svc.Sessions.Reauthenticate(bg, c.state(), testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.MFA.RecoveryCodes(bg, c.state()); err != nil {
		t.Fatalf("after password reauthentication: %v", err)
	}
	m := c.state().Methods()
	if last := m[len(m)-1]; last.Method != "password" || !last.Reauthenticated {
		t.Fatalf("methods %+v", m)
	}
	h.advance(6 * time.Minute)
	if _, err := h.svc.MFA.Reauthenticate(bg, c.state(), "123"); inputCode(err) != "incorrect_code" {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := h.svc.MFA.Reauthenticate(bg, c.state(), totpAt(t, secret, h.now)); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.MFA.DeactivateTOTP(bg, c.state()); err != nil {
		t.Fatalf("deactivate after MFA reauthentication: %v", err)
	}
	list, _ := h.svc.MFA.Authenticators(bg, c.state())
	if len(list) != 0 {
		t.Fatalf("left after deactivation: %+v (recovery codes go with the last factor)", list)
	}
	if h.events.count(account.EventMFADisabled) != 1 {
		t.Error("no mfa_disabled event")
	}
	h.lastMail("mfa_disabled", "ann@example.com")
	// Without MFA, a login skips the stage again.
	d := h.browser()
	if st, err := d.login("ann@example.com", "", testPassword); err != nil || !st.Authenticated() {
		t.Fatalf("login without MFA: %v", err)
	}
}

// TestTrustedBrowser: with trust on, a browser login waits at mfa_trust
// after the second factor; trusting hands a token with which the browser's
// next login skips mfa_authenticate, until the TTL, a password change or
// an authenticator change. Declining hands none; the app is never asked.
func TestTrustedBrowser(t *testing.T) {
	h := newHarness(t, func(c *account.Config) { c.MFA.Trust = true })
	h.addUser("ann@example.com", "ann", true)
	secret, _ := h.enrol(h.browser(), "ann@example.com")

	loginTo := func(c *client, wantStage string) {
		t.Helper()
		if _, err := c.login("ann@example.com", "", testPassword); err != nil {
			t.Fatal(err)
		}
		if got := c.pendingStage(); got != wantStage {
			t.Fatalf("pending %q, want %q", got, wantStage)
		}
	}
	trustToken := func() string {
		t.Helper()
		c := h.browser()
		loginTo(c, "mfa_authenticate")
		h.advance(30 * time.Second)
		if _, err := c.mfa(totpAt(t, secret, h.now)); err != nil {
			t.Fatal(err)
		}
		if got := c.pendingStage(); got != "mfa_trust" {
			t.Fatalf("pending %q, want mfa_trust", got)
		}
		st, err := c.keep(h.svc.MFA.Trust(bg, c.state(), true))
		if err != nil || !st.Authenticated() || st.NewTrust == "" {
			t.Fatalf("trust: %+v %v", st, err)
		}
		return st.NewTrust
	}

	token := trustToken()
	trusted := h.browser()
	trusted.c.Trust = token
	loginTo(trusted, "")

	// Declining: no token.
	c := h.browser()
	loginTo(c, "mfa_authenticate")
	h.advance(30 * time.Second)
	if _, err := c.mfa(totpAt(t, secret, h.now)); err != nil {
		t.Fatal(err)
	}
	if st, err := c.keep(h.svc.MFA.Trust(bg, c.state(), false)); err != nil || !st.Authenticated() || st.NewTrust != "" {
		t.Fatalf("decline: %v", err)
	}

	// The app is never asked.
	a := h.app()
	a.c.Trust = token
	loginTo(a, "mfa_authenticate")
	h.advance(30 * time.Second)
	if st, err := a.mfa(totpAt(t, secret, h.now)); err != nil || !st.Authenticated() {
		t.Fatalf("app: %v", err)
	}

	// A token for another user, or tampered with, does not count.
	h.addUser("bob@example.com", "bob", true)
	forged := h.browser()
	forged.c.Trust = strings.Replace(token, "pub-ann@example.com", "pub-bob@example.com", 1)
	loginTo(forged, "mfa_authenticate")

	// A password change ends the trust.
	if _, err := trusted.keep(h.svc.Passwords.ChangePassword(bg, trusted.state(),
		account.ChangePasswordInput{CurrentPassword: testPassword, NewPassword: "another long passphrase"})); err != nil {
		t.Fatal(err)
	}
	again := h.browser()
	again.c.Trust = token
	if _, err := again.login("ann@example.com", "", "another long passphrase"); err != nil {
		t.Fatal(err)
	}
	if got := again.pendingStage(); got != "mfa_authenticate" {
		t.Fatalf("after a password change: pending %q, want mfa_authenticate", got)
	}

	// So does regenerating the recovery codes; and the TTL.
	h2 := newHarness(t, func(c *account.Config) { c.MFA.Trust = true })
	h = h2
	h.addUser("ann@example.com", "ann", true)
	secret, _ = h.enrol(h.browser(), "ann@example.com")
	token = trustToken()
	owner := h.browser()
	owner.c.Trust = token
	loginTo(owner, "")
	if _, err := h.svc.MFA.RegenerateRecoveryCodes(bg, owner.state()); err != nil {
		t.Fatal(err)
	}
	later := h.browser()
	later.c.Trust = token
	loginTo(later, "mfa_authenticate")

	token = trustToken()
	h.advance(14*24*time.Hour + time.Second)
	expired := h.browser()
	expired.c.Trust = token
	loginTo(expired, "mfa_authenticate")
}

// TestMFAConcurrentCode: one TOTP code sent at once by several pending
// logins passes at most one of them (the time step is taken by a
// compare-and-swap).
func TestMFAConcurrentCode(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ann@example.com", "ann", true)
	secret, _ := h.enrol(h.browser(), "ann@example.com")
	const n = 6
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = h.browser()
		if _, err := clients[i].login("ann@example.com", "", testPassword); err != nil {
			t.Fatal(err)
		}
	}
	code := totpAt(t, secret, h.now)
	states := make([]*account.State, n)
	for i, c := range clients {
		states[i] = c.state()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range clients {
		wg.Go(func() {
			st, err := h.svc.MFA.Authenticate(bg, states[i], code)
			if err == nil && st.Authenticated() {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if inputCode(err) != "incorrect_code" {
				t.Errorf("login %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d logins passed with one code, want 1", ok)
	}
}

// TestMFARateLimit: wrong codes are also limited per account across
// logins (mfa_authenticate: 10 per 5 minutes), so starting a new login
// does not buy unlimited guesses.
func TestMFARateLimit(t *testing.T) {
	h := newHarness(t, func(c *account.Config) {
		c.RateLimits = map[string][]ratelimit.Rate{}
		c.RateLimits["mfa_authenticate"] = account.DefaultRateLimits()["mfa_authenticate"]
	})
	h.addUser("ann@example.com", "ann", true)
	h.enrol(h.browser(), "ann@example.com")
	var err error
	for i := range 11 {
		c := h.browser()
		if _, err := c.login("ann@example.com", "", testPassword); err != nil {
			t.Fatal(err)
		}
		_, err = c.mfa("000000")
		var rl *latch.RateLimitError
		if i < 10 && inputCode(err) != "incorrect_code" {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if i == 10 && !errors.As(err, &rl) {
			t.Fatalf("attempt 11: %v, want a rate limit", err)
		}
	}
}
