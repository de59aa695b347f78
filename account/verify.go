package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
)

const (
	msgIncorrectCode       = "Incorrect code."
	msgInvalidOrExpiredKey = "Invalid or expired key."
)

// send queues a mail; a failure to queue is logged (with the recipient and
// kind only) but does not fail the request, whose answer must not depend on
// the mail system.
func (s *core) send(ctx context.Context, kind, to string, data map[string]any) error {
	if err := s.mail.Send(ctx, kind, to, data); err != nil {
		s.log.Error("mail not queued", "kind", kind, "to", to, "err", err)
		return fmt.Errorf("queue %s mail: %w", kind, err)
	}
	return nil
}

// sendVerification mails a verification link or code for a user's address.
// The confirm_email budget (one mail per address per 3 minutes for links,
// per 10 seconds for codes) is spent here: a link that is over budget is
// silently not sent (sent=false), a code over budget is a
// *latch.RateLimitError. userID 0 sends nothing that can verify anything.
func (s *core) sendVerification(ctx context.Context, st *State, userID int64, email string, signup bool) (*State, bool, error) {
	kind := "email_confirmation"
	if signup {
		kind = "email_confirmation_signup"
	}
	if s.cfg.VerificationByCode {
		if err := s.budget.limit(ctx, "confirm_email_code", nil, email); err != nil {
			return st, false, err
		}
		st, code, err := s.codes.start(ctx, st, codeVerifyEmail, userID, email)
		if err != nil {
			return nil, false, err
		}
		if err := s.send(ctx, kind, email, map[string]any{"Email": email, "Code": code}); err != nil {
			return nil, false, err
		}
		return st, true, nil
	}
	var rl *latch.RateLimitError
	if err := s.budget.limit(ctx, "confirm_email", nil, email); errors.As(err, &rl) {
		return st, false, nil
	} else if err != nil {
		return nil, false, err
	}
	key, hash := newKey()
	now := s.now()
	t := &latch.Token{Kind: latch.TokenVerifyEmail, Hash: hash, UserID: userID, Email: email, Created: now, Expires: now.Add(s.cfg.VerificationLinkTTL)}
	// The key and its mail are stored together: neither exists without the
	// other.
	err := s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.tokens.CreateToken(ctx, t); err != nil {
			return fmt.Errorf("store verification key: %w", err)
		}
		return s.send(ctx, kind, email, map[string]any{"Email": email, "Link": link(s.cfg.Links.VerifyEmail, key), "Key": key})
	})
	if err != nil {
		return nil, false, err
	}
	return st, true, nil
}

// VerifyInfo describes what a verification key would verify.
type VerifyInfo struct {
	Email            string
	User             *latch.User
	IsAuthenticating bool // a verify_email login stage is pending (allauth: whether or not this key finishes it)
}

// CheckVerification tells what key (a link key or a typed code) would
// verify, without verifying. In code mode a wrong code counts as an attempt.
// Errors: latch.ErrConflict (code mode: no verification in progress,
// checked before the key), *latch.InputError (invalid key or code).
func (s *Emails) CheckVerification(ctx context.Context, st *State, key string) (*VerifyInfo, error) {
	if err := s.CanVerify(st); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, latch.Invalid("key", "required", msgRequired)
	}
	if s.cfg.VerificationByCode {
		p, err := s.checkVerificationCode(ctx, st, key, codePeek)
		if err != nil {
			return nil, err
		}
		return s.verifyInfo(ctx, st, p.UserID, p.Email)
	}
	t, err := s.tokens.TokenByHash(ctx, latch.TokenVerifyEmail, HashKey(key))
	if errors.Is(err, latch.ErrNotFound) || (err == nil && !s.now().Before(t.Expires)) {
		return nil, latch.Invalid("key", "invalid_or_expired_key", msgInvalidOrExpiredKey)
	}
	if err != nil {
		return nil, fmt.Errorf("look up verification key: %w", err)
	}
	return s.verifyInfo(ctx, st, t.UserID, t.Email)
}

func (s *Emails) verifyInfo(ctx context.Context, st *State, userID int64, email string) (*VerifyInfo, error) {
	u, err := s.users.UserByID(ctx, userID)
	if err != nil {
		return nil, latch.Invalid("key", "invalid_or_expired_key", msgInvalidOrExpiredKey)
	}
	// As allauth: true whenever a verify_email stage is pending, whether or
	// not verifying will finish that login (a link without
	// LoginOnEmailConfirmation, another user's key).
	pending := s.pendingStage(st, StageVerifyEmail) != nil
	return &VerifyInfo{Email: email, User: u, IsAuthenticating: pending}, nil
}

// CanVerify is the guard allauth puts before any input check of the
// verification endpoints: in code mode a caller with no verification in
// progress (anonymous without a pending verify_email stage, or no code
// process) gets latch.ErrConflict. In link mode anyone may verify.
func (s *Emails) CanVerify(st *State) error {
	if !s.cfg.VerificationByCode {
		return nil
	}
	_, err := s.verificationProcess(st)
	return err
}

// verificationProcess returns the caller's code verification in progress:
// only a caller logged in or in a pending verify_email stage has one.
func (s *Emails) verificationProcess(st *State) (*latch.CodeProcess, error) {
	if !st.Authenticated() && s.pendingStage(st, StageVerifyEmail) == nil {
		return nil, latch.ErrConflict
	}
	p := s.codes.process(st, codeVerifyEmail)
	if p == nil {
		return nil, latch.ErrConflict
	}
	return p, nil
}

// checkVerificationCode checks a typed code (and, with codeConsume, spends
// it); after too many wrong ones the process and the pending login are
// dropped.
func (s *Emails) checkVerificationCode(ctx context.Context, st *State, code string, use codeUse) (*latch.CodeProcess, error) {
	p, ok, dropped, err := s.codes.use(ctx, st, codeVerifyEmail, code, use)
	if err != nil {
		return nil, err
	}
	if !ok {
		if dropped {
			if err := s.dropPending(ctx, st); err != nil {
				return nil, err
			}
		}
		return nil, latch.Invalid("key", "incorrect_code", msgIncorrectCode)
	}
	return p, nil
}

// VerifyEmail verifies an address with a link key or a typed code, then
// continues the login waiting for it, if any. Without a login waiting, an
// authenticated caller stays as it is and an anonymous one stays anonymous
// (a 401 that is not a failure). Errors as CheckVerification, plus
// email_taken when another account has the address meanwhile.
func (s *Emails) VerifyEmail(ctx context.Context, st *State, key string) (*State, error) {
	if err := s.CanVerify(st); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, latch.Invalid("key", "required", msgRequired)
	}
	var userID int64
	var email string
	var added bool
	verify := func(ctx context.Context) (err error) {
		if added, err = s.markVerified(ctx, st, userID, email); err != nil {
			return err
		}
		user := s.userFor(ctx, st, userID)
		if user != nil && user.Email == "" {
			// An account without a primary address (a username-only
			// signup) gets its first verified one as primary, as allauth.
			if err := s.emails.SetPrimaryEmail(ctx, userID, email, s.now()); err != nil {
				return fmt.Errorf("make first address primary: %w", err)
			}
			user.Email = email
		}
		return s.record(ctx, st, EventEmailVerified, user, "email", email)
	}
	if s.cfg.VerificationByCode {
		// Checked and spent in one conditional save: used once only. A
		// wrong code's attempt is saved apart from any unit of work, so
		// that no rollback gives it back.
		p, err := s.checkVerificationCode(ctx, st, key, codeConsume)
		if err != nil {
			return nil, err
		}
		userID, email = p.UserID, p.Email
		if err := s.tx.Atomic(ctx, verify); err != nil {
			return nil, err
		}
	} else {
		// The key is used up with the verification it makes, or not at all.
		err := s.tx.Atomic(ctx, func(ctx context.Context) error {
			t, err := s.tokens.TakeToken(ctx, latch.TokenVerifyEmail, HashKey(key))
			if errors.Is(err, latch.ErrNotFound) || (err == nil && !s.now().Before(t.Expires)) {
				return latch.Invalid("key", "invalid_or_expired_key", msgInvalidOrExpiredKey)
			}
			if err != nil {
				return fmt.Errorf("use verification key: %w", err)
			}
			userID, email = t.UserID, t.Email
			return verify(ctx)
		})
		if err != nil {
			return nil, err
		}
	}
	if added {
		s.notify(ctx, st, s.userFor(ctx, st, userID), notice{kind: noticeEmailAdded, address: email})
	}

	if p := s.pendingStage(st, StageVerifyEmail); p != nil {
		if p.UserID == userID && (s.cfg.VerificationByCode || s.cfg.LoginOnEmailConfirmation) {
			return s.passStage(ctx, st, StageVerifyEmail, nil)
		}
		if err := s.dropPending(ctx, st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// markVerified marks a user's address verified, adding it when it is not
// stored yet (an address added in code mode is kept out of the table until
// verified), and reports whether it was added. Call it inside a unit of work.
func (s *Emails) markVerified(ctx context.Context, st *State, userID int64, email string) (added bool, err error) {
	err = s.emails.SetEmailVerified(ctx, userID, email)
	if errors.Is(err, latch.ErrEmailTaken) {
		// Another account verified it first, or signed up with it.
		return false, latch.Invalid("key", "email_taken", msgEmailTaken)
	}
	if !errors.Is(err, latch.ErrNotFound) {
		return false, err
	}
	addr := &latch.EmailAddress{UserID: userID, Email: email, Verified: true, Created: s.now()}
	switch err := s.emails.AddEmail(ctx, addr); {
	case errors.Is(err, latch.ErrEmailTaken):
		return false, latch.Invalid("key", "email_taken", msgEmailTaken)
	case err != nil:
		return false, fmt.Errorf("add verified address: %w", err)
	}
	return true, s.record(ctx, st, EventEmailAdded, s.userFor(ctx, st, userID), "email", email)
}

// ResendVerification mails a new code for the verification in progress.
// Errors: latch.ErrConflict (link mode, nothing in progress, resends used
// up), *latch.RateLimitError.
func (s *Emails) ResendVerification(ctx context.Context, st *State) (*State, error) {
	if !s.cfg.VerificationByCode {
		return nil, latch.ErrConflict
	}
	p, err := s.verificationProcess(st)
	if err != nil {
		return nil, err
	}
	if p.Resends >= s.cfg.VerificationCode.MaxResends {
		return nil, latch.ErrConflict
	}
	return st, s.codes.resend(ctx, st, codeVerifyEmail, "email_confirmation", "confirm_email_code", p)
}

// resendCode replaces a process's code with a new one and mails it. The
// process keeps its start time, so resending does not extend its life.
func (s *codes) resend(ctx context.Context, st *State, kind, mailKind, budget string, p *latch.CodeProcess) error {
	if err := s.budget.limit(ctx, budget, nil, p.Email); err != nil {
		return err
	}
	code := newCode()
	if p.UserID != 0 {
		p.Hash = codeHash(st.Session.ID, kind, code)
	}
	p.Resends++
	if err := s.saveSession(ctx, st); err != nil {
		return err
	}
	if p.UserID == 0 {
		return nil
	}
	return s.send(ctx, mailKind, p.Email, map[string]any{"Email": p.Email, "Code": code})
}
