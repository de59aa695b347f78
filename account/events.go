package account

import (
	"context"
	"errors"
	"log/slog"

	"github.com/latchauth/latch"
)

// Authentication events. Each is logged as its own record (message
// "auth event", level info) by [Service.event], with the attributes
//
//	event       one of the names below
//	user        the user's public id (never the internal row id), when known
//	ip          the client's address, as the request log gives it
//	user_agent  the client's User-Agent header
//
// and the event's own attributes (noted below). The names are those of the
// audit log and webhook catalogue in DESIGN.md, which will be fed from the
// same calls.
const (
	EventSignedUp        = "user.signed_up"             //
	EventLoggedIn        = "user.logged_in"             // method: password, code, password_reset, …
	EventLoginFailed     = "user.login_failed"          // reason: one of the Reason constants; method: email or username
	EventLoggedOut       = "user.logged_out"            //
	EventPasswordChanged = "user.password_changed"      //
	EventPasswordReset   = "user.password_reset"        //
	EventEmailAdded      = "user.email_added"           // email
	EventEmailRemoved    = "user.email_removed"         // email
	EventEmailVerified   = "user.email_verified"        // email
	EventPrimaryChanged  = "user.email_primary_changed" // email: the new primary; previous: the old one
	EventSessionRevoked  = "session.revoked"            // session: the id the sessions list shows
	EventTokenReuse      = "token.reuse_detected"       // session: the session ended with its token family
	EventRateLimitHit    = "rate_limit.hit"             // action: the rate-limited action
)

// Events lists every event name, for consumers that subscribe to them.
var Events = []string{
	EventSignedUp, EventLoggedIn, EventLoginFailed, EventLoggedOut,
	EventPasswordChanged, EventPasswordReset,
	EventEmailAdded, EventEmailRemoved, EventEmailVerified, EventPrimaryChanged,
	EventSessionRevoked, EventTokenReuse, EventRateLimitHit,
}

// Reasons of EventLoginFailed.
const (
	ReasonWrongPassword  = "wrong_password"
	ReasonUnknownAccount = "unknown_account"
	ReasonInactive       = "inactive"
	ReasonRateLimited    = "rate_limited"
)

// eventMessage is the message of every event record.
const eventMessage = "auth event"

// clientKey is the context key of WithClient.
type clientKey struct{}

// WithClient returns ctx carrying the calling client, for the flows that take
// no State (refreshing a token): their events name its address and agent.
func WithClient(ctx context.Context, c latch.Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// event logs an authentication event. user defaults to the state's user;
// the client (address, user agent) comes from st, else from the context
// (WithClient). st and user may be nil. args are the event's own
// attributes, as slog takes them (key-value pairs or slog.Attr).
func (s *Service) event(ctx context.Context, st *State, name string, user *latch.User, args ...any) {
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	var client latch.Client
	if st != nil {
		client = st.Client
		if user == nil {
			user = st.User
		}
	} else if c, ok := ctx.Value(clientKey{}).(latch.Client); ok {
		client = c
	}
	a := make([]any, 0, 4+len(args))
	a = append(a, slog.String("event", name))
	if user != nil && user.PublicID != "" {
		a = append(a, slog.String("user", user.PublicID))
	}
	a = append(a, slog.String("ip", client.IP), slog.String("user_agent", client.UserAgent))
	a = append(a, args...)
	s.log.Log(ctx, slog.LevelInfo, eventMessage, a...)
}

// loginFailed logs the failure of a password login for identifier ident
// (method "email" or "username"), err being what the credential check
// returned; it does nothing when err is nil or not a refused credential.
// The account, when there is one, is looked up again here so that the check
// itself stays as it is (and as fast for unknown accounts as for known ones).
func (s *Service) loginFailed(ctx context.Context, st *State, method, ident string, err error) {
	if err == nil {
		return
	}
	var reason string
	var rl *latch.RateLimitError
	var in *latch.InputError
	switch {
	case errors.As(err, &rl):
		reason = ReasonRateLimited
	case errors.As(err, &in):
		for _, e := range in.Errors {
			switch e.Code {
			case "too_many_login_attempts":
				reason = ReasonRateLimited
			case "email_password_mismatch", "username_password_mismatch":
				reason = ReasonWrongPassword
			}
		}
	}
	if reason == "" {
		return
	}
	var user *latch.User
	if method == "email" {
		user, _ = s.users.UserByEmail(ctx, ident)
	} else {
		user, _ = s.users.UserByUsername(ctx, ident)
	}
	if user == nil && reason == ReasonWrongPassword {
		reason = ReasonUnknownAccount
	}
	// The user of the state is whoever is logged in, not the account tried.
	anon := &State{Client: st.Client}
	s.event(ctx, anon, EventLoginFailed, user, "reason", reason, "method", method)
}

// sessionUser returns the user of a session, or nil, for events about a
// session known only by its id.
func (s *Service) sessionUser(ctx context.Context, id int64) *latch.User {
	if s.refresh == nil {
		return nil
	}
	_, u, err := s.refresh.SessionByID(ctx, id)
	if err != nil {
		return nil
	}
	return u
}

// userFor returns the user with id for an event: the caller when it is that
// user, else read from the store (nil when it cannot be).
func (s *Service) userFor(ctx context.Context, st *State, id int64) *latch.User {
	if st != nil && st.User != nil && st.User.ID == id {
		return st.User
	}
	u, err := s.users.UserByID(ctx, id)
	if err != nil {
		return nil
	}
	return u
}

// firstMethod names how a login began (its first factor), for EventLoggedIn.
func firstMethod(methods []latch.AuthMethod) string {
	if len(methods) == 0 {
		return ""
	}
	return methods[0].Method
}
