package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// LoginInput is a password login. Email and Username are nil when the
// request did not send that field.
type LoginInput struct {
	Email    *string
	Username *string
	Password string
}

// Login checks a password login and, when it succeeds, starts an
// authenticated session (or a pending one, when a stage remains). Errors:
// *latch.RateLimitError, *latch.InputError (field problems, wrong
// credentials, too many failures), latch.ErrConflict when already logged in.
// An inactive account with the right password gets an unauthenticated State
// and no error, so that it is told nothing more than "not logged in".
func (s *Sessions) Login(ctx context.Context, st *State, in LoginInput) (*State, error) {
	if err := s.budget.limit(ctx, "login", st, ""); err != nil {
		return nil, err
	}
	var method, ident string
	var errs latch.InputError
	useEmail := in.Email != nil && s.LoginMethod("email")
	useUsername := in.Username != nil && s.LoginMethod("username")
	if useEmail {
		method, ident = "email", normalizeEmail(*in.Email)
		if ident == "" {
			errs.Add("email", "required", msgRequired)
		} else if !validEmail(ident) {
			errs.Add("email", "invalid", msgInvalidEmail)
		}
	}
	if useUsername {
		method, ident = "username", strings.TrimSpace(*in.Username)
		if ident == "" {
			errs.Add("username", "required", msgRequired)
		}
	}
	if len(s.cfg.LoginMethods) == 1 && !useEmail && !useUsername {
		errs.Add(s.cfg.LoginMethods[0], "required", msgRequired)
	}
	if in.Password == "" {
		errs.Add("password", "required", msgRequired)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if useEmail == useUsername {
		return nil, latch.Invalid("", "invalid_login", msgInvalidLogin)
	}

	user, err := s.checkPassword(ctx, st, method, ident, in.Password)
	s.loginFailed(ctx, st, method, ident, err)
	if err != nil {
		return nil, err
	}
	if st.Authenticated() {
		return nil, latch.ErrConflict
	}
	if !user.IsActive {
		s.event(ctx, st, EventLoginFailed, user, "reason", ReasonInactive, "method", method)
		return st, nil
	}
	m := latch.AuthMethod{Method: "password", At: unixFloat(s.now())}
	if method == "email" {
		m.Email = ident
	} else {
		m.Username = ident
	}
	st, err = s.beginLogin(ctx, st, user, m, false)
	var rl *latch.RateLimitError
	if errors.As(err, &rl) {
		// The verification code could not be sent (mandatory verification
		// by code, mail budget spent): allauth answers this way.
		return nil, latch.TooManyAttempts("", msgTooManyAttempts, rl.RetryAfter)
	}
	return st, err
}

// checkPassword verifies a credential and returns the user it belongs to.
// Every failure is reported the same way, and an unknown identifier costs a
// hash verification like a known one, so that neither the answer nor its
// timing tells whether the account exists.
//
// The attempt is paid for before the hash and refunded when it is right, so
// concurrent guesses cannot overdraw a budget. Budgets are per account (by
// internal id, whichever identifier was typed): login_failed per account and
// source — the device when the caller presents this account's device token,
// else the address — and login_failed_account for the account as a whole,
// a ceiling that known devices are exempt from, so that a stranger cannot
// lock the owner out.
func (s *Sessions) checkPassword(ctx context.Context, st *State, method, ident, plain string) (*latch.User, error) {
	var user *latch.User
	var err error
	if method == "email" {
		user, err = s.users.UserByEmail(ctx, ident)
	} else {
		user, err = s.users.UserByUsername(ctx, ident)
	}
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	subject, device := accountSubject(user, method, ident), s.devices.known(st.Client.Device, user)
	taken, err := s.takeLoginAttempt(ctx, st, subject, device)
	if err != nil {
		var rl *latch.RateLimitError
		if errors.As(err, &rl) {
			s.log.Info("login refused: failure budget spent", "action", rl.Action, "ip", st.Client.IP)
			return nil, latch.TooManyAttempts("", msgTooManyAttempts, rl.RetryAfter)
		}
		return nil, err
	}
	ok, rehash := false, false
	if user == nil || !password.IsUsable(user.PasswordHash) {
		s.hasher.VerifyDummy(plain)
	} else if ok, rehash, err = s.hasher.Verify(user.PasswordHash, plain); err != nil {
		s.log.Error("stored password hash cannot be verified", "user", user.PublicID, "err", err)
		ok = false
	}
	if !ok {
		if method == "email" {
			return nil, latch.Invalid("password", "email_password_mismatch", msgEmailMismatch)
		}
		return nil, latch.Invalid("password", "username_password_mismatch", msgUsernameMismatch)
	}
	s.budget.refund(ctx, taken)
	if rehash {
		// Legacy or weaker hash (bcrypt, Django pbkdf2, old argon2 parameters):
		// upgrade it now that we know the plain password.
		if h, err := s.hasher.Hash(plain); err == nil {
			if err := s.users.SetPassword(ctx, user.ID, h, s.now()); err != nil {
				s.log.Warn("password hash upgrade failed", "user", user.PublicID, "err", err)
			} else {
				user.PasswordHash = h
			}
		}
	}
	return user, nil
}

// Logout ends the caller's session server-side, whatever it held (a login,
// a pending flow, or nothing). It never fails for an anonymous caller.
func (s *Sessions) Logout(ctx context.Context, st *State) (*State, error) {
	if st.Session != nil {
		err := s.tx.Atomic(ctx, func(ctx context.Context) error {
			if err := s.sessions.DeleteSession(ctx, st.Session.ID); err != nil {
				return fmt.Errorf("logout: %w", err)
			}
			return s.record(ctx, st, EventLoggedOut, nil)
		})
		if err != nil {
			return nil, err
		}
	}
	return &State{Client: st.Client, Ended: st.Session != nil || st.Ended}, nil
}
