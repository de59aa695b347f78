package account_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

const codeUser = "fay@example.com"

// codeKind is one kind of emailed-code process, driven through the core.
type codeKind struct {
	name    string
	process string // key of latch.SessionState.Codes
	cfg     func(*account.Config)
	rules   func(account.Config) account.CodeRules
	// start begins the process for codeUser and returns the mailed code.
	start func(h *harness, c *client) string
	// try types a code in state st.
	try func(h *harness, st *account.State, code string) (*account.State, error)
	// ok checks what a right code did.
	ok func(t *testing.T, h *harness, st *account.State)
	// resend asks for a new code (nil: the kind has none); mailKind is its mail.
	resend   func(h *harness, st *account.State) (*account.State, error)
	mailKind string
	pending  bool // a pending login waits for the code
}

func loggedIn(t *testing.T, h *harness, st *account.State) {
	t.Helper()
	if !st.Authenticated() || st.User.Email != codeUser {
		t.Fatalf("not logged in: %+v", st)
	}
}

var codeKinds = []codeKind{
	{
		name: "verify email (pending login)", process: "verify_email",
		cfg: func(c *account.Config) {
			c.EmailVerification, c.VerificationByCode = account.VerificationMandatory, true
		},
		rules: func(c account.Config) account.CodeRules { return c.VerificationCode },
		start: func(h *harness, c *client) string {
			h.addUser(codeUser, "fay", false)
			if _, err := c.login(codeUser, "", testPassword); err != nil {
				h.t.Fatal(err)
			}
			return h.lastMail("email_confirmation", codeUser).str("Code")
		},
		try: func(h *harness, st *account.State, code string) (*account.State, error) {
			return h.svc.Emails.VerifyEmail(bg, st, code)
		},
		ok: loggedIn,
		resend: func(h *harness, st *account.State) (*account.State, error) {
			return h.svc.Emails.ResendVerification(bg, st)
		},
		mailKind: "email_confirmation", pending: true,
	},
	{
		name: "verify email (logged in)", process: "verify_email",
		cfg: func(c *account.Config) {
			c.EmailVerification, c.VerificationByCode = account.VerificationOptional, true
		},
		rules: func(c account.Config) account.CodeRules { return c.VerificationCode },
		start: func(h *harness, c *client) string {
			if _, err := c.signup(codeUser, "fay"); err != nil {
				h.t.Fatal(err)
			}
			return h.lastMail("email_confirmation_signup", codeUser).str("Code")
		},
		try: func(h *harness, st *account.State, code string) (*account.State, error) {
			return h.svc.Emails.VerifyEmail(bg, st, code)
		},
		ok: func(t *testing.T, h *harness, st *account.State) {
			loggedIn(t, h, st)
			if !h.verified(st.User.ID, codeUser) {
				t.Error("address not verified")
			}
		},
		resend: func(h *harness, st *account.State) (*account.State, error) {
			return h.svc.Emails.ResendVerification(bg, st)
		},
		mailKind: "email_confirmation",
	},
	{
		name: "login code", process: "login",
		cfg:   func(c *account.Config) { c.LoginByCode = true },
		rules: func(c account.Config) account.CodeRules { return c.LoginCode },
		start: func(h *harness, c *client) string {
			h.addUser(codeUser, "fay", true)
			if _, err := c.requestLoginCode(codeUser); err != nil {
				h.t.Fatal(err)
			}
			return h.lastMail("login_code", codeUser).str("Code")
		},
		try: func(h *harness, st *account.State, code string) (*account.State, error) {
			return h.svc.Sessions.ConfirmLoginCode(bg, st, code)
		},
		ok: loggedIn,
		resend: func(h *harness, st *account.State) (*account.State, error) {
			return h.svc.Sessions.ResendLoginCode(bg, st)
		},
		mailKind: "login_code", pending: true,
	},
	{
		name: "password reset code", process: "password_reset",
		cfg:   func(c *account.Config) { c.PasswordResetByCode = true },
		rules: func(c account.Config) account.CodeRules { return c.ResetCode },
		start: func(h *harness, c *client) string {
			h.addUser(codeUser, "fay", true)
			if _, err := c.keep(h.svc.Passwords.RequestPasswordReset(bg, c.state(), codeUser)); err != nil {
				h.t.Fatal(err)
			}
			return h.lastMail("password_reset_code", codeUser).str("Code")
		},
		try: func(h *harness, st *account.State, code string) (*account.State, error) {
			return h.svc.Passwords.ResetPassword(bg, st, code, "a brand new passphrase")
		},
		ok: func(t *testing.T, h *harness, st *account.State) {
			if h.events.count(account.EventPasswordReset) != 1 {
				t.Errorf("%d password_reset events", h.events.count(account.EventPasswordReset))
			}
			c := h.browser()
			if _, err := c.login(codeUser, "", "a brand new passphrase"); err != nil {
				t.Errorf("the new password does not log in: %v", err)
			}
		},
	},
}

// codeHarness starts a kind's process with the given rules; LoginTimeout is
// long, so that only the code's own rules end it.
func codeHarness(t *testing.T, k codeKind, adjust func(*account.Config)) (*harness, *client, string, account.CodeRules) {
	t.Helper()
	var rules account.CodeRules
	h := newHarness(t, func(c *account.Config) {
		k.cfg(c)
		c.LoginTimeout = 24 * time.Hour
		if adjust != nil {
			adjust(c)
		}
		rules = k.rules(*c)
	})
	c := h.browser()
	code := k.start(h, c)
	if code == "" {
		t.Fatal("no code mailed")
	}
	return h, c, code, rules
}

// process returns the client's stored process of kind k, or nil.
func (c *client) process(k codeKind) *latch.CodeProcess {
	st := c.state()
	if st.Session == nil {
		return nil
	}
	return st.Session.State.Codes[k.process]
}

// TestWrongCodesDropTheProcess: each wrong code counts an attempt; at
// MaxAttempts the process (and the login waiting for it) is dropped, so
// that not even the right code works any more.
func TestWrongCodesDropTheProcess(t *testing.T) {
	for _, k := range codeKinds {
		for _, max := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/max=%d", k.name, max), func(t *testing.T) {
				h, c, code, _ := codeHarness(t, k, func(c *account.Config) {
					c.VerificationCode.MaxAttempts, c.LoginCode.MaxAttempts, c.ResetCode.MaxAttempts = max, max, max
				})
				done := func() int {
					return h.events.count(account.EventLoggedIn) + h.events.count(account.EventPasswordReset) +
						h.events.count(account.EventEmailVerified)
				}
				before := done()
				for i := 1; i <= max; i++ {
					_, err := c.keep(k.try(h, c.state(), wrongCode(code)))
					wantInput(t, err, "incorrect_code")
					p := c.process(k)
					if i < max {
						if p == nil || p.Attempts != i {
							t.Fatalf("after %d wrong codes: process %+v", i, p)
						}
						if k.pending && c.pendingStage() == "" {
							t.Fatalf("after %d wrong codes the pending login is gone", i)
						}
					} else if p != nil {
						t.Fatalf("after %d wrong codes the process is kept: %+v", i, p)
					}
				}
				if k.pending && c.pendingStage() != "" {
					t.Errorf("the pending login %q survived the last attempt", c.pendingStage())
				}
				_, err := k.try(h, c.state(), code)
				wantConflict(t, err)
				if done() != before {
					t.Error("the dropped process still logged in, verified or reset")
				}
			})
		}
	}
}

// TestRightCodeWorksOnce: a right code works, once — also when two
// requests holding the same session state race with it: the second save
// is stale, the session is read again, and the process is gone.
func TestRightCodeWorksOnce(t *testing.T) {
	for _, k := range codeKinds {
		t.Run(k.name, func(t *testing.T) {
			h, c, code, _ := codeHarness(t, k, nil)
			first, second := c.state(), c.state()
			st, err := c.keep(k.try(h, first, code))
			if err != nil {
				t.Fatalf("right code: %v", err)
			}
			k.ok(t, h, st)
			if _, err := k.try(h, second, code); err == nil {
				t.Fatal("the code worked twice (stale state)")
			} else {
				wantConflict(t, err)
			}
			_, err = k.try(h, c.state(), code)
			wantConflict(t, err)
			if n := h.events.count(account.EventLoggedIn); k.pending && n != 1 {
				t.Errorf("%d logins", n)
			}
		})
	}
}

// TestCodeExpiry: a code works until its TTL from the start of the process
// has passed, not after.
func TestCodeExpiry(t *testing.T) {
	for _, k := range codeKinds {
		for _, tc := range []struct {
			name  string
			after func(ttl time.Duration) time.Duration
			works bool
		}{
			{"at the TTL", func(ttl time.Duration) time.Duration { return ttl }, true},
			{"just after", func(ttl time.Duration) time.Duration { return ttl + time.Second }, false},
			{"much later", func(ttl time.Duration) time.Duration { return 10 * ttl }, false},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				h, c, code, rules := codeHarness(t, k, nil)
				h.advance(tc.after(rules.TTL))
				st, err := c.keep(k.try(h, c.state(), code))
				if !tc.works {
					wantConflict(t, err)
					if h.events.count(account.EventEmailVerified)+h.events.count(account.EventPasswordReset) != 0 {
						t.Error("an expired code did its work")
					}
					return
				}
				if err != nil {
					t.Fatalf("code at its TTL: %v", err)
				}
				k.ok(t, h, st)
			})
		}
	}
}

// TestResendKeepsAttemptsAndStart: a new code replaces the old one but
// keeps the attempts made and the process's start, so its TTL is not
// extended.
func TestResendKeepsAttemptsAndStart(t *testing.T) {
	for _, k := range codeKinds {
		if k.resend == nil {
			continue
		}
		for _, tc := range []struct {
			name  string
			after time.Duration // after the start, minus the TTL
			works bool
		}{
			{"before the first code's TTL", -time.Second, true},
			{"after the first code's TTL", time.Second, false},
		} {
			t.Run(k.name+"/"+tc.name, func(t *testing.T) {
				h, c, code, rules := codeHarness(t, k, func(c *account.Config) {
					c.VerificationCode.MaxResends, c.LoginCode.MaxResends = 3, 3
				})
				started := c.process(k).Started
				_, err := k.try(h, c.state(), wrongCode(code))
				wantInput(t, err, "incorrect_code")
				h.advance(rules.TTL / 2)
				if _, err := c.keep(k.resend(h, c.state())); err != nil {
					t.Fatalf("resend: %v", err)
				}
				fresh := h.lastMail(k.mailKind, codeUser).str("Code")
				if fresh == "" || fresh == code {
					t.Fatalf("resent code %q (first %q)", fresh, code)
				}
				p := c.process(k)
				if p == nil || p.Attempts != 1 || p.Resends != 1 || !p.Started.Equal(started) {
					t.Fatalf("after a resend: %+v, want 1 attempt, 1 resend, started %v", p, started)
				}
				// The old code is now a wrong one.
				_, err = k.try(h, c.state(), code)
				wantInput(t, err, "incorrect_code")
				if p := c.process(k); p == nil || p.Attempts != 2 {
					t.Fatalf("the old code did not count an attempt: %+v", p)
				}
				h.now = started.Add(rules.TTL + tc.after)
				st, err := c.keep(k.try(h, c.state(), fresh))
				if !tc.works {
					wantConflict(t, err)
					return
				}
				if err != nil {
					t.Fatalf("resent code: %v", err)
				}
				k.ok(t, h, st)
			})
		}
	}
}

// TestResendsBounded: at most MaxResends new codes; the next request is a
// conflict and mails nothing.
func TestResendsBounded(t *testing.T) {
	for _, k := range codeKinds {
		if k.resend == nil {
			continue
		}
		for _, max := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/max=%d", k.name, max), func(t *testing.T) {
				h, c, code, _ := codeHarness(t, k, func(c *account.Config) {
					c.VerificationCode.MaxResends, c.LoginCode.MaxResends = max, max
				})
				for i := 0; i < max; i++ {
					if _, err := c.keep(k.resend(h, c.state())); err != nil {
						t.Fatalf("resend %d: %v", i+1, err)
					}
					code = h.lastMail(k.mailKind, codeUser).str("Code")
				}
				_, err := k.resend(h, c.state())
				wantConflict(t, err)
				if sent := h.mail.take(); len(sent) != 0 {
					t.Errorf("a refused resend mailed %v", kinds(sent))
				}
				// The last code mailed still works.
				st, err := c.keep(k.try(h, c.state(), code))
				if err != nil {
					t.Fatalf("last code: %v", err)
				}
				k.ok(t, h, st)
			})
		}
	}
}

// TestLoginCodeRequestAgainKeepsAttempts: asking again for a code for the
// same address gives a new code but no new guesses.
func TestLoginCodeRequestAgainKeepsAttempts(t *testing.T) {
	k := codeKinds[2]
	h, c, code, rules := codeHarness(t, k, nil)
	for i := 0; i < rules.MaxAttempts-1; i++ {
		_, err := c.keep(k.try(h, c.state(), wrongCode(code)))
		wantInput(t, err, "incorrect_code")
	}
	if _, err := c.requestLoginCode(codeUser); err != nil {
		t.Fatal(err)
	}
	code = h.lastMail("login_code", codeUser).str("Code")
	if p := c.process(k); p == nil || p.Attempts != rules.MaxAttempts-1 {
		t.Fatalf("a new request reset the attempts: %+v", p)
	}
	_, err := c.keep(k.try(h, c.state(), wrongCode(code)))
	wantInput(t, err, "incorrect_code")
	_, err = k.try(h, c.state(), code)
	wantConflict(t, err)
}
