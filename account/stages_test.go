package account_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

var modes = []string{account.VerificationNone, account.VerificationOptional, account.VerificationMandatory}

// verificationSecret returns what a verification mail carries to type or
// follow: the code in code mode, else the link's key (checking the link).
func verificationSecret(t *testing.T, m mailed, byCode bool) string {
	t.Helper()
	if byCode {
		if m.str("Code") == "" || m.str("Key") != "" {
			t.Fatalf("code-mode verification mail carries %v", m.Data)
		}
		return m.str("Code")
	}
	key := m.str("Key")
	if key == "" || m.str("Link") != "https://id.example.com/verify/"+key {
		t.Fatalf("link-mode verification mail carries %v", m.Data)
	}
	return key
}

// TestLoginStages: a password login is authenticated at once unless
// verification is mandatory and the address it verifies (the one typed,
// else the primary) is not verified; then it waits at verify_email, a
// verification mail goes out, and verifying continues the login exactly
// when the verification is by code or LoginOnEmailConfirmation is set.
func TestLoginStages(t *testing.T) {
	for _, mode := range modes {
		for _, byCode := range []bool{false, true} {
			for _, onConfirm := range []bool{false, true} {
				for _, method := range []string{"email", "username"} {
					for _, verified := range []bool{false, true} {
						name := fmt.Sprintf("%s/code=%v/login_on_confirm=%v/%s/verified=%v", mode, byCode, onConfirm, method, verified)
						t.Run(name, func(t *testing.T) {
							testLoginStage(t, mode, byCode, onConfirm, method, verified)
						})
					}
				}
			}
		}
	}
}

func testLoginStage(t *testing.T, mode string, byCode, onConfirm bool, method string, verified bool) {
	h := newHarness(t, func(c *account.Config) {
		c.EmailVerification, c.VerificationByCode, c.LoginOnEmailConfirmation = mode, byCode, onConfirm
	})
	u := h.addUser("ann@example.com", "ann", verified)
	c := h.browser()
	var st *account.State
	var err error
	if method == "email" {
		st, err = c.login("Ann@Example.com", "", testPassword)
	} else {
		st, err = c.login("", "ANN", testPassword)
	}
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	pending := mode == account.VerificationMandatory && !verified
	if !pending {
		if !st.Authenticated() || st.User.ID != u.ID || st.NewKey == "" {
			t.Fatalf("login not authenticated: %+v", st)
		}
		if got := c.state(); !got.Authenticated() || got.User.ID != u.ID {
			t.Fatal("the new session key does not resolve to the user")
		}
		if len(st.Methods()) != 1 || st.Methods()[0].Method != "password" {
			t.Errorf("methods %+v", st.Methods())
		}
		if sent := h.mail.take(); len(sent) != 0 {
			t.Errorf("login mailed %v", kinds(sent))
		}
		if n := h.sessionsOf(u.ID); n != 1 {
			t.Errorf("%d sessions stored, want 1", n)
		}
		return
	}

	if st.Authenticated() || st.Session == nil || st.NewKey == "" {
		t.Fatalf("pending login: %+v", st)
	}
	if got := c.pendingStage(); got != string(account.StageVerifyEmail) {
		t.Fatalf("pending stage %q, want verify_email", got)
	}
	if n := h.sessionsOf(u.ID); n != 0 {
		t.Fatalf("%d sessions of the user while pending", n)
	}
	secret := verificationSecret(t, h.lastMail("email_confirmation", "ann@example.com"), byCode)

	st, err = c.verifyEmail(secret)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !h.verified(u.ID, "ann@example.com") {
		t.Error("address not verified")
	}
	if h.events.count(account.EventEmailVerified) != 1 {
		t.Errorf("%d email_verified events", h.events.count(account.EventEmailVerified))
	}
	continues := byCode || onConfirm
	if st.Authenticated() != continues {
		t.Fatalf("after verifying, authenticated=%v, want %v", st.Authenticated(), continues)
	}
	if continues {
		if st.User.ID != u.ID || c.state().User == nil {
			t.Fatal("the login did not finish for the user")
		}
		if h.sessionsOf(u.ID) != 1 || h.events.count(account.EventLoggedIn) != 1 {
			t.Errorf("sessions %d, logged_in events %d", h.sessionsOf(u.ID), h.events.count(account.EventLoggedIn))
		}
		return
	}
	// A link verifies the address but drops the pending login: the user
	// logs in again, and now gets in at once.
	if got := c.pendingStage(); got != "" {
		t.Errorf("pending login %q kept", got)
	}
	if h.sessionsOf(u.ID) != 0 {
		t.Error("a session was started")
	}
	if st, err = c.login("ann@example.com", "", testPassword); err != nil || !st.Authenticated() {
		t.Fatalf("login after verifying: %v, %+v", err, st)
	}
}

// TestSignupStages: what a signup returns and mails in each verification
// mode, and how a signup waiting for verification continues.
func TestSignupStages(t *testing.T) {
	for _, mode := range modes {
		for _, byCode := range []bool{false, true} {
			for _, onConfirm := range []bool{false, true} {
				name := fmt.Sprintf("%s/code=%v/login_on_confirm=%v", mode, byCode, onConfirm)
				t.Run(name, func(t *testing.T) {
					h := newHarness(t, func(c *account.Config) {
						c.EmailVerification, c.VerificationByCode, c.LoginOnEmailConfirmation = mode, byCode, onConfirm
					})
					c := h.browser()
					st, err := c.signup("bo@example.com", "bo")
					if err != nil {
						t.Fatalf("signup: %v", err)
					}
					u, err := h.db.Users.UserByEmail(bg, "bo@example.com")
					if err != nil {
						t.Fatalf("user not created: %v", err)
					}
					if h.events.count(account.EventSignedUp) != 1 {
						t.Error("no signed_up event")
					}
					sent := h.mail.take()
					if mode == account.VerificationNone {
						if !st.Authenticated() || len(sent) != 0 {
							t.Fatalf("authenticated=%v, mailed %v", st.Authenticated(), kinds(sent))
						}
						return
					}
					if len(sent) != 1 || sent[0].Kind != "email_confirmation_signup" || sent[0].To != "bo@example.com" {
						t.Fatalf("mailed %v, want email_confirmation_signup", kinds(sent))
					}
					secret := verificationSecret(t, sent[0], byCode)
					pending := mode == account.VerificationMandatory
					if st.Authenticated() == pending {
						t.Fatalf("authenticated=%v under %s", st.Authenticated(), mode)
					}
					if pending {
						if got := c.pendingStage(); got != string(account.StageVerifyEmail) {
							t.Fatalf("pending stage %q", got)
						}
					}
					st, err = c.verifyEmail(secret)
					if err != nil {
						t.Fatalf("verify: %v", err)
					}
					if !h.verified(u.ID, "bo@example.com") {
						t.Error("address not verified")
					}
					want := !pending || byCode || onConfirm
					if st.Authenticated() != want {
						t.Errorf("after verifying, authenticated=%v, want %v", st.Authenticated(), want)
					}
					if want && h.sessionsOf(u.ID) != 1 {
						t.Errorf("%d sessions, want 1", h.sessionsOf(u.ID))
					}
					if !want && c.pendingStage() != "" {
						t.Error("the pending signup login was kept")
					}
				})
			}
		}
	}
}

// TestLoginByCodeStages: a code login under mandatory verification ends
// authenticated whether or not the address was verified (the code, mailed
// to it, verifies it); an unknown address gets a stage no code passes.
func TestLoginByCodeStages(t *testing.T) {
	for _, tc := range []struct {
		name     string
		known    bool
		verified bool
	}{
		{"verified address", true, true},
		{"unverified address", true, false},
		{"unknown address", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *account.Config) {
				c.EmailVerification, c.LoginByCode = account.VerificationMandatory, true
			})
			var uid int64
			if tc.known {
				uid = h.addUser("cy@example.com", "cy", tc.verified).ID
			}
			c := h.browser()
			st, err := c.requestLoginCode("cy@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if st.Authenticated() || c.pendingStage() != string(account.StageLoginByCode) {
				t.Fatalf("authenticated=%v, pending %q", st.Authenticated(), c.pendingStage())
			}
			if !tc.known {
				m := h.lastMail("unknown_account", "cy@example.com")
				if m.str("Code") != "" {
					t.Error("an unknown account was mailed a code")
				}
				_, err := c.confirmLoginCode("BBBB-BBBB")
				wantInput(t, err, "incorrect_code")
				return
			}
			code := h.lastMail("login_code", "cy@example.com").str("Code")
			st, err = c.confirmLoginCode(code)
			if err != nil {
				t.Fatalf("confirm: %v", err)
			}
			if !st.Authenticated() || st.User.ID != uid {
				t.Fatalf("not logged in: %+v", st)
			}
			if m := st.Methods(); len(m) != 1 || m[0].Method != "code" || m[0].Email != "cy@example.com" {
				t.Errorf("methods %+v", m)
			}
			if !h.verified(uid, "cy@example.com") {
				t.Error("the code did not verify the address")
			}
			if sent := h.mail.take(); len(sent) != 0 {
				t.Errorf("mailed %v after the code", kinds(sent))
			}
			if h.sessionsOf(uid) != 1 {
				t.Errorf("%d sessions", h.sessionsOf(uid))
			}
		})
	}
}

// TestPendingLoginTimesOut: after Config.LoginTimeout a pending login is
// gone: Flows no longer shows it, and verifying (link) or typing the code
// does not log anyone in.
func TestPendingLoginTimesOut(t *testing.T) {
	for _, byCode := range []bool{false, true} {
		t.Run(fmt.Sprintf("code=%v", byCode), func(t *testing.T) {
			h := newHarness(t, func(c *account.Config) {
				c.EmailVerification, c.VerificationByCode, c.LoginOnEmailConfirmation = account.VerificationMandatory, byCode, true
				c.LoginTimeout = 5 * time.Minute
				c.VerificationCode.TTL = time.Hour // the login's timeout, not the code's, is what ends it
			})
			u := h.addUser("di@example.com", "di", false)
			c := h.browser()
			if _, err := c.login("di@example.com", "", testPassword); err != nil {
				t.Fatal(err)
			}
			secret := verificationSecret(t, h.lastMail("email_confirmation", "di@example.com"), byCode)
			h.advance(5 * time.Minute)
			if got := c.pendingStage(); got != string(account.StageVerifyEmail) {
				t.Fatalf("at the timeout exactly, pending %q", got)
			}
			h.advance(time.Second)
			if got := c.pendingStage(); got != "" {
				t.Fatalf("after the timeout, pending %q", got)
			}
			st, err := c.verifyEmail(secret)
			if byCode {
				// The code belongs to the login that timed out.
				wantConflict(t, err)
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if st.Authenticated() {
					t.Fatal("a timed-out login was finished")
				}
				if !h.verified(u.ID, "di@example.com") {
					t.Error("the link did not verify the address")
				}
			}
			if h.sessionsOf(u.ID) != 0 {
				t.Error("a session was started")
			}
		})
	}
}

// TestDeactivatedWhilePending: a user deactivated while their login waits
// gets no session when the stage is passed, and the pending login is dropped.
func TestDeactivatedWhilePending(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*account.Config)
		// start begins the login and returns what to type to pass its stage.
		start  func(h *harness, c *client) string
		finish func(c *client, secret string) (*account.State, error)
	}{
		{"verify link", func(c *account.Config) { c.LoginOnEmailConfirmation = true },
			func(h *harness, c *client) string {
				if _, err := c.login("ed@example.com", "", testPassword); err != nil {
					h.t.Fatal(err)
				}
				return h.lastMail("email_confirmation", "ed@example.com").str("Key")
			}, (*client).verifyEmail},
		{"verify code", func(c *account.Config) { c.VerificationByCode = true },
			func(h *harness, c *client) string {
				if _, err := c.login("", "ed", testPassword); err != nil {
					h.t.Fatal(err)
				}
				return h.lastMail("email_confirmation", "ed@example.com").str("Code")
			}, (*client).verifyEmail},
		{"login code", func(c *account.Config) { c.LoginByCode = true },
			func(h *harness, c *client) string {
				if _, err := c.requestLoginCode("ed@example.com"); err != nil {
					h.t.Fatal(err)
				}
				return h.lastMail("login_code", "ed@example.com").str("Code")
			}, (*client).confirmLoginCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *account.Config) {
				c.EmailVerification = account.VerificationMandatory
				tc.cfg(c)
			})
			u := h.addUser("ed@example.com", "ed", false)
			c := h.browser()
			secret := tc.start(h, c)
			if secret == "" || c.pendingStage() == "" {
				t.Fatalf("no pending login (secret %q)", secret)
			}
			if err := h.db.Users.SetActive(bg, u.ID, false, h.now); err != nil {
				t.Fatal(err)
			}
			st, err := tc.finish(c, secret)
			if err != nil {
				t.Fatalf("finish: %v", err)
			}
			if st.Authenticated() || st.NewKey != "" {
				t.Fatalf("a deactivated user was logged in: %+v", st)
			}
			if h.sessionsOf(u.ID) != 0 || h.events.count(account.EventLoggedIn) != 0 {
				t.Error("a session was started")
			}
			if got := c.pendingStage(); got != "" {
				t.Errorf("pending login %q kept", got)
			}
		})
	}
}

// TestLoginVerifiesTheAddressUsed: under mandatory verification the address
// a login must have verified is the one typed, else (username login) the
// primary one.
func TestLoginVerifiesTheAddressUsed(t *testing.T) {
	for _, tc := range []struct {
		name, email, username string
		wantPending           string // the address mailed, "" for authenticated
	}{
		{"verified secondary typed", "work@example.com", "", ""},
		{"unverified primary typed", "home@example.com", "", "home@example.com"},
		{"username: the primary", "", "flo", "home@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *account.Config) { c.EmailVerification = account.VerificationMandatory })
			u := h.addUser("home@example.com", "flo", false)
			if err := h.db.Emails.AddEmail(bg, &latch.EmailAddress{UserID: u.ID, Email: "work@example.com", Verified: true, Created: h.now}); err != nil {
				t.Fatal(err)
			}
			c := h.browser()
			st, err := c.login(tc.email, tc.username, testPassword)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantPending == "" {
				if !st.Authenticated() {
					t.Fatal("not authenticated")
				}
				if sent := h.mail.take(); len(sent) != 0 {
					t.Errorf("mailed %v", kinds(sent))
				}
				return
			}
			if st.Authenticated() || c.pendingStage() != string(account.StageVerifyEmail) {
				t.Fatalf("authenticated=%v, pending %q", st.Authenticated(), c.pendingStage())
			}
			h.lastMail("email_confirmation", tc.wantPending)
		})
	}
}
