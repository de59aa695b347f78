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

// msgNoUsername refuses a username where accounts have none (Config.NoUsername).
const msgNoUsername = "Accounts on this server have no username (LATCH_SIGNUP_FIELDS lists none)."

// CreateSuperuser creates an active staff superuser with a verified primary
// address, or without any when the address is optional (Config.EmailOptional,
// as at signup: the username is then required). Under Config.NoUsername a
// username is refused. The password must pass the same rules as at signup.
func (s *Users) CreateSuperuser(ctx context.Context, in SuperuserInput) (*latch.User, error) {
	email, username, err := s.checkNewUser(in.Email, in.Username, in.Password, true)
	if err != nil {
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
	var addrs []latch.EmailAddress
	if email != "" {
		addrs = []latch.EmailAddress{{Email: email, Verified: true, Primary: true, Created: now}}
	}
	if err := createErr(s.users.CreateUser(ctx, u, addrs)); err != nil {
		return nil, fmt.Errorf("create superuser: %w", err)
	}
	return u, nil
}

// createErr turns the store's uniqueness errors of CreateUser into input errors.
func createErr(err error) error {
	switch {
	case errors.Is(err, latch.ErrEmailTaken):
		return latch.Invalid("email", "email_taken", msgEmailTaken)
	case errors.Is(err, latch.ErrUsernameTaken):
		return latch.Invalid("username", "username_taken", msgUsernameTaken)
	}
	return err
}

// checkNewUser checks the identity and password of an account created by
// an operator (createsuperuser, the admin API, latch users create) and
// returns the normalized address and username. The address may be left out
// when Config.EmailOptional allows it (the username is then required); a
// username is refused under Config.NoUsername. The password, when given or
// required, must pass the same rules as at signup.
func (s *core) checkNewUser(email, username, plain string, passwordRequired bool) (string, string, error) {
	email = normalizeEmail(email)
	username = normalizeUsername(username)
	var errs latch.InputError
	switch {
	case email == "" && s.emailOptional():
		// Username-only accounts: the username is then required.
		if username == "" {
			errs.Add("username", "required", msgRequired)
		}
	case email == "":
		errs.Add("email", "required", msgRequired)
	case !validEmail(email):
		errs.Add("email", "invalid", msgInvalidEmail)
	}
	switch {
	case username != "" && s.cfg.NoUsername:
		errs.Add("username", "invalid", msgNoUsername)
	case username != "":
		if p := usernameProblem(username); p != nil {
			errs.Errors = append(errs.Errors, *p)
		}
	}
	if plain == "" && passwordRequired {
		errs.Add("password", "required", msgRequired)
	}
	if plain != "" {
		for _, v := range s.cfg.PasswordPolicy.Validate(plain, password.Attrs{Username: username, Email: email}) {
			errs.Add("password", v.Code, v.Message)
		}
	}
	return email, username, errs.Err()
}
