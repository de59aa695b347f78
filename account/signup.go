package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// SignupInput is a signup by email (required unless Config.EmailOptional)
// with a username (required when Config.UsernameRequired, when username is
// the only login method, or when no email is given).
type SignupInput struct {
	Email    string
	Username string
	Password string
}

// Signup creates an account and logs it in. Errors: *latch.RateLimitError,
// *latch.InputError (per field: required, invalid, email_taken,
// username_taken, the password rules), latch.ErrConflict when the caller is
// logged in, latch.ErrForbidden when signup is closed.
func (s *Users) Signup(ctx context.Context, st *State, in SignupInput) (*State, error) {
	return s.signup(ctx, st, in, false)
}

// signup is Signup; a passkey signup has no password (the account gets an
// unusable one) and waits, after verify_email, at mfa_signup_webauthn for
// its passkey.
func (s *Users) signup(ctx context.Context, st *State, in SignupInput, passkey bool) (*State, error) {
	if err := s.budget.limit(ctx, "signup", st, ""); err != nil {
		return nil, err
	}
	email := normalizeEmail(in.Email)
	username := normalizeUsername(in.Username)
	if s.cfg.NoUsername {
		username = ""
	}
	if passkey {
		// No password to check: validateSignup sees a placeholder.
		in.Password = passkeyPlaceholder
	}
	taken, err := s.validateSignup(ctx, email, username, in.Password)
	if err != nil {
		return nil, err
	}
	if st.Authenticated() {
		return nil, latch.ErrConflict
	}
	if s.cfg.SignupClosed {
		return nil, latch.ErrForbidden
	}
	if email != "" && s.cfg.VerificationByCode && s.cfg.EmailVerification != VerificationNone {
		// A code will be mailed: refuse now, before anything is created,
		// when the address's mail budget is spent.
		if err := s.budget.peek(ctx, "confirm_email_code", nil, email); err != nil {
			return nil, err
		}
	}
	if taken {
		return s.fakeSignup(ctx, st, email)
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	if passkey {
		hash = password.Unusable()
	}
	now := s.now()
	user := &latch.User{
		PublicID:     newUUID(),
		Username:     username,
		PasswordHash: hash,
		IsActive:     true,
		DateJoined:   now,
		Updated:      now,
		Email:        email,
	}
	var addrs []latch.EmailAddress
	if email != "" {
		addrs = []latch.EmailAddress{{Email: email, Primary: true, Created: now}}
	}
	m := latch.AuthMethod{Method: "password", At: unixFloat(now), Email: email}
	if passkey {
		// The login's factor is the passkey to come (mfa_signup_webauthn).
		m = latch.AuthMethod{Method: "mfa", Type: latch.AuthenticatorWebAuthn, At: unixFloat(now)}
	}
	// The account, its login (or the stage it waits at) and the
	// verification mail are one unit of work: one commit instead of three,
	// and a signup that fails half-way leaves no account behind that its
	// owner could then neither sign up again with nor log in to.
	var out *State
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		switch err := s.users.CreateUser(ctx, user, addrs); {
		case errors.Is(err, latch.ErrEmailTaken):
			// Lost a race with another signup for the same address.
			return latch.Invalid("email", "email_taken", msgEmailTaken)
		case errors.Is(err, latch.ErrUsernameTaken):
			return latch.Invalid("username", "username_taken", msgUsernameTaken)
		case err != nil:
			return fmt.Errorf("create user: %w", err)
		}
		if err := s.record(ctx, st, EventSignedUp, user); err != nil {
			return err
		}
		var err error
		if out, err = s.beginLogin(ctx, st, user, m, true); err != nil {
			return err
		}
		if email != "" && s.cfg.EmailVerification == VerificationOptional {
			// Optional verification: the user is in, and gets a link or code.
			out, _, err = s.sendVerification(ctx, out, user.ID, email, true)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkUsername adds to errs what is wrong with username as the username of
// the account self (0: a new one): the rules of signup — required when it
// is the only login method, when Config.UsernameRequired or when noEmail
// (the account is reached by its username only); valid; not another
// account's.
func (s *Users) checkUsername(ctx context.Context, username string, noEmail bool, self int64, errs *latch.InputError) error {
	required := s.cfg.UsernameRequired || len(s.cfg.LoginMethods) == 1 && s.cfg.LoginMethods[0] == "username" || noEmail
	switch problem := usernameProblem(username); {
	case username == "" && required:
		errs.Add("username", "required", msgRequired)
	case username == "":
	case problem != nil:
		errs.Errors = append(errs.Errors, *problem)
	default:
		switch other, err := s.users.UserByUsername(ctx, username); {
		case err == nil && other.ID != self:
			errs.Add("username", "username_taken", msgUsernameTaken)
		case err != nil && !errors.Is(err, latch.ErrNotFound):
			return fmt.Errorf("check username: %w", err)
		}
	}
	return nil
}

// validateSignup checks the signup fields. Under mandatory verification a
// taken address is not an error but reported as taken, so that the answer
// can look like a genuine signup's.
func (s *Users) validateSignup(ctx context.Context, email, username, plain string) (taken bool, err error) {
	var errs latch.InputError
	// Without an address the account is reached by its username only.
	emailOptional := s.emailOptional()
	if err := s.checkUsername(ctx, username, email == "" && emailOptional, 0, &errs); err != nil {
		return false, err
	}
	switch {
	case email == "" && emailOptional:
	case email == "":
		errs.Add("email", "required", msgRequired)
	case !validEmail(email):
		errs.Add("email", "invalid", msgInvalidEmail)
	default:
		// As allauth: with optional/none verification uniqueness wins over
		// enumeration prevention and a taken address is reported; with
		// mandatory verification the signup seems to go through.
		switch _, err := s.users.UserByEmail(ctx, email); {
		case err == nil && s.cfg.EmailVerification == VerificationMandatory:
			taken = true
		case err == nil:
			errs.Add("email", "email_taken", msgEmailTaken)
		case !errors.Is(err, latch.ErrNotFound):
			return false, fmt.Errorf("check email: %w", err)
		}
	}
	if plain == "" {
		errs.Add("password", "required", msgRequired)
	} else {
		for _, v := range s.cfg.PasswordPolicy.Validate(plain, password.Attrs{Username: username, Email: email}) {
			errs.Add("password", v.Code, v.Message)
		}
	}
	return taken, errs.Err()
}

// SignupFieldSet says which identity fields a signup asks for and which of
// them it requires (a username is also required of a signup that gives no
// address, when addresses are optional).
type SignupFieldSet struct {
	Email, EmailRequired       bool
	Username, UsernameRequired bool
}

// SignupFields returns the identity fields a signup asks for.
func (s *Users) SignupFields() SignupFieldSet {
	return SignupFieldSet{
		Email: true, EmailRequired: !s.emailOptional(),
		Username:         !s.cfg.NoUsername,
		UsernameRequired: !s.cfg.NoUsername && (s.cfg.UsernameRequired || len(s.cfg.LoginMethods) == 1 && s.cfg.LoginMethods[0] == "username"),
	}
}

// emailOptional reports whether a signup may give no address: when the
// operator allows it, username login is on (else an account without an
// address could not log in), and verification is not mandatory.
func (s *core) emailOptional() bool {
	return s.cfg.EmailOptional && s.cfg.EmailVerification != VerificationMandatory && s.LoginMethod("username")
}

// fakeSignup answers a signup for an address that has an account exactly as
// a genuine signup under mandatory verification is answered — a pending
// verify_email stage — but creates nothing: the address's owner gets an
// "account already exists" mail, and no key or code can complete the stage.
func (s *Users) fakeSignup(ctx context.Context, st *State, email string) (*State, error) {
	// Spend the time a real signup spends hashing the password.
	if _, err := s.hasher.Hash(email); err != nil {
		return nil, fmt.Errorf("hash: %w", err)
	}
	// A pending login no code or link can pass, for no user.
	st, err := s.holdLogin(ctx, st, &latch.PendingLogin{Started: s.now(), Email: email}, StageVerifyEmail)
	if err != nil {
		return nil, err
	}
	if s.cfg.VerificationByCode {
		if st, _, err = s.codes.start(ctx, st, codeVerifyEmail, 0, email); err != nil {
			return nil, err
		}
	} else if err := s.saveSession(ctx, st); err != nil {
		return nil, err
	}
	s.send(ctx, "account_already_exists", email, map[string]any{"Email": email, "ResetLink": s.cfg.Links.RequestReset})
	return st, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
