package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

const msgInvalidPasswordReset = "The password reset token was invalid."

// RequestPasswordReset mails a reset link (or, in code mode, starts a reset
// by code in the caller's session). The answer is the same whether or not
// the address has an account: an unknown address gets an "unknown account"
// mail instead, and in code mode a process no code can complete.
// Errors: *latch.InputError, *latch.RateLimitError.
func (s *Passwords) RequestPasswordReset(ctx context.Context, st *State, email string) (*State, error) {
	email, err := requireEmail(email)
	if err != nil {
		return nil, err
	}
	if err := s.budget.limit(ctx, "reset_password", st, email); err != nil {
		return nil, err
	}
	if !s.cfg.PasswordResetByCode {
		// Everything that depends on the account — the lookup, storing a
		// key, which mail — happens after the answer, so that neither the
		// answer nor its timing tells whether the address has an account.
		s.background(ctx, func(ctx context.Context) { s.mailResetLink(ctx, email) })
		return st, nil
	}
	user, err := s.resetUser(ctx, email)
	if err != nil {
		return nil, err
	}
	var uid int64
	if user != nil {
		uid = user.ID
	}
	st, code, err := s.codes.start(ctx, st, codeReset, uid, email)
	if err != nil {
		return nil, err
	}
	if user == nil {
		s.mailUnknownAccount(ctx, email)
	} else if err := s.send(ctx, "password_reset_code", email, map[string]any{"Email": email, "Code": code}); err != nil {
		return nil, err
	}
	return st, nil
}

// resetUser returns the active user an address has authority for, or nil.
func (s *Passwords) resetUser(ctx context.Context, email string) (*latch.User, error) {
	user, err := s.users.UserByEmail(ctx, email)
	if errors.Is(err, latch.ErrNotFound) || (err == nil && !user.IsActive) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	return user, nil
}

func (s *Passwords) mailUnknownAccount(ctx context.Context, email string) {
	if s.cfg.EmailUnknownAccounts {
		s.send(ctx, "unknown_account", email, map[string]any{"Email": email, "SignupLink": s.cfg.Links.Signup})
	}
}

// mailResetLink stores a reset key for the address's account and mails the
// link, or mails "no account here"; failures are logged, as nobody waits.
func (s *Passwords) mailResetLink(ctx context.Context, email string) {
	user, err := s.resetUser(ctx, email)
	if err != nil {
		s.log.Error("password reset request", "err", err)
		return
	}
	if user == nil {
		s.mailUnknownAccount(ctx, email)
		return
	}
	key, hash := newKey()
	now := s.now()
	t := &latch.Token{Kind: latch.TokenPasswordReset, Hash: hash, UserID: user.ID, Email: email, Created: now, Expires: now.Add(s.cfg.ResetLinkTTL)}
	// The key and its mail are stored together: neither exists without the
	// other.
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.tokens.CreateToken(ctx, t); err != nil {
			return fmt.Errorf("store reset key: %w", err)
		}
		return s.send(ctx, "password_reset_key", email, map[string]any{"Email": email, "Username": user.Username,
			"Link": link(s.cfg.Links.ResetPassword, key), "Key": key})
	})
	if err != nil {
		s.log.Error("password reset request", "user", user.PublicID, "err", err)
	}
}

// ResetPending reports whether a reset by code is in progress in the caller's session.
func (s *core) ResetPending(st *State) bool {
	return s.cfg.PasswordResetByCode && s.codes.process(st, codeReset) != nil
}

// CheckResetKey returns the user a reset key (link mode) or code (code mode)
// belongs to. In code mode a right code is remembered as confirmed, and a
// wrong one counts as an attempt. Errors: latch.ErrConflict (code mode,
// nothing in progress), *latch.InputError.
func (s *Passwords) CheckResetKey(ctx context.Context, st *State, key string) (*latch.User, error) {
	if key == "" && !s.cfg.PasswordResetByCode {
		return nil, latch.Invalid("key", "required", msgRequired)
	}
	if s.cfg.PasswordResetByCode {
		p := s.codes.process(st, codeReset)
		if p == nil {
			return nil, latch.ErrConflict
		}
		if key == "" {
			return nil, latch.Invalid("key", "required", msgRequired)
		}
		p, err := s.checkResetCode(ctx, st, key, codeConfirm)
		if err != nil {
			return nil, err
		}
		return s.users.UserByID(ctx, p.UserID)
	}
	t, err := s.resetToken(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.users.UserByID(ctx, t.UserID)
}

// checkResetCode checks a typed reset code, counting a wrong one as an
// attempt; a right one is confirmed (the address it was mailed to is then
// verified) or, with codeConsume, spent.
func (s *Passwords) checkResetCode(ctx context.Context, st *State, code string, use codeUse) (*latch.CodeProcess, error) {
	p, ok, _, err := s.codes.use(ctx, st, codeReset, code, use)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, latch.Invalid("key", "incorrect_code", msgIncorrectCode)
	}
	// Typing a code mailed to the address proves it: verify it.
	if err := s.emails.SetEmailVerified(ctx, p.UserID, p.Email); err != nil && !errors.Is(err, latch.ErrNotFound) && !errors.Is(err, latch.ErrEmailTaken) {
		return nil, err
	}
	return p, nil
}

func (s *Passwords) resetToken(ctx context.Context, key string) (*latch.Token, error) {
	t, err := s.tokens.TokenByHash(ctx, latch.TokenPasswordReset, HashKey(key))
	if errors.Is(err, latch.ErrNotFound) || (err == nil && !s.now().Before(t.Expires)) {
		return nil, latch.Invalid("key", "invalid_password_reset", msgInvalidPasswordReset)
	}
	if err != nil {
		return nil, fmt.Errorf("look up reset key: %w", err)
	}
	return t, nil
}

// ResetPassword sets a new password with a reset key or code. Every session
// of the user ends, and every other reset key dies with the old password;
// the caller is logged in only when LoginOnPasswordReset is set. Errors:
// *latch.RateLimitError, latch.ErrConflict (code mode, nothing in
// progress), *latch.InputError.
func (s *Passwords) ResetPassword(ctx context.Context, st *State, key, plain string) (*State, error) {
	if err := s.budget.limit(ctx, "reset_password_from_key", st, ""); err != nil {
		return nil, err
	}
	var p *latch.CodeProcess
	if s.cfg.PasswordResetByCode {
		if p = s.codes.process(st, codeReset); p == nil {
			return nil, latch.ErrConflict
		}
	}
	var errs latch.InputError
	if key == "" {
		errs.Add("key", "required", msgRequired)
	}
	if plain == "" {
		errs.Add("password", "required", msgRequired)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	var userID int64
	var email string
	if p != nil {
		var err error
		if p, err = s.checkResetCode(ctx, st, key, codeConfirm); err != nil {
			return nil, err
		}
		userID, email = p.UserID, p.Email
	} else {
		t, err := s.resetToken(ctx, key)
		if err != nil {
			return nil, err
		}
		userID, email = t.UserID, t.Email
	}
	user, err := s.users.UserByID(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("reset user: %w", err)
	}
	for _, v := range s.cfg.PasswordPolicy.Validate(plain, password.Attrs{Username: user.Username, Email: user.Email}) {
		errs.Add("password", v.Code, v.Message)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(plain)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	// The key or code is spent, the password set and every session ended in
	// one unit of work: a crash leaves either all of it or none.
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if p == nil {
			// Use the key up; of two concurrent resets only one gets it.
			if _, err := s.tokens.TakeToken(ctx, latch.TokenPasswordReset, HashKey(key)); errors.Is(err, latch.ErrNotFound) {
				return latch.Invalid("key", "invalid_password_reset", msgInvalidPasswordReset)
			} else if err != nil {
				return err
			}
			// The link was mailed to the address: following it proves it.
			if err := s.emails.SetEmailVerified(ctx, userID, email); err != nil && !errors.Is(err, latch.ErrNotFound) && !errors.Is(err, latch.ErrEmailTaken) {
				return fmt.Errorf("verify address: %w", err)
			}
		} else if _, err := s.checkResetCode(ctx, st, key, codeConsume); err != nil {
			// Spent in one conditional save: of concurrent resets with one
			// code, only one sets a password.
			return err
		}
		if err := s.storePassword(ctx, user, hash); err != nil {
			return err
		}
		if err := s.sessions.DeleteUserSessions(ctx, user.ID, 0); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return s.record(ctx, st, EventPasswordReset, user)
	})
	if err != nil {
		return nil, err
	}
	user.PasswordHash = hash
	if err := s.forgiveLoginFailures(ctx, st, user); err != nil {
		return nil, err
	}
	s.notify(ctx, st, user, notice{kind: noticePasswordReset})

	// The caller's own session may just have ended with the others.
	out := &State{Client: st.Client}
	if st.Session != nil && st.Session.UserID != user.ID {
		out.Session = st.Session
		out.User = st.User
	} else if st.Session != nil {
		out.Ended = true
	}
	if s.cfg.LoginOnPasswordReset && user.IsActive {
		m := latch.AuthMethod{Method: "password_reset", At: unixFloat(s.now())}
		if p != nil {
			m.Email = email
		}
		return s.beginLogin(ctx, out, user, m, false)
	}
	return out, nil
}

// storePassword stores a new password hash and kills the reset keys made
// for the old one; call it inside a unit of work.
func (s *Passwords) storePassword(ctx context.Context, user *latch.User, hash string) error {
	if err := s.users.SetPassword(ctx, user.ID, hash, s.now()); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if err := s.tokens.DeleteUserTokens(ctx, user.ID, latch.TokenPasswordReset); err != nil {
		return fmt.Errorf("delete reset keys: %w", err)
	}
	return nil
}
