package account_test

import (
	"errors"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// TestSignupIsOneUnitOfWork: the account, its session and its verification
// mail commit together, so a signup whose mail cannot be queued leaves no
// account behind, and the same address can sign up again.
func TestSignupIsOneUnitOfWork(t *testing.T) {
	tests := []struct {
		name         string
		verification string
		mailFails    bool
		wantAccount  bool
	}{
		{"optional verification, mail queued", account.VerificationOptional, false, true},
		{"optional verification, mail fails", account.VerificationOptional, true, false},
		{"mandatory verification, mail fails", account.VerificationMandatory, true, false},
		{"no verification", account.VerificationNone, true, true}, // nothing mailed
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(c *account.Config) { c.EmailVerification = tt.verification })
			boom := errors.New("queue down")
			if tt.mailFails {
				h.mail.fail = boom
			}
			c := h.app()
			_, err := c.signup("new@example.com", "")
			if tt.wantAccount != (err == nil) {
				t.Fatalf("signup: %v, want account %v", err, tt.wantAccount)
			}
			if err != nil && !errors.Is(err, boom) {
				t.Errorf("signup error %v, want the mailer's", err)
			}
			u, err := h.db.Users.UserByEmail(bg, "new@example.com")
			if tt.wantAccount != (err == nil) {
				t.Fatalf("account after the signup: %+v %v", u, err)
			}
			if !tt.wantAccount {
				if !errors.Is(err, latch.ErrNotFound) {
					t.Fatalf("UserByEmail: %v", err)
				}
				// The address is free: signing up again works.
				h.mail.fail = nil
				if _, err := h.app().signup("new@example.com", ""); err != nil {
					t.Fatalf("signup again: %v", err)
				}
				if _, err := h.db.Users.UserByEmail(bg, "new@example.com"); err != nil {
					t.Errorf("account after signing up again: %v", err)
				}
			}
		})
	}
}
