package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// SuperuserInput is what `latch createsuperuser` asks for.
type SuperuserInput struct {
	Email    string
	Username string
	Password string
}

// CreateSuperuser creates an active staff superuser with a verified primary
// address. The password must pass the same rules as at signup.
func (s *Users) CreateSuperuser(ctx context.Context, in SuperuserInput) (*latch.User, error) {
	email := normalizeEmail(in.Email)
	username := normalizeUsername(in.Username)
	var errs latch.InputError
	if email == "" {
		errs.Add("email", "required", msgRequired)
	} else if !validEmail(email) {
		errs.Add("email", "invalid", msgInvalidEmail)
	}
	if username != "" {
		if p := usernameProblem(username); p != nil {
			errs.Errors = append(errs.Errors, *p)
		}
	}
	if in.Password == "" {
		errs.Add("password", "required", msgRequired)
	}
	for _, v := range s.cfg.PasswordPolicy.Validate(in.Password, password.Attrs{Username: username, Email: email}) {
		if in.Password != "" {
			errs.Add("password", v.Code, v.Message)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	now := s.now()
	u := &latch.User{
		PublicID: newUUID(), Username: username, PasswordHash: hash,
		IsActive: true, IsStaff: true, IsSuperuser: true,
		DateJoined: now, Updated: now, Email: email,
	}
	addr := latch.EmailAddress{Email: email, Verified: true, Primary: true, Created: now}
	switch err := s.users.CreateUser(ctx, u, []latch.EmailAddress{addr}); {
	case errors.Is(err, latch.ErrEmailTaken):
		return nil, latch.Invalid("email", "email_taken", msgEmailTaken)
	case errors.Is(err, latch.ErrUsernameTaken):
		return nil, latch.Invalid("username", "username_taken", msgUsernameTaken)
	case err != nil:
		return nil, fmt.Errorf("create superuser: %w", err)
	}
	return u, nil
}
