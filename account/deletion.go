package account

import (
	"context"
	"time"

	"github.com/latchauth/latch"
)

// DeleteAccount deletes the caller's account with everything that is
// theirs (addresses, sessions and their refresh-token families, second
// factors, connected providers, emailed keys), after a recent
// authentication, and mails the primary address that it happened. The
// returned state is logged out. Errors: latch.ErrUnauthenticated,
// latch.ErrReauthenticationRequired, latch.ErrNotFound when
// Config.AccountDeletion is off.
func (s *Users) DeleteAccount(ctx context.Context, st *State) (*State, error) {
	if !s.cfg.AccountDeletion {
		return nil, latch.ErrNotFound
	}
	if err := s.RequireRecentAuthentication(st); err != nil {
		return nil, err
	}
	u := st.User
	err := s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := removeUser(ctx, s.core, u.ID); err != nil {
			return err
		}
		if u.Email != "" {
			if err := s.send(ctx, "account_deleted", u.Email, map[string]any{"Email": u.Email, "Time": s.now().UTC().Format(time.RFC1123)}); err != nil {
				return err
			}
		}
		return s.record(ctx, st, EventAccountDeleted, u)
	})
	if err != nil {
		return nil, err
	}
	return &State{Client: st.Client, Ended: true}, nil
}
