package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
)

// UserLister reads users for the views that list them.
type UserLister interface {
	// Users lists users, most recently updated first, at most limit of them.
	Users(ctx context.Context, limit int) ([]latch.User, error)
	UserByPublicID(ctx context.Context, publicID string) (*latch.User, error)
}

// ListUsers returns every user (at most limit) to a superuser, and only
// the caller to anyone else. Errors: latch.ErrUnauthenticated.
func (s *Users) ListUsers(ctx context.Context, st *State, limit int) ([]latch.User, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if !st.User.IsSuperuser {
		return []latch.User{*st.User}, nil
	}
	users, err := s.lister.Users(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// User returns the user with a public id: any user to a superuser, only
// themselves to anyone else (others are latch.ErrNotFound, as if absent).
func (s *Users) User(ctx context.Context, st *State, publicID string) (*latch.User, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if !st.User.IsSuperuser {
		if st.User.PublicID != publicID {
			return nil, latch.ErrNotFound
		}
		return st.User, nil
	}
	u, err := s.lister.UserByPublicID(ctx, publicID)
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, err
}
