package account

import (
	"context"
	"fmt"

	"github.com/latchauth/latch"
)

// Stage is a step at which a login waits for the user, named as allauth's
// flows name it. A pending login (latch.PendingLogin) is at one stage at a
// time, kept first in its Stages.
type Stage string

const (
	// StageLoginByCode waits for the code mailed for a passwordless
	// login: the login's first factor.
	StageLoginByCode Stage = "login_by_code"
	// StageVerifyEmail waits, under mandatory verification, for the
	// login's address to be verified.
	StageVerifyEmail Stage = "verify_email"
	// StageMFAAuthenticate waits for a second factor (TOTP or recovery
	// code) of a user who has one (mfa.go).
	StageMFAAuthenticate Stage = "mfa_authenticate"
	// StageMFATrust asks, in the browser, whether to trust it and skip
	// the second factor at its later logins (trust.go).
	StageMFATrust Stage = "mfa_trust"
)

// stageRule is a stage a login may need after its first factor.
type stageRule struct {
	stage Stage
	// need reports whether login p of user, made by the caller st, must
	// pass the stage now, noting on p what the stage waits for (the
	// address to verify); signup says the login began with a signup, whose
	// account was created in the same unit of work (it has no authenticators).
	need func(s *core, ctx context.Context, st *State, p *latch.PendingLogin, user *latch.User, signup bool) (bool, error)
	// begin puts the login at the stage and starts it (mails a code or a
	// link); signup says the login began with a signup.
	begin func(s *core, ctx context.Context, st *State, p *latch.PendingLogin, user *latch.User, signup bool) (*State, error)
}

// loginStages are the stages a login may need after its first factor, in
// the order they are taken. Adding a stage is adding an entry: nothing else
// decides which stages a login needs.
var loginStages = []stageRule{
	{StageVerifyEmail, (*core).needVerifiedEmail, (*core).beginVerifyEmail},
	{StageMFAAuthenticate, needMFA, beginMFA},
	{StageMFATrust, needTrust, beginTrust},
	{StageMFASignupWebAuthn, needPasskey, beginPasskey},
}

// beginLogin starts the stages of a login whose first factor m is proved:
// it waits at the first stage this user needs, or finishes at once. Every
// way into an account (password, login code, password reset, a provider,
// a passkey) comes through here, so none skips a stage.
func (s *core) beginLogin(ctx context.Context, st *State, user *latch.User, m latch.AuthMethod, signup bool) (*State, error) {
	p := &latch.PendingLogin{UserID: user.ID, Started: s.now(), Methods: []latch.AuthMethod{m}}
	return s.advance(ctx, st, p, user, signup)
}

// passStage moves the caller's pending login past stage, which it must be
// at (latch.ErrConflict otherwise), adding m (when not nil) to how the user
// authenticated; the login then waits at its next stage or finishes.
func (s *core) passStage(ctx context.Context, st *State, stage Stage, m *latch.AuthMethod) (*State, error) {
	p := s.pendingStage(st, stage)
	if p == nil {
		return nil, latch.ErrConflict
	}
	if m != nil {
		p.Methods = append(p.Methods, *m)
	}
	p.Stages = nil
	p.Done = append(p.Done, string(stage))
	user, err := s.users.UserByID(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("pending login user: %w", err)
	}
	return s.advance(ctx, st, p, user, false)
}

// advance puts login p at the first stage it still needs, or finishes it:
// the user's session is replaced by an authenticated one. A user
// deactivated meanwhile gets no session; the pending login is dropped.
func (s *core) advance(ctx context.Context, st *State, p *latch.PendingLogin, user *latch.User, signup bool) (*State, error) {
	for _, r := range loginStages {
		need, err := r.need(s, ctx, st, p, user, signup)
		if err != nil {
			return nil, err
		}
		if need {
			return r.begin(s, ctx, st, p, user, signup)
		}
	}
	if !user.IsActive {
		return st, s.dropPending(ctx, st)
	}
	return s.finishLogin(ctx, st, user, p.Methods)
}

// holdLogin keeps login p in the caller's session (given one if it has
// none) at stage; the caller saves the session.
func (s *core) holdLogin(ctx context.Context, st *State, p *latch.PendingLogin, stage Stage) (*State, error) {
	st, err := s.ensureSession(ctx, st)
	if err != nil {
		return nil, err
	}
	p.Stages = []string{string(stage)}
	st.Session.State.Pending = p
	return st, nil
}

// pending returns the caller's login in progress, if it has not timed out.
func (s *core) pending(st *State) *latch.PendingLogin {
	if st.Session == nil || st.Session.State.Pending == nil {
		return nil
	}
	p := st.Session.State.Pending
	if s.now().Sub(p.Started) > s.cfg.LoginTimeout {
		return nil
	}
	return p
}

// pendingStage returns the caller's pending login when it is at stage.
func (s *core) pendingStage(st *State, stage Stage) *latch.PendingLogin {
	p := s.pending(st)
	if p == nil || len(p.Stages) == 0 || Stage(p.Stages[0]) != stage {
		return nil
	}
	return p
}

// dropPending abandons the caller's login in progress.
func (s *core) dropPending(ctx context.Context, st *State) error {
	if st.Session == nil || st.Session.State.Pending == nil {
		return nil
	}
	st.Session.State.Pending = nil
	return s.saveSession(ctx, st)
}

// needVerifiedEmail: under mandatory verification, the address used to log
// in (else the primary one) must be verified first.
func (s *core) needVerifiedEmail(ctx context.Context, _ *State, p *latch.PendingLogin, user *latch.User, _ bool) (bool, error) {
	var loginEmail string
	if len(p.Methods) > 0 {
		loginEmail = p.Methods[0].Email
	}
	target, err := s.unverifiedLoginEmail(ctx, user, loginEmail)
	if err != nil || target == "" {
		return false, err
	}
	p.Email = target
	return true, nil
}

// beginVerifyEmail mails the verification of p.Email.
func (s *core) beginVerifyEmail(ctx context.Context, st *State, p *latch.PendingLogin, user *latch.User, signup bool) (*State, error) {
	if s.cfg.VerificationByCode {
		// Refuse before touching the session when no code could be sent.
		if err := s.budget.peek(ctx, "confirm_email_code", nil, p.Email); err != nil {
			return nil, err
		}
	}
	st, err := s.holdLogin(ctx, st, p, StageVerifyEmail)
	if err != nil {
		return nil, err
	}
	if err := s.saveSession(ctx, st); err != nil {
		return nil, err
	}
	st, _, err = s.sendVerification(ctx, st, user.ID, p.Email, signup)
	return st, err
}

// unverifiedLoginEmail returns the address a login must verify first under
// mandatory verification — the one used to log in, else the primary one —
// or "" when there is nothing to verify.
func (s *core) unverifiedLoginEmail(ctx context.Context, user *latch.User, loginEmail string) (string, error) {
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

// finishLogin replaces the caller's session with a new authenticated one (a
// new key: session fixation is impossible).
func (s *core) finishLogin(ctx context.Context, st *State, user *latch.User, methods []latch.AuthMethod) (*State, error) {
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
	if len(s.cfg.DeviceSecret) > 0 && s.devices.known(st.Client.Device, user) == "" {
		out.NewDevice = s.devices.newToken(user)
	}
	var refresh *latch.RefreshToken
	if st.Client.Kind == latch.App && s.jwtStrategy() {
		var hash []byte
		out.RefreshToken, hash = newKey()
		refresh = &latch.RefreshToken{Hash: hash, Created: now, Expires: now.Add(s.cfg.Tokens.RefreshTTL)}
	}
	err := s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.sessions.StartSession(ctx, sess, replaces, refresh); err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		return s.record(ctx, out, EventLoggedIn, user, "method", firstMethod(methods))
	})
	if err != nil {
		return nil, err
	}
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
