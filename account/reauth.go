package account

import (
	"context"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// Reauthentication: the actions that could lock the owner out of an
// account or hand it to someone else (second-factor changes, address
// changes, ending other sessions, setting a first password) require that
// the caller authenticated within Config.MFA.ReauthenticationTimeout. A
// caller whose authentication is older gets
// latch.ErrReauthenticationRequired (HTTP: allauth's 401 with the
// reauthenticate and mfa_reauthenticate flows) and proves itself again
// with its password or a second factor, which adds a method marked
// reauthenticated to its session.

const msgIncorrectPassword = "Incorrect password."

// RequireRecentAuthentication returns nil when the caller authenticated
// (logged in or reauthenticated) within the reauthentication timeout,
// latch.ErrReauthenticationRequired when that was longer ago, and
// latch.ErrUnauthenticated when it is not logged in. Every family can call
// it before a sensitive change.
func (s *core) RequireRecentAuthentication(st *State) error {
	if !st.Authenticated() {
		return latch.ErrUnauthenticated
	}
	var last float64
	for _, m := range st.Methods() {
		last = max(last, m.At)
	}
	if unixFloat(s.now())-last > s.cfg.MFA.ReauthenticationTimeout.Seconds() {
		return latch.ErrReauthenticationRequired
	}
	return nil
}

// reauthenticated records on the caller's session that it has just proved
// itself with m.
func reauthenticated(ctx context.Context, s *core, st *State, m latch.AuthMethod) error {
	m.At, m.Reauthenticated = unixFloat(s.now()), true
	st.Session.State.Methods = append(st.Session.State.Methods, m)
	return s.saveSession(ctx, st)
}

// ReauthenticationFlows lists the ways the caller can reauthenticate: by
// password when it has a usable one, by a second factor (with its types)
// when it has one.
func (s *MFA) ReauthenticationFlows(ctx context.Context, st *State) ([]Flow, error) {
	if !st.Authenticated() {
		return nil, nil
	}
	var flows []Flow
	if password.IsUsable(st.User.PasswordHash) {
		flows = append(flows, Flow{ID: "reauthenticate"})
	}
	list, err := s.authenticatorsOf(ctx, st.User.ID)
	if err != nil {
		return nil, err
	}
	if types := s.mfaTypes(list); len(types) > 0 {
		flows = append(flows, Flow{ID: "mfa_reauthenticate", Types: types})
	}
	return flows, nil
}

// Reauthenticate confirms the caller's identity with its password. Errors:
// latch.ErrUnauthenticated, *latch.InputError (incorrect_password),
// *latch.RateLimitError.
func (s *Sessions) Reauthenticate(ctx context.Context, st *State, plain string) (*State, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	if plain == "" {
		return nil, latch.Invalid("password", "required", msgRequired)
	}
	if err := s.budget.limit(ctx, "reauthenticate", st, ""); err != nil {
		return nil, err
	}
	ok := false
	if password.IsUsable(st.User.PasswordHash) {
		var err error
		if ok, _, err = s.hasher.Verify(st.User.PasswordHash, plain); err != nil {
			return nil, fmt.Errorf("verify password: %w", err)
		}
	} else {
		s.hasher.VerifyDummy(plain)
	}
	if !ok {
		return nil, latch.Invalid("password", "incorrect_password", msgIncorrectPassword)
	}
	return st, reauthenticated(ctx, s.core, st, latch.AuthMethod{Method: "password", Email: st.User.Email})
}
