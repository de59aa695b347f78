package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchauth/latch"
)

// State is the authentication state of one request: who is calling, through
// which session, and what changed during the request. Every flow takes a
// State and returns the State after it; the HTTP layer turns a State into a
// response (cookie, session token, 200 or 401 with flows).
type State struct {
	Client  latch.Client
	Session *latch.Session // nil when the caller has no session
	User    *latch.User    // non-nil only for an authenticated session

	// NewKey is set when this request minted a new session key: the browser
	// gets a new cookie, the app a new session_token.
	NewKey string
	// NewDevice is a device token to hand the client: it has just logged
	// in to an account its presented token (if any) was not for.
	NewDevice string
	// Ended reports that this request ended the caller's session.
	Ended bool
	// AccessToken and RefreshToken are set when this request authenticated
	// an app client under the JWT strategy.
	AccessToken, RefreshToken string
	// NewTrust is an MFA trust token to hand the browser: the user has
	// just chosen to trust it (trust.go).
	NewTrust string
}

// Authenticated reports whether the caller is logged in.
func (st *State) Authenticated() bool { return st.User != nil }

// Methods returns how the caller authenticated, oldest first.
func (st *State) Methods() []latch.AuthMethod {
	if st.Session == nil {
		return nil
	}
	return st.Session.State.Methods
}

// Resolve finds the session behind a key. An empty key gives an anonymous
// state without a session. An unknown or expired key gives
// latch.ErrSessionGone for the app client (it must drop its token) and an
// anonymous state for the browser (its cookie is replaced).
func (s *Sessions) Resolve(ctx context.Context, client latch.Client, key string) (*State, error) {
	st := &State{Client: client}
	if key == "" {
		return st, nil
	}
	sess, user, err := s.sessions.SessionByKey(ctx, HashKey(key))
	switch {
	case errors.Is(err, latch.ErrNotFound):
		return s.gone(st)
	case err != nil:
		return nil, fmt.Errorf("resolve session: %w", err)
	}
	now := s.now()
	if !now.Before(sess.Expires) || sess.Client != client.Kind {
		if !now.Before(sess.Expires) {
			if err := s.sessions.DeleteSession(ctx, sess.ID); err != nil {
				return nil, fmt.Errorf("delete expired session: %w", err)
			}
		}
		return s.gone(st)
	}
	if sess.UserID != 0 && (user == nil || !user.IsActive) {
		// The user was deactivated or removed since: the session ends here.
		if err := s.sessions.DeleteSession(ctx, sess.ID); err != nil {
			return nil, fmt.Errorf("end session of inactive user: %w", err)
		}
		st.Ended = true
		return st, nil
	}
	if now.Sub(sess.LastSeen) >= s.cfg.TouchInterval {
		// Rolling expiry, written at most once per TouchInterval so that the
		// session check stays a read on almost every request.
		sess.LastSeen = now
		sess.Expires = minTime(now.Add(s.cfg.SessionTTL), sess.MaxExpires)
		if err := s.sessions.TouchSession(ctx, sess.ID, sess.LastSeen, sess.Expires); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	st.Session = sess
	st.User = user
	return st, nil
}

func (s *core) gone(st *State) (*State, error) {
	if st.Client.Kind == latch.App {
		return nil, latch.ErrSessionGone
	}
	st.Ended = true
	return st, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Flow is one entry of the "flows" list of a 401 response: a way to
// authenticate, or the stage of a login that is waiting for the user.
type Flow struct {
	ID        string
	IsPending bool
	// ShowPending says to report IsPending even when false, as allauth
	// always does for password_reset_by_code.
	ShowPending bool
	// Types are the authenticator types a second-factor flow accepts.
	Types []string
	// Providers are the provider ids of provider_redirect and
	// provider_token; Provider is the provider of a pending provider_signup.
	Providers []string
	Provider  *latch.Provider
}

// Flows lists what an unauthenticated caller can do next, in allauth's order:
// login, login by code, signup, the providers, passkey login, the pending
// stage of a login in progress, then password reset by code.
func (s *Sessions) Flows(st *State) []Flow {
	flows := make([]Flow, 0, 5)
	flows = append(flows, Flow{ID: "login"})
	if s.cfg.LoginByCode {
		flows = append(flows, Flow{ID: string(StageLoginByCode)})
	}
	if !s.cfg.SignupClosed {
		flows = append(flows, Flow{ID: "signup"})
	}
	flows = (&Social{s.core}).flows(st, flows)
	if s.cfg.MFA.PasskeyLogin && s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		flows = append(flows, Flow{ID: flowPasskeyLogin})
	}
	if s.cfg.MFA.PasskeySignup && !s.cfg.SignupClosed && s.cfg.MFA.Supports(latch.AuthenticatorWebAuthn) {
		flows = append(flows, Flow{ID: string(StageMFASignupWebAuthn)})
	}
	if p := s.pending(st); p != nil && len(p.Stages) > 0 {
		stage := p.Stages[0] // the stage the login waits at (stages.go)
		found := false
		for i := range flows {
			if flows[i].ID == stage {
				flows[i].IsPending, found = true, true
			}
		}
		if !found {
			flows = append(flows, Flow{ID: stage, IsPending: true})
		}
	}
	if s.cfg.PasswordResetByCode {
		flows = append(flows, Flow{ID: "password_reset_by_code", IsPending: s.ResetPending(st), ShowPending: true})
	}
	return flows
}
