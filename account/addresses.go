package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
)

const (
	msgDuplicateEmail       = "This email address is already associated with this account."
	msgUnknownEmail         = "Unknown email address."
	msgUnverifiedPrimary    = "Your primary email address must be verified."
	msgCannotRemovePrimary  = "You cannot remove your primary email address."
	msgMaxEmailAddressesFmt = "You cannot add more than %d email addresses."
)

// ListEmails returns the caller's addresses, primary first, plus — in code
// mode — the address being verified by code, not stored until verified.
func (s *Emails) ListEmails(ctx context.Context, st *State) ([]latch.EmailAddress, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	list, err := s.emails.EmailAddresses(ctx, st.User.ID)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	if p := s.addingEmail(st); p != nil && !hasEmail(list, p.Email) {
		list = append(list, latch.EmailAddress{UserID: st.User.ID, Email: p.Email})
	}
	return list, nil
}

// addingEmail returns the caller's code verification of an address it is adding.
func (s *Emails) addingEmail(st *State) *latch.CodeProcess {
	if !s.cfg.VerificationByCode {
		return nil
	}
	p := s.codes.process(st, codeVerifyEmail)
	if p == nil || p.UserID != st.User.ID {
		return nil
	}
	return p
}

func hasEmail(list []latch.EmailAddress, email string) bool {
	return findEmail(list, email) != nil
}

func findEmail(list []latch.EmailAddress, email string) *latch.EmailAddress {
	for i := range list {
		if list[i].Email == email {
			return &list[i]
		}
	}
	return nil
}

// manageEmail runs the checks every address operation starts with and
// returns the normalized address.
func (s *Emails) manageEmail(ctx context.Context, st *State, email string) (string, error) {
	if !st.Authenticated() {
		return "", latch.ErrUnauthenticated
	}
	if err := s.budget.limit(ctx, "manage_email", st, ""); err != nil {
		return "", err
	}
	return requireEmail(email)
}

// AddEmail adds an address to the caller's account and sends it a
// verification link (stored unverified) or code (stored once verified).
// An added address carries no authority until it is verified: it blocks no
// one else, receives no reset links or login codes and does not log in. So
// adding an address that belongs to another account answers exactly as a
// free one would — nothing is revealed — and only its verification fails,
// with email_taken. It requires a recent authentication.
func (s *Emails) AddEmail(ctx context.Context, st *State, email string) (*State, error) {
	email, err := s.manageEmail(ctx, st, email)
	if err != nil {
		return nil, err
	}
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, err
	}
	list, err := s.emails.EmailAddresses(ctx, st.User.ID)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	if hasEmail(list, email) {
		return nil, latch.Invalid("email", "duplicate_email", msgDuplicateEmail)
	}
	if max := s.cfg.MaxEmailAddresses; max > 0 && len(list) >= max {
		return nil, latch.Invalid("email", "max_email_addresses", fmt.Sprintf(msgMaxEmailAddressesFmt, max))
	}
	if !s.cfg.VerificationByCode {
		addr := &latch.EmailAddress{UserID: st.User.ID, Email: email, Created: s.now()}
		err := s.tx.Atomic(ctx, func(ctx context.Context) error {
			if err := s.emails.AddEmail(ctx, addr); errors.Is(err, latch.ErrEmailTaken) {
				// Only a concurrent add of the same address to this account.
				return latch.Invalid("email", "duplicate_email", msgDuplicateEmail)
			} else if err != nil {
				return fmt.Errorf("add address: %w", err)
			}
			return s.record(ctx, st, EventEmailAdded, nil, "email", email)
		})
		if err != nil {
			return nil, err
		}
		s.notify(ctx, st, nil, notice{kind: noticeEmailAdded, address: email})
	}
	st, _, err = s.sendVerification(ctx, st, st.User.ID, email, false)
	return st, err
}

// ResendVerificationEmail mails a new verification for one of the caller's
// unverified addresses, and reports whether a mail went out (the per-address
// mail budget may hold it back).
func (s *Emails) ResendVerificationEmail(ctx context.Context, st *State, email string) (bool, error) {
	email, err := s.manageEmail(ctx, st, email)
	if err != nil {
		return false, err
	}
	list, err := s.emails.EmailAddresses(ctx, st.User.ID)
	if err != nil {
		return false, fmt.Errorf("list addresses: %w", err)
	}
	if p := s.addingEmail(st); p != nil && p.Email == email {
		if p.Resends >= s.cfg.VerificationCode.MaxResends {
			return false, nil
		}
		var rl *latch.RateLimitError
		if err := s.codes.resend(ctx, st, codeVerifyEmail, "email_confirmation", "confirm_email_code", p); errors.As(err, &rl) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		return true, nil
	}
	a := findEmail(list, email)
	if a == nil {
		return false, latch.Invalid("email", "unknown_email", msgUnknownEmail)
	}
	if a.Verified {
		return false, nil
	}
	var rl *latch.RateLimitError
	_, sent, err := s.sendVerification(ctx, st, st.User.ID, email, false)
	if errors.As(err, &rl) {
		return false, nil
	}
	return sent, err
}

// SetPrimaryEmail makes one of the caller's addresses the primary one. Only
// a verified address can become primary: the primary address has authority
// (it receives reset links and logs in), which an unverified added address
// must not gain. It requires a recent authentication.
func (s *Emails) SetPrimaryEmail(ctx context.Context, st *State, email string, primary bool) error {
	email, err := s.manageEmail(ctx, st, email)
	if err != nil {
		return err
	}
	if err := s.RequireRecentAuthentication(st); err != nil {
		return err
	}
	if !primary {
		return latch.Invalid("primary", "required", msgRequired)
	}
	list, err := s.emails.EmailAddresses(ctx, st.User.ID)
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
	a := findEmail(list, email)
	if a == nil {
		if p := s.addingEmail(st); p != nil && p.Email == email {
			return latch.Invalid("email", "unverified_primary_email", msgUnverifiedPrimary)
		}
		return latch.Invalid("email", "unknown_email", msgUnknownEmail)
	}
	if !a.Verified && !a.Primary {
		return latch.Invalid("email", "unverified_primary_email", msgUnverifiedPrimary)
	}
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.emails.SetPrimaryEmail(ctx, st.User.ID, email, s.now()); errors.Is(err, latch.ErrEmailTaken) {
			return latch.Invalid("email", "email_taken", msgEmailTaken)
		} else if err != nil {
			return fmt.Errorf("set primary address: %w", err)
		}
		return s.record(ctx, st, EventPrimaryChanged, nil, "email", email, "previous", st.User.Email)
	})
	if err != nil {
		return err
	}
	s.notify(ctx, st, nil, notice{kind: noticePrimaryChanged, address: email, previous: st.User.Email})
	st.User.Email = email
	return nil
}

// RemoveEmail removes one of the caller's addresses, never the primary one,
// and the keys sent to it. Removing the address being verified by code
// abandons that verification. It requires a recent authentication.
func (s *Emails) RemoveEmail(ctx context.Context, st *State, email string) error {
	email, err := s.manageEmail(ctx, st, email)
	if err != nil {
		return err
	}
	if err := s.RequireRecentAuthentication(st); err != nil {
		return err
	}
	if p := s.addingEmail(st); p != nil && p.Email == email {
		delete(st.Session.State.Codes, codeVerifyEmail)
		return s.saveSession(ctx, st)
	}
	list, err := s.emails.EmailAddresses(ctx, st.User.ID)
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
	a := findEmail(list, email)
	if a == nil {
		return latch.Invalid("email", "unknown_email", msgUnknownEmail)
	}
	if a.Primary {
		return latch.Invalid("email", "cannot_remove_primary_email", msgCannotRemovePrimary)
	}
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.emails.DeleteEmail(ctx, st.User.ID, email); err != nil {
			return fmt.Errorf("remove address: %w", err)
		}
		return s.record(ctx, st, EventEmailRemoved, nil, "email", email)
	})
	if err != nil {
		return err
	}
	s.notify(ctx, st, nil, notice{kind: noticeEmailRemoved, address: email, verified: a.Verified})
	return nil
}
