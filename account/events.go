package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/latchauth/latch"
)

// Authentication events. Each is recorded through the EventSink and,
// by the log sink, logged as its own record (message "auth event", level
// info) with the attributes
//
//	event       one of the names below
//	user        the user's public id (never the internal row id), when known
//	ip          the client's address, as the request log gives it
//	user_agent  the client's User-Agent header
//
// and the event's own attributes (noted below), by the log sink
// (LogEvents); other sinks (the audit log, webhooks) get the same events.
// The names are those of the catalogue in DESIGN.md.
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
	EventMFAEnabled      = "user.mfa_enabled"           // type: the authenticator type added (recovery_codes when regenerated)
	EventMFADisabled     = "user.mfa_disabled"          // type: the authenticator type removed

	EventProviderConnected    = "user.provider_connected"    // provider: the provider id
	EventProviderDisconnected = "user.provider_disconnected" // provider: the provider id
	EventProfileUpdated       = "user.profile_updated"       // fields: the fields changed
	EventAccountDeleted       = "user.deleted"               // the user deleted their own account
)

// Admin events (admin.go): every admin action, by the admin API or the
// CLI. Each has actor (who acted: "user:<public id>", "apikey:<name>" or
// "cli"); user is the account acted on.
const (
	EventAdminUserCreated     = "admin.user_created"     // is_staff
	EventAdminUserUpdated     = "admin.user_updated"     // the fields changed, with their new values
	EventAdminUserDeleted     = "admin.user_deleted"     //
	EventAdminSessionsRevoked = "admin.sessions_revoked" //
)

// Events lists every event name, for consumers that subscribe to them.
var Events = []string{
	EventSignedUp, EventLoggedIn, EventLoginFailed, EventLoggedOut,
	EventPasswordChanged, EventPasswordReset,
	EventEmailAdded, EventEmailRemoved, EventEmailVerified, EventPrimaryChanged,
	EventSessionRevoked, EventTokenReuse, EventRateLimitHit,
	EventMFAEnabled, EventMFADisabled,
	EventProviderConnected, EventProviderDisconnected,
	EventProfileUpdated, EventAccountDeleted,
	EventAdminUserCreated, EventAdminUserUpdated, EventAdminUserDeleted, EventAdminSessionsRevoked,
}

// Reasons of EventLoginFailed.
const (
	ReasonWrongPassword  = "wrong_password"
	ReasonUnknownAccount = "unknown_account"
	ReasonInactive       = "inactive"
	ReasonRateLimited    = "rate_limited"
	ReasonWrongCode      = "wrong_code" // a wrong second-factor code at mfa_authenticate
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

// EventSink receives every security event the core records. Record is
// called inside the unit of work of the change the event describes (with
// its context), so a sink that writes to the store commits or rolls back
// with it.
type EventSink interface {
	Record(ctx context.Context, e *latch.Event) error
}

// LogEvents is the sink that writes each event, once its unit of work has
// committed, as a log record: message "auth event", level info, with the
// attributes event, user (public id), ip, user_agent and the event's data.
func LogEvents(log *slog.Logger) EventSink { return logSink{log} }

type logSink struct{ log *slog.Logger }

func (l logSink) Record(ctx context.Context, e *latch.Event) error {
	if !l.log.Enabled(ctx, slog.LevelInfo) {
		return nil
	}
	a := make([]slog.Attr, 0, 4+len(e.Data))
	a = append(a, slog.String("event", e.Type))
	if e.User != nil && e.User.PublicID != "" {
		a = append(a, slog.String("user", e.User.PublicID))
	}
	a = append(a, slog.String("ip", e.IP), slog.String("user_agent", e.UserAgent))
	for _, f := range e.Data {
		a = append(a, slog.String(f.Key, f.Value))
	}
	latch.AfterCommit(ctx, func() {
		l.log.LogAttrs(context.WithoutCancel(ctx), slog.LevelInfo, eventMessage, a...)
	})
	return nil
}

// record hands a security event to the sink. user defaults to the state's
// user; the client (address, user agent) comes from st, else from the
// context (WithClient). st and user may be nil. data are the event's own
// fields as key-value pairs. Inside a unit of work, pass its context and
// return the error, so that the event commits with the change.
func (s *core) record(ctx context.Context, st *State, name string, user *latch.User, data ...any) error {
	var client latch.Client
	if st != nil {
		client = st.Client
		if user == nil {
			user = st.User
		}
	} else if c, ok := ctx.Value(clientKey{}).(latch.Client); ok {
		client = c
	}
	e := &latch.Event{Type: name, At: s.now(), User: user, IP: client.IP, UserAgent: client.UserAgent}
	for i := 0; i+1 < len(data); i += 2 {
		e.Data = append(e.Data, latch.EventField{Key: fmt.Sprint(data[i]), Value: fmt.Sprint(data[i+1])})
	}
	if err := s.events.Record(ctx, e); err != nil {
		return fmt.Errorf("record %s: %w", name, err)
	}
	return nil
}

// event records an event outside any unit of work (an attempt that changed
// nothing): a sink's failure is logged, not returned.
func (s *core) event(ctx context.Context, st *State, name string, user *latch.User, data ...any) {
	if err := s.record(ctx, st, name, user, data...); err != nil {
		s.log.Warn("security event not recorded", "event", name, "err", err)
	}
}

// loginFailed logs the failure of a password login for identifier ident
// (method "email" or "username"), err being what the credential check
// returned; it does nothing when err is nil or not a refused credential.
// The account, when there is one, is looked up again here so that the check
// itself stays as it is (and as fast for unknown accounts as for known ones).
func (s *Sessions) loginFailed(ctx context.Context, st *State, method, ident string, err error) {
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
func (s *core) sessionUser(ctx context.Context, id int64) *latch.User {
	if s.refresh == nil {
		return nil
	}
	_, u, err := s.sessions.SessionByID(ctx, id)
	if err != nil {
		return nil
	}
	return u
}

// userFor returns the user with id for an event: the caller when it is that
// user, else read from the store (nil when it cannot be).
func (s *core) userFor(ctx context.Context, st *State, id int64) *latch.User {
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
