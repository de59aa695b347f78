package account

import (
	"context"
	"fmt"

	"github.com/latchauth/latch"
)

// ListSessions returns the caller's sessions, newest first.
func (s *Sessions) ListSessions(ctx context.Context, st *State) ([]latch.SessionInfo, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	list, err := s.sessions.UserSessions(ctx, st.User.ID, s.now())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return list, nil
}

// EndSessions ends the listed sessions of the caller. Every id must be one of
// the caller's sessions (else an invalid_choice error on "sessions"); when the
// current session is among them the caller is logged out. Ending another
// session requires a recent authentication
// (latch.ErrReauthenticationRequired).
func (s *Sessions) EndSessions(ctx context.Context, st *State, ids []int64) (*State, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if len(ids) == 0 {
		return nil, latch.Invalid("sessions", "required", msgRequired)
	}
	for _, id := range ids {
		if id != st.Session.ID {
			// Ending another session could shut the owner out.
			if err := s.RequireRecentAuthentication(st); err != nil {
				return nil, err
			}
			break
		}
	}
	list, err := s.sessions.UserSessions(ctx, st.User.ID, s.now())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	mine := make(map[int64]bool, len(list))
	for _, x := range list {
		mine[x.ID] = true
	}
	for _, id := range ids {
		if !mine[id] {
			return nil, latch.Invalid("sessions", "invalid_choice", fmt.Sprintf(msgInvalidChoice, id))
		}
	}
	current := false
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			if id == st.Session.ID {
				current = true
			}
			if err := s.sessions.DeleteSession(ctx, id); err != nil {
				return fmt.Errorf("end session: %w", err)
			}
			if err := s.record(ctx, st, EventSessionRevoked, nil, "session", id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if current {
		return &State{Client: st.Client, Ended: true}, nil
	}
	return st, nil
}
