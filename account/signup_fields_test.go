package account_test

import (
	"errors"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// emailOptional is allauth's ACCOUNT_SIGNUP_FIELDS = ["email",
// "username*", "password1*"].
func emailOptional(c *account.Config) { c.EmailOptional, c.UsernameRequired = true, true }

// TestSignupWithoutEmail: with the address optional, a signup by username
// and password makes an account without any address that logs in by
// username, changes its password, and mails nothing; verification and
// reset by email have nothing to act on.
func TestSignupWithoutEmail(t *testing.T) {
	h := newHarness(t, emailOptional)
	c := h.browser()
	st, err := c.signup("", "kim")
	if err != nil || !st.Authenticated() || st.User.Email != "" || st.User.Username != "kim" {
		t.Fatalf("signup without email: %+v, %v", st, err)
	}
	if sent := h.mail.take(); len(sent) != 0 {
		t.Errorf("mailed %v to an account without an address", kinds(sent))
	}
	list, err := h.svc.Emails.ListEmails(bg, st)
	if err != nil || len(list) != 0 {
		t.Errorf("addresses %v, %v; want none", list, err)
	}
	if _, err := c.keep(h.svc.Passwords.ChangePassword(bg, c.state(), account.ChangePasswordInput{CurrentPassword: testPassword, NewPassword: "amber falcon thirty eight"})); err != nil {
		t.Fatalf("change password: %v", err)
	}
	if sent := h.mail.take(); len(sent) != 0 {
		t.Errorf("password change mailed %v", kinds(sent))
	}

	other := h.browser()
	if _, err := other.login("", "KIM", "amber falcon thirty eight"); err != nil || !other.state().Authenticated() {
		t.Fatalf("login by username: %v", err)
	}
	// The username stays unique, case-insensitively, and is now required.
	wantInput(t, func() error { _, err := h.browser().signup("", "Kim"); return err }(), "username_taken")
	wantInput(t, func() error { _, err := h.browser().signup("", ""); return err }(), "required")
	// An address may still be given, and is then the account's as usual.
	if st, err := h.browser().signup("lee@example.com", "lee"); err != nil || st.User.Email != "lee@example.com" {
		t.Fatalf("signup with an address: %+v, %v", st, err)
	}
}

// TestEmailOptionalNeedsUsernameLoginAndNoMandatoryVerification: an
// account without an address must be able to log in, and mandatory
// verification needs an address: in either case the address stays required.
func TestEmailOptionalNeedsUsernameLoginAndNoMandatoryVerification(t *testing.T) {
	for name, adjust := range map[string]func(*account.Config){
		"email login only": func(c *account.Config) { emailOptional(c); c.LoginMethods = []string{"email"} },
		"mandatory":        func(c *account.Config) { emailOptional(c); c.EmailVerification = account.VerificationMandatory },
	} {
		h := newHarness(t, adjust)
		_, err := h.browser().signup("", "kim")
		var in *latch.InputError
		if !errors.As(err, &in) || len(in.Errors) != 1 || in.Errors[0].Param != "email" || in.Errors[0].Code != "required" {
			t.Errorf("%s: signup without an address: %v, want email required", name, err)
		}
	}
}

// TestEmailRequiredByDefault: today's rule stands without the setting.
func TestEmailRequiredByDefault(t *testing.T) {
	h := newHarness(t, nil)
	wantInput(t, func() error { _, err := h.browser().signup("", "kim"); return err }(), "required")
}
