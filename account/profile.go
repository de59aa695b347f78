package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchauth/latch"
)

// ProfileStore keeps what a user edits of themselves on the profile page.
type ProfileStore interface {
	// UserProfile returns a user's first and last name.
	UserProfile(ctx context.Context, userID int64) (first, last string, err error)
	// SetProfile sets a user's username ("" for none) and names;
	// latch.ErrUsernameTaken when another user has the username.
	SetProfile(ctx context.Context, userID int64, username, first, last string, at time.Time) error
}

// Profile is a user's username and names.
type Profile struct {
	Username, FirstName, LastName string
}

// ProfileChange holds the fields a profile update sets; nil leaves a field
// as it is.
type ProfileChange struct {
	Username, FirstName, LastName *string
}

// maxNameLength is Django's for first_name and last_name.
const maxNameLength = 150

// Profile returns the caller's profile. Errors: latch.ErrUnauthenticated.
func (s *Users) Profile(ctx context.Context, st *State) (*Profile, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	first, last, err := s.profiles.UserProfile(ctx, st.User.ID)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	return &Profile{Username: st.User.Username, FirstName: first, LastName: last}, nil
}

// UpdateProfile changes the caller's username (under the rules of signup)
// and names. Errors: latch.ErrUnauthenticated, *latch.InputError (username
// required, invalid or taken; a name too long or with control characters).
func (s *Users) UpdateProfile(ctx context.Context, st *State, ch ProfileChange) (*Profile, error) {
	p, err := s.Profile(ctx, st)
	if err != nil {
		return nil, err
	}
	old := *p
	var errs latch.InputError
	if ch.Username != nil {
		if u := normalizeUsername(*ch.Username); u != p.Username {
			if s.cfg.NoUsername && u != "" {
				errs.Add("username", "invalid", "Accounts here have no username.")
			} else if err := s.checkUsername(ctx, u, st.User.Email == "", st.User.ID, &errs); err != nil {
				return nil, err
			}
			if errs.Err() == nil {
				p.Username = u
			}
		}
	}
	for _, f := range []struct {
		name string
		in   *string
		out  *string
	}{{"first_name", ch.FirstName, &p.FirstName}, {"last_name", ch.LastName, &p.LastName}} {
		if f.in == nil {
			continue
		}
		v := strings.TrimSpace(*f.in)
		switch {
		case utf8.RuneCountInString(v) > maxNameLength:
			errs.Add(f.name, "invalid", fmt.Sprintf("Ensure this value has at most %d characters.", maxNameLength))
		case strings.IndexFunc(v, unicode.IsControl) >= 0:
			errs.Add(f.name, "invalid", "Enter a name without control characters.")
		default:
			*f.out = v
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if *p == old {
		return p, nil
	}
	var changed []any
	for _, f := range []struct {
		name     string
		was, now string
	}{{"username", old.Username, p.Username}, {"first_name", old.FirstName, p.FirstName}, {"last_name", old.LastName, p.LastName}} {
		if f.was != f.now {
			changed = append(changed, f.name)
		}
	}
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		switch err := s.profiles.SetProfile(ctx, st.User.ID, p.Username, p.FirstName, p.LastName, s.now()); {
		case errors.Is(err, latch.ErrUsernameTaken):
			return latch.Invalid("username", "username_taken", msgUsernameTaken)
		case err != nil:
			return fmt.Errorf("set profile: %w", err)
		}
		return s.record(ctx, st, EventProfileUpdated, nil, "fields", strings.Trim(fmt.Sprint(changed), "[]"))
	})
	if err != nil {
		return nil, err
	}
	st.User.Username = p.Username
	return p, nil
}
