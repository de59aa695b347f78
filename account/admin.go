package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// Admin is the family of operators' actions: the admin API and the users
// CLI call it. Every action takes the Actor performing it, is refused
// unless the actor may administer (a staff user, an admin API key, the
// CLI), and is itself an audit event (the admin.* events), recorded in the
// unit of work of the change.
type Admin struct{ *core }

// AdminStore is the user family as the admin family reads and writes it.
// Its writes must drop the user's cached sessions (server wires them
// through the session cache).
type AdminStore interface {
	// ListUsers returns a page of the users f selects and the cursor of
	// the next page ("" after the last).
	ListUsers(ctx context.Context, f latch.UserFilter) ([]latch.UserSummary, string, error)
	UserByPublicID(ctx context.Context, publicID string) (*latch.User, error)
	SetActive(ctx context.Context, userID int64, active bool, at time.Time) error
	SetRoles(ctx context.Context, userID int64, staff, superuser bool, at time.Time) error
	// DeleteUser deletes a user and everything that is theirs.
	DeleteUser(ctx context.Context, userID int64) error
	// Authenticators and SocialAccounts list what the user page shows
	// (the MFA and social families' tables); DeleteUserAuthenticators
	// resets MFA and returns the types removed.
	Authenticators(ctx context.Context, userID int64) ([]latch.Authenticator, error)
	SocialAccounts(ctx context.Context, userID int64) ([]latch.SocialAccount, error)
	DeleteUserAuthenticators(ctx context.Context, userID int64) ([]string, error)
}

// DeliveryReader lists the webhook deliveries still in the outbox
// (sqlstore.Outbox).
type DeliveryReader interface {
	OutboxEntries(ctx context.Context, topic string, limit int) ([]latch.OutboxEntry, error)
}

// AuditReader reads the audit log.
type AuditReader interface {
	AuditEvents(ctx context.Context, f latch.AuditFilter) ([]latch.AuditEntry, string, error)
}

// APIKeyStore keeps the admin API keys, by hash.
type APIKeyStore interface {
	// CreateAPIKey stores a key; latch.ErrConflict when its name is taken.
	CreateAPIKey(ctx context.Context, k *latch.APIKey) error
	// APIKeyByHash finds a key and records its use.
	APIKeyByHash(ctx context.Context, hash []byte, now time.Time) (*latch.APIKey, error)
	APIKeys(ctx context.Context) ([]latch.APIKey, error)
	// DeleteAPIKey deletes a key by name or id and returns its name.
	DeleteAPIKey(ctx context.Context, nameOrID string) (string, error)
}

// Actor is who performs an admin action, and from where.
type Actor struct {
	// User is the caller of a session or access token; nil for a key or the CLI.
	User *latch.User
	// APIKey is the name of the admin API key used, if any.
	APIKey string
	// CLI is set for the latch users command.
	CLI    bool
	Client latch.Client
}

// name is how the audit log names the actor.
func (a Actor) name() string {
	switch {
	case a.User != nil:
		return "user:" + a.User.PublicID
	case a.APIKey != "":
		return "apikey:" + a.APIKey
	case a.CLI:
		return "cli"
	}
	return ""
}

// superuser reports whether the actor may grant or take superuser status:
// a superuser, a key or the CLI (which already hold every power).
func (a Actor) superuser() bool { return a.User == nil || a.User.IsSuperuser }

// Check refuses an actor that may not administer: nobody is
// latch.ErrUnauthenticated, a user who is not staff (or is inactive)
// latch.ErrForbidden.
func (a Actor) Check() error {
	switch {
	case a.User != nil && (!a.User.IsStaff || !a.User.IsActive):
		return latch.ErrForbidden
	case a.name() == "":
		return latch.ErrUnauthenticated
	}
	return nil
}

// adminStores are the stores only the admin family uses; nil without them.
type adminStores struct {
	users      AdminStore
	audit      AuditReader
	apiKeys    APIKeyStore
	deliveries DeliveryReader
}

// ready refuses the actor or a core built without the admin stores.
func (s *Admin) ready(a Actor) error {
	if err := a.Check(); err != nil {
		return err
	}
	if s.admin.users == nil || s.admin.audit == nil || s.admin.apiKeys == nil || s.admin.deliveries == nil {
		return errors.New("account: the admin stores are not configured (Deps.Admin)")
	}
	return nil
}

// recordAdmin records an admin event about user, naming the actor.
func (s *Admin) recordAdmin(ctx context.Context, a Actor, name string, user *latch.User, data ...any) error {
	st := &State{Client: a.Client}
	return s.record(ctx, st, name, user, append([]any{"actor", a.name()}, data...)...)
}

// ListUsers returns a page of users and the cursor of the next one.
func (s *Admin) ListUsers(ctx context.Context, a Actor, f latch.UserFilter) ([]latch.UserSummary, string, error) {
	if err := s.ready(a); err != nil {
		return nil, "", err
	}
	list, next, err := s.admin.users.ListUsers(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	return list, next, nil
}

// UserDetail is a user as the admin user page shows it.
type UserDetail struct {
	latch.UserSummary
	Emails   []latch.EmailAddress
	Sessions []latch.SessionInfo
	// Authenticators carry their type and dates; their Data (encrypted
	// secrets) is cleared.
	Authenticators []latch.Authenticator
	// Providers carry no tokens.
	Providers []latch.SocialAccount
}

// FindUser returns the user with a public id, or (for the CLI) an address
// or username; latch.ErrNotFound when there is none.
func (s *Admin) FindUser(ctx context.Context, a Actor, ref string) (*latch.User, error) {
	if err := s.ready(a); err != nil {
		return nil, err
	}
	var u *latch.User
	var err error
	switch {
	case len(ref) == 36 && strings.Count(ref, "-") == 4:
		u, err = s.admin.users.UserByPublicID(ctx, ref)
	case !a.CLI:
		return nil, latch.ErrNotFound
	case strings.Contains(ref, "@"):
		u, err = s.users.UserByEmail(ctx, ref)
	default:
		u, err = s.users.UserByUsername(ctx, ref)
	}
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, err
}

// User returns a user with their addresses and unexpired sessions.
func (s *Admin) User(ctx context.Context, a Actor, ref string) (*UserDetail, error) {
	u, err := s.FindUser(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	d := &UserDetail{UserSummary: latch.UserSummary{User: *u}}
	if d.Emails, err = s.emails.EmailAddresses(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	for _, e := range d.Emails {
		if e.Primary {
			d.EmailVerified = e.Verified
		}
	}
	if d.Sessions, err = s.sessions.UserSessions(ctx, u.ID, s.now()); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	if d.Authenticators, err = s.admin.users.Authenticators(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("list authenticators: %w", err)
	}
	for i := range d.Authenticators {
		d.Authenticators[i].Data = ""
		if d.Authenticators[i].Type != latch.AuthenticatorRecoveryCodes {
			d.HasMFA = true
		}
	}
	if d.Providers, err = s.admin.users.SocialAccounts(ctx, u.ID); err != nil {
		return nil, fmt.Errorf("list providers: %w", err)
	}
	for i := range d.Providers {
		d.Providers[i].Tokens = nil
	}
	return d, nil
}

// NewUserInput is a user created by an operator. Without a password the
// account gets an unusable one (it can reset it, or log in by code).
type NewUserInput struct {
	Email, Username, Password string
	Staff, EmailVerified      bool
}

// CreateUser creates an active user, with the same identity and password
// rules as createsuperuser.
func (s *Admin) CreateUser(ctx context.Context, a Actor, in NewUserInput) (*latch.User, error) {
	if err := s.ready(a); err != nil {
		return nil, err
	}
	email, username, err := s.checkNewUser(in.Email, in.Username, in.Password, false)
	if err != nil {
		return nil, err
	}
	hash := password.Unusable()
	if in.Password != "" {
		if hash, err = s.hasher.Hash(in.Password); err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
	}
	now := s.now()
	u := &latch.User{PublicID: newUUID(), Username: username, PasswordHash: hash, IsActive: true, IsStaff: in.Staff,
		DateJoined: now, Updated: now, Email: email}
	var addrs []latch.EmailAddress
	if email != "" {
		addrs = []latch.EmailAddress{{Email: email, Verified: in.EmailVerified, Primary: true, Created: now}}
	}
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := createErr(s.users.CreateUser(ctx, u, addrs)); err != nil {
			return err
		}
		return s.recordAdmin(ctx, a, EventAdminUserCreated, u, "is_staff", in.Staff)
	})
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserUpdate is a change of a user's flags; nil fields stay as they are.
type UserUpdate struct {
	Active, Staff, Superuser *bool
}

// UpdateUser applies a change. Deactivation ends every session of the user
// and their refresh-token families at once, on every node (the session
// cache drops them after the commit and tells the other nodes). Only a
// superuser (or a key, or the CLI) may grant or take superuser status.
func (s *Admin) UpdateUser(ctx context.Context, a Actor, ref string, ch UserUpdate) (*latch.User, error) {
	u, err := s.FindUser(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	if ch.Superuser != nil && *ch.Superuser != u.IsSuperuser && !a.superuser() {
		return nil, latch.ErrForbidden
	}
	var changed []any
	now := s.now()
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if ch.Active != nil && *ch.Active != u.IsActive {
			if err := s.admin.users.SetActive(ctx, u.ID, *ch.Active, now); err != nil {
				return fmt.Errorf("set active: %w", err)
			}
			if !*ch.Active {
				if err := s.sessions.DeleteUserSessions(ctx, u.ID, 0); err != nil {
					return fmt.Errorf("end sessions: %w", err)
				}
			}
			u.IsActive = *ch.Active
			changed = append(changed, "is_active", u.IsActive)
		}
		staff, super := u.IsStaff, u.IsSuperuser
		if ch.Staff != nil {
			staff = *ch.Staff
		}
		if ch.Superuser != nil {
			super = *ch.Superuser
		}
		if staff != u.IsStaff || super != u.IsSuperuser {
			if err := s.admin.users.SetRoles(ctx, u.ID, staff, super, now); err != nil {
				return fmt.Errorf("set roles: %w", err)
			}
			if staff != u.IsStaff {
				changed = append(changed, "is_staff", staff)
			}
			if super != u.IsSuperuser {
				changed = append(changed, "is_superuser", super)
			}
			u.IsStaff, u.IsSuperuser = staff, super
		}
		if len(changed) == 0 {
			return nil
		}
		return s.recordAdmin(ctx, a, EventAdminUserUpdated, u, changed...)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// VerifyEmail marks one of a user's addresses verified; latch.ErrNotFound
// when the user does not have it, an email_taken input error when another
// user has authority over it.
func (s *Admin) VerifyEmail(ctx context.Context, a Actor, ref, email string) error {
	u, err := s.FindUser(ctx, a, ref)
	if err != nil {
		return err
	}
	email = normalizeEmail(email)
	if email == "" {
		return latch.Invalid("email", "required", msgRequired)
	}
	return s.tx.Atomic(ctx, func(ctx context.Context) error {
		switch err := s.emails.SetEmailVerified(ctx, u.ID, email); {
		case errors.Is(err, latch.ErrNotFound):
			return latch.Invalid("email", "not_found", "The user has no such address.")
		case errors.Is(err, latch.ErrEmailTaken):
			return latch.Invalid("email", "email_taken", msgEmailTaken)
		case err != nil:
			return fmt.Errorf("verify address: %w", err)
		}
		return s.recordAdmin(ctx, a, EventAdminUserUpdated, u, "email_verified", email)
	})
}

// SetPassword replaces a user's password (the same rules as at signup) and
// ends their sessions and refresh-token families.
func (s *Admin) SetPassword(ctx context.Context, a Actor, ref, plain string) error {
	u, err := s.FindUser(ctx, a, ref)
	if err != nil {
		return err
	}
	if plain == "" {
		return latch.Invalid("password", "required", msgRequired)
	}
	var errs latch.InputError
	for _, v := range s.cfg.PasswordPolicy.Validate(plain, password.Attrs{Username: u.Username, Email: u.Email}) {
		errs.Add("password", v.Code, v.Message)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(plain)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.users.SetPassword(ctx, u.ID, hash, s.now()); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := s.sessions.DeleteUserSessions(ctx, u.ID, 0); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return s.recordAdmin(ctx, a, EventAdminUserUpdated, u, "password", "set")
	})
}

// ResetMFA removes every authenticator of a user (TOTP, recovery codes,
// WebAuthn credentials), so that they log in with their password alone and
// set MFA up again; a user.mfa_disabled event per type removed and an
// admin.user_updated event.
func (s *Admin) ResetMFA(ctx context.Context, a Actor, ref string) error {
	u, err := s.FindUser(ctx, a, ref)
	if err != nil {
		return err
	}
	return s.tx.Atomic(ctx, func(ctx context.Context) error {
		types, err := s.admin.users.DeleteUserAuthenticators(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("reset MFA: %w", err)
		}
		for _, t := range types {
			if err := s.record(ctx, &State{Client: a.Client}, EventMFADisabled, u, "type", t); err != nil {
				return err
			}
		}
		return s.recordAdmin(ctx, a, EventAdminUserUpdated, u, "mfa", "reset")
	})
}

// RevokeSessions ends every session of a user and their refresh-token families.
func (s *Admin) RevokeSessions(ctx context.Context, a Actor, ref string) error {
	u, err := s.FindUser(ctx, a, ref)
	if err != nil {
		return err
	}
	return s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.sessions.DeleteUserSessions(ctx, u.ID, 0); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return s.recordAdmin(ctx, a, EventAdminSessionsRevoked, u)
	})
}

// DeleteUser deletes a user and everything that is theirs; their sessions
// end at once on every node.
func (s *Admin) DeleteUser(ctx context.Context, a Actor, ref string) error {
	u, err := s.FindUser(ctx, a, ref)
	if err != nil {
		return err
	}
	return s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := removeUser(ctx, s.core, u.ID); err != nil {
			return err
		}
		return s.recordAdmin(ctx, a, EventAdminUserDeleted, u)
	})
}

// Audit returns a page of the audit log, newest first.
func (s *Admin) Audit(ctx context.Context, a Actor, f latch.AuditFilter) ([]latch.AuditEntry, string, error) {
	if err := s.ready(a); err != nil {
		return nil, "", err
	}
	list, next, err := s.admin.audit.AuditEvents(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("read audit log: %w", err)
	}
	return list, next, nil
}

// WebhookDeliveries lists the webhook deliveries not yet made: waiting
// for their next attempt (with the attempts so far and the last error) or
// given up. Delivered ones leave the outbox (and are counted in /metrics).
func (s *Admin) WebhookDeliveries(ctx context.Context, a Actor, limit int) ([]latch.OutboxEntry, error) {
	if err := s.ready(a); err != nil {
		return nil, err
	}
	list, err := s.admin.deliveries.OutboxEntries(ctx, "webhook", limit)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return list, nil
}

// apiKeyPrefix starts every admin API key, so that the admin API tells
// one from an access token (a JWT) before verifying anything.
const apiKeyPrefix = "latch_admin_"

// IsAPIKey reports whether a bearer credential has the form of an admin API key.
func IsAPIKey(s string) bool { return strings.HasPrefix(s, apiKeyPrefix) }

// CreateAPIKey creates an admin API key named name and returns it: it is
// shown this once, only its SHA-256 is stored.
func (s *Admin) CreateAPIKey(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", latch.Invalid("name", "invalid", "Give the key a name of 1 to 100 characters.")
	}
	var b [32]byte
	rand.Read(b[:])
	key := apiKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(key))
	switch err := s.admin.apiKeys.CreateAPIKey(ctx, &latch.APIKey{Name: name, Hash: sum[:], Created: s.now()}); {
	case errors.Is(err, latch.ErrConflict):
		return "", latch.Invalid("name", "taken", "A key with that name exists.")
	case err != nil:
		return "", fmt.Errorf("create API key: %w", err)
	}
	return key, nil
}

// APIKeys lists the admin API keys (names and dates, never the keys).
func (s *Admin) APIKeys(ctx context.Context) ([]latch.APIKey, error) {
	list, err := s.admin.apiKeys.APIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return list, nil
}

// RevokeAPIKey deletes a key by name or id and returns its name;
// latch.ErrNotFound when there is none.
func (s *Admin) RevokeAPIKey(ctx context.Context, nameOrID string) (string, error) {
	name, err := s.admin.apiKeys.DeleteAPIKey(ctx, nameOrID)
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		return "", fmt.Errorf("revoke API key: %w", err)
	}
	return name, err
}

// ResolveAPIKey returns the actor of an admin API key; an unknown key is
// latch.ErrUnauthenticated.
func (s *Admin) ResolveAPIKey(ctx context.Context, client latch.Client, key string) (Actor, error) {
	sum := sha256.Sum256([]byte(key))
	k, err := s.admin.apiKeys.APIKeyByHash(ctx, sum[:], s.now())
	switch {
	case errors.Is(err, latch.ErrNotFound):
		return Actor{}, latch.ErrUnauthenticated
	case err != nil:
		return Actor{}, fmt.Errorf("resolve API key: %w", err)
	}
	return Actor{APIKey: k.Name, Client: client}, nil
}

// removeUser deletes a user and everything that is theirs, in the unit of
// work of ctx: the admin API's deletion and a user's own. Ending the
// sessions first tells the session cache (here and on the other nodes) to
// drop them; the rows go with the user anyway.
func removeUser(ctx context.Context, s *core, userID int64) error {
	if err := s.sessions.DeleteUserSessions(ctx, userID, 0); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	if err := s.admin.users.DeleteUser(ctx, userID); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}
