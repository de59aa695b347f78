package account

import (
	"context"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// ChangePasswordInput is a password change by a logged-in user.
type ChangePasswordInput struct {
	CurrentPassword string
	NewPassword     string
}

// ChangePassword replaces the caller's password. The caller's session gets
// a new key and stays logged in; every other session of the user ends.
// Setting a first password requires a recent authentication. Errors:
// latch.ErrUnauthenticated, latch.ErrReauthenticationRequired,
// *latch.RateLimitError, *latch.InputError.
func (s *Passwords) ChangePassword(ctx context.Context, st *State, in ChangePasswordInput) (*State, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if err := s.budget.limit(ctx, "change_password", st, ""); err != nil {
		return nil, err
	}
	user := st.User
	var errs latch.InputError
	if !password.IsUsable(user.PasswordHash) {
		// Setting a first password (an account made by a provider or a
		// passkey) proves nothing of its own: the login must be recent.
		if err := s.RequireRecentAuthentication(st); err != nil {
			return nil, err
		}
	}
	if password.IsUsable(user.PasswordHash) {
		if in.CurrentPassword == "" {
			errs.Add("current_password", "required", msgRequired)
		} else if ok, _, err := s.hasher.Verify(user.PasswordHash, in.CurrentPassword); err != nil || !ok {
			errs.Add("current_password", "enter_current_password", msgEnterCurrentPassword)
		}
	}
	if in.NewPassword == "" {
		errs.Add("new_password", "required", msgRequired)
	} else {
		for _, v := range s.cfg.PasswordPolicy.Validate(in.NewPassword, password.Attrs{Username: user.Username, Email: user.Email}) {
			errs.Add("new_password", v.Code, v.Message)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(in.NewPassword)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	// Rotate the current session's key: a key captured before the change
	// stops working with it.
	key, keyHash := newKey()
	sess := *st.Session
	sess.KeyHash = keyHash
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.storePassword(ctx, user, hash); err != nil {
			return err
		}
		if err := s.sessions.DeleteUserSessions(ctx, user.ID, st.Session.ID); err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		if err := s.sessions.UpdateSession(ctx, &sess); err != nil {
			return fmt.Errorf("rotate session: %w", err)
		}
		return s.record(ctx, st, EventPasswordChanged, user)
	})
	if err != nil {
		return nil, err
	}
	user.PasswordHash = hash
	s.notify(ctx, st, user, notice{kind: noticePasswordChanged})
	return &State{Client: st.Client, Session: &sess, User: user, NewKey: key}, nil
}
