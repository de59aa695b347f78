package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// LoginInput is a password login. Email and Username are nil when the
// request did not send that field.
type LoginInput struct {
	Email    *string
	Username *string
	Password string
}

// Login checks a password login and, when it succeeds, starts an
// authenticated session (or a pending one, when a stage remains). Errors:
// *latch.RateLimitError, *latch.InputError (field problems, wrong
// credentials, too many failures), latch.ErrConflict when already logged in.
// An inactive account with the right password gets an unauthenticated State
// and no error, so that it is told nothing more than "not logged in".
func (s *Service) Login(ctx context.Context, st *State, in LoginInput) (*State, error) {
	if err := s.limit(ctx, "login", st, ""); err != nil {
		return nil, err
	}
	var method, ident string
	var errs latch.InputError
	useEmail := in.Email != nil && s.LoginMethod("email")
	useUsername := in.Username != nil && s.LoginMethod("username")
	if useEmail {
		method, ident = "email", normalizeEmail(*in.Email)
		if ident == "" {
			errs.Add("email", "required", msgRequired)
		} else if !validEmail(ident) {
			errs.Add("email", "invalid", msgInvalidEmail)
		}
	}
	if useUsername {
		method, ident = "username", strings.TrimSpace(*in.Username)
		if ident == "" {
			errs.Add("username", "required", msgRequired)
		}
	}
	if len(s.cfg.LoginMethods) == 1 && !useEmail && !useUsername {
		errs.Add(s.cfg.LoginMethods[0], "required", msgRequired)
	}
	if in.Password == "" {
		errs.Add("password", "required", msgRequired)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if useEmail == useUsername {
		return nil, latch.Invalid("", "invalid_login", msgInvalidLogin)
	}

	user, err := s.checkPassword(ctx, st, method, ident, in.Password)
	s.loginFailed(ctx, st, method, ident, err)
	if err != nil {
		return nil, err
	}
	if st.Authenticated() {
		return nil, latch.ErrConflict
	}
	if !user.IsActive {
		s.event(ctx, st, EventLoginFailed, user, "reason", ReasonInactive, "method", method)
		return st, nil
	}
	m := latch.AuthMethod{Method: "password", At: unixFloat(s.now())}
	if method == "email" {
		m.Email = ident
	} else {
		m.Username = ident
	}
	st, err = s.completeLogin(ctx, st, user, m, false)
	var rl *latch.RateLimitError
	if errors.As(err, &rl) {
		// The verification code could not be sent (mandatory verification
		// by code, mail budget spent): allauth answers this way.
		return nil, latch.Invalid("", "too_many_login_attempts", msgTooManyAttempts)
	}
	return st, err
}

// checkPassword verifies a credential and returns the user it belongs to.
// Every failure is reported the same way, and an unknown identifier costs a
// hash verification like a known one, so that neither the answer nor its
// timing tells whether the account exists.
//
// The attempt is paid for before the hash and refunded when it is right, so
// concurrent guesses cannot overdraw a budget. Budgets are per account (by
// internal id, whichever identifier was typed): login_failed per account and
// source — the device when the caller presents this account's device token,
// else the address — and login_failed_account for the account as a whole,
// a ceiling that known devices are exempt from, so that a stranger cannot
// lock the owner out.
func (s *Service) checkPassword(ctx context.Context, st *State, method, ident, plain string) (*latch.User, error) {
	var user *latch.User
	var err error
	if method == "email" {
		user, err = s.users.UserByEmail(ctx, ident)
	} else {
		user, err = s.users.UserByUsername(ctx, ident)
	}
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	subject, device := accountSubject(user, method, ident), s.knownDevice(st.Client.Device, user)
	taken, err := s.takeLoginAttempt(ctx, st, subject, device)
	if err != nil {
		var rl *latch.RateLimitError
		if errors.As(err, &rl) {
			s.log.Info("login refused: failure budget spent", "action", rl.Action, "ip", st.Client.IP)
			return nil, latch.Invalid("", "too_many_login_attempts", msgTooManyAttempts)
		}
		return nil, err
	}
	ok, rehash := false, false
	if user == nil || !password.IsUsable(user.PasswordHash) {
		s.hasher.VerifyDummy(plain)
	} else if ok, rehash, err = s.hasher.Verify(user.PasswordHash, plain); err != nil {
		s.log.Error("stored password hash cannot be verified", "user", user.PublicID, "err", err)
		ok = false
	}
	if !ok {
		if method == "email" {
			return nil, latch.Invalid("password", "email_password_mismatch", msgEmailMismatch)
		}
		return nil, latch.Invalid("password", "username_password_mismatch", msgUsernameMismatch)
	}
	s.refund(ctx, taken)
	if rehash {
		// Legacy or weaker hash (bcrypt, Django pbkdf2, old argon2 parameters):
		// upgrade it now that we know the plain password.
		if h, err := s.hasher.Hash(plain); err == nil {
			if err := s.users.SetPassword(ctx, user.ID, h, s.now()); err != nil {
				s.log.Warn("password hash upgrade failed", "user", user.PublicID, "err", err)
			} else {
				user.PasswordHash = h
			}
		}
	}
	return user, nil
}

// completeLogin continues a login whose first factor is proved: when a stage
// remains (an unverified address under mandatory verification) the login is
// kept pending in the caller's session and the stage begins; otherwise the
// login finishes. signup says which verification mail to send.
func (s *Service) completeLogin(ctx context.Context, st *State, user *latch.User, m latch.AuthMethod, signup bool) (*State, error) {
	target, err := s.unverifiedLoginEmail(ctx, user, m.Email)
	if err != nil {
		return nil, err
	}
	if target == "" {
		return s.finishLogin(ctx, st, user, []latch.AuthMethod{m})
	}
	if s.cfg.VerificationByCode {
		// Refuse before touching the session when no code could be sent.
		if err := s.limitPeek(ctx, "confirm_email_code", nil, target); err != nil {
			return nil, err
		}
	}
	st, err = s.ensureSession(ctx, st)
	if err != nil {
		return nil, err
	}
	st.Session.State.Pending = &latch.PendingLogin{UserID: user.ID, Started: s.now(), Stages: []string{"verify_email"},
		Methods: []latch.AuthMethod{m}, Email: target}
	if err := s.saveSession(ctx, st); err != nil {
		return nil, err
	}
	st, _, err = s.sendVerification(ctx, st, user.ID, target, signup)
	return st, err
}

// unverifiedLoginEmail returns the address a login must verify first under
// mandatory verification — the one used to log in, else the primary one —
// or "" when there is nothing to verify.
func (s *Service) unverifiedLoginEmail(ctx context.Context, user *latch.User, loginEmail string) (string, error) {
	if s.cfg.EmailVerification != VerificationMandatory {
		return "", nil
	}
	addrs, err := s.emails.EmailAddresses(ctx, user.ID)
	if err != nil {
		return "", fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if (loginEmail != "" && a.Email == loginEmail) || (loginEmail == "" && a.Primary) {
			if a.Verified {
				return "", nil
			}
			return a.Email, nil
		}
	}
	return "", nil
}

// continueLogin moves a pending login past its first stage, adding m to its
// methods, and finishes it when no stage is left.
func (s *Service) continueLogin(ctx context.Context, st *State, m *latch.AuthMethod) (*State, error) {
	p := st.Session.State.Pending
	if m != nil {
		p.Methods = append(p.Methods, *m)
	}
	p.Stages = p.Stages[1:]
	user, err := s.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("pending login user: %w", err)
	}
	if len(p.Stages) == 0 {
		if next, err := s.unverifiedLoginEmail(ctx, user, p.Email); err != nil {
			return nil, err
		} else if next != "" {
			p.Stages = []string{"verify_email"}
			p.Email = next
			if err := s.saveSession(ctx, st); err != nil {
				return nil, err
			}
			st, _, err = s.sendVerification(ctx, st, user.ID, next, false)
			return st, err
		}
	}
	if len(p.Stages) > 0 {
		return st, s.saveSession(ctx, st)
	}
	if !user.IsActive {
		st.Session.State.Pending = nil
		return st, s.saveSession(ctx, st)
	}
	return s.finishLogin(ctx, st, user, p.Methods)
}

// dropPending abandons the caller's login in progress.
func (s *Service) dropPending(ctx context.Context, st *State) error {
	if st.Session == nil || st.Session.State.Pending == nil {
		return nil
	}
	st.Session.State.Pending = nil
	return s.saveSession(ctx, st)
}

// finishLogin replaces the caller's session with a new authenticated one (a
// new key: session fixation is impossible).
func (s *Service) finishLogin(ctx context.Context, st *State, user *latch.User, methods []latch.AuthMethod) (*State, error) {
	now := s.now()
	key, hash := newKey()
	sess := &latch.Session{
		KeyHash:    hash,
		UserID:     user.ID,
		Client:     st.Client.Kind,
		Created:    now,
		LastSeen:   now,
		Expires:    now.Add(s.cfg.SessionTTL),
		MaxExpires: now.Add(s.cfg.SessionMaxAge),
		IP:         st.Client.IP,
		UserAgent:  st.Client.UserAgent,
		State:      latch.SessionState{Methods: methods},
	}
	if sess.MaxExpires.Before(sess.Expires) {
		sess.Expires = sess.MaxExpires
	}
	var replaces int64
	if st.Session != nil {
		replaces = st.Session.ID
	}
	out := &State{Client: st.Client, Session: sess, User: user, NewKey: key}
	if len(s.cfg.DeviceSecret) > 0 && s.knownDevice(st.Client.Device, user) == "" {
		out.NewDevice = s.newDeviceToken(user)
	}
	var refresh *latch.RefreshToken
	if st.Client.Kind == latch.App && s.jwtStrategy() {
		var hash []byte
		out.RefreshToken, hash = newKey()
		refresh = &latch.RefreshToken{Hash: hash, Created: now, Expires: now.Add(s.cfg.Tokens.RefreshTTL)}
	}
	if err := s.sessions.StartSession(ctx, sess, replaces, refresh); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	s.event(ctx, out, EventLoggedIn, user, "method", firstMethod(methods))
	user.LastLogin = now
	if refresh != nil {
		access, err := s.signer.Sign(s.accessClaims(sess, user, now, newUUID()))
		if err != nil {
			return nil, fmt.Errorf("sign access token: %w", err)
		}
		out.AccessToken = access
	}
	return out, nil
}

// Logout ends the caller's session server-side, whatever it held (a login,
// a pending flow, or nothing). It never fails for an anonymous caller.
func (s *Service) Logout(ctx context.Context, st *State) (*State, error) {
	if st.Session != nil {
		if err := s.sessions.DeleteSession(ctx, st.Session.ID); err != nil {
			return nil, fmt.Errorf("logout: %w", err)
		}
		s.event(ctx, st, EventLoggedOut, nil)
	}
	return &State{Client: st.Client, Ended: st.Session != nil || st.Ended}, nil
}
