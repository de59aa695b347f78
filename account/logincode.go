package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
)

// RequestLoginCode starts a passwordless login: a code is mailed to the
// address and the login waits in the caller's session at the login_by_code
// stage. An unknown address gets an "unknown account" mail and a stage no
// code can pass; the answer is the same. An authenticated caller is left as
// it is. Errors: *latch.InputError (including too_many_login_attempts when
// the address's budget is spent).
func (s *Sessions) RequestLoginCode(ctx context.Context, st *State, email string) (*State, error) {
	email, err := requireEmail(email)
	if err != nil {
		return nil, err
	}
	var rl *latch.RateLimitError
	if err := s.budget.limit(ctx, "request_login_code", st, email); errors.As(err, &rl) {
		return nil, latch.TooManyAttempts("email", msgTooManyAttempts, rl.RetryAfter)
	} else if err != nil {
		return nil, err
	}
	if st.Authenticated() {
		return st, nil
	}
	user, err := s.users.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	var uid int64
	if user != nil && user.IsActive {
		uid = user.ID
	}
	st, err = s.holdLogin(ctx, st, &latch.PendingLogin{UserID: uid, Started: s.now(), Email: email}, StageLoginByCode)
	if err != nil {
		return nil, err
	}
	st, code, err := s.codes.start(ctx, st, codeLogin, uid, email)
	if err != nil {
		return nil, err
	}
	if uid == 0 {
		if s.cfg.EmailUnknownAccounts {
			s.send(ctx, "unknown_account", email, map[string]any{"Email": email, "SignupLink": s.cfg.Links.Signup})
		}
	} else if err := s.send(ctx, "login_code", email, map[string]any{"Email": email, "Code": code}); err != nil {
		return nil, err
	}
	return st, nil
}

// loginCodeProcess returns the pending login at the login_by_code stage and
// its code, or latch.ErrConflict.
func (s *Sessions) loginCodeProcess(st *State) (*latch.PendingLogin, *latch.CodeProcess, error) {
	pl := s.pendingStage(st, StageLoginByCode)
	if pl == nil || st.Authenticated() {
		return nil, nil, latch.ErrConflict
	}
	p := s.codes.process(st, codeLogin)
	if p == nil {
		return nil, nil, latch.ErrConflict
	}
	return pl, p, nil
}

// ConfirmLoginCode checks the typed code and, when right, logs the user in
// (the address counts as verified: the code was mailed to it). After too
// many wrong codes the pending login is dropped. Errors: latch.ErrConflict
// (no code login in progress), *latch.InputError.
func (s *Sessions) ConfirmLoginCode(ctx context.Context, st *State, code string) (*State, error) {
	if _, _, err := s.loginCodeProcess(st); err != nil {
		return nil, err
	}
	if code == "" {
		return nil, latch.Invalid("code", "required", msgRequired)
	}
	// One conditional save checks and spends the code: of concurrent
	// confirmations only one gets past here.
	p, ok, dropped, err := s.codes.use(ctx, st, codeLogin, code, codeConsume)
	if err != nil {
		return nil, err
	}
	if !ok {
		if dropped {
			if err := s.dropPending(ctx, st); err != nil {
				return nil, err
			}
		}
		return nil, latch.Invalid("code", "incorrect_code", msgIncorrectCode)
	}
	if s.pendingStage(st, StageLoginByCode) == nil {
		return nil, latch.ErrConflict
	}
	if err := s.emails.SetEmailVerified(ctx, p.UserID, p.Email); err != nil && !errors.Is(err, latch.ErrNotFound) {
		return nil, fmt.Errorf("verify address: %w", err)
	}
	return s.passStage(ctx, st, StageLoginByCode, &latch.AuthMethod{Method: "code", At: unixFloat(s.now()), Email: p.Email})
}

// ResendLoginCode mails a new code for the code login in progress. Errors:
// latch.ErrConflict (none in progress, resends used up).
func (s *Sessions) ResendLoginCode(ctx context.Context, st *State) (*State, error) {
	_, p, err := s.loginCodeProcess(st)
	if err != nil {
		return nil, err
	}
	if p.Resends >= s.cfg.LoginCode.MaxResends {
		return nil, latch.ErrConflict
	}
	if err := s.codes.resend(ctx, st, codeLogin, "login_code", "request_login_code", p); err != nil {
		var rl *latch.RateLimitError
		if errors.As(err, &rl) {
			return nil, latch.ErrConflict
		}
		return nil, err
	}
	return st, nil
}
