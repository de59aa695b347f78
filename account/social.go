package account

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/password"
)

// Social login: the rules of logging in, signing up and connecting with a
// third-party provider. The protocol (redirects, code exchange, ID token
// verification) is the adapter's (package social); what reaches the core is a
// latch.SocialIdentity the adapter verified.
//
// Who a provider identity logs in as:
//
//  1. the user its (provider, uid) is connected to, if any;
//  2. else, when Config.Social.EmailAuthentication is on, the provider
//     asserts its address verified, and that address is verified on an
//     existing account: that account (connected to the identity when
//     AutoConnect is on). An unverified address on either side never
//     logs in: that is the pre-account takeover;
//  3. else, when the address is usable and nobody holds it, and
//     AutoSignup is on: a new account, with the address verified exactly
//     when the provider said it was;
//  4. else the provider_signup stage, where the user chooses the address
//     (and username); a taken address is refused there with email_taken.
//
// Every path that logs in goes through beginLogin, so the stages that
// follow a first factor (email verification, MFA) apply to it.

// Flows of provider support and processes, as allauth names them.
const (
	FlowProviderRedirect = "provider_redirect"
	FlowProviderToken    = "provider_token"
	ProcessLogin         = "login"
	ProcessConnect       = "connect"
)

// StageProviderSignup waits for a new provider identity's account details
// (address, username). It comes before the account exists, so it is held
// directly by the provider login rather than decided by loginStages; passing
// it creates the account and continues with loginStages.
const StageProviderSignup Stage = "provider_signup"

// The social error messages, as allauth words them.
const (
	msgSocialEmailTaken = "An account already exists with this email address. Please sign in to that account first, then connect your %s account."
	msgConnectedOther   = "The third-party account is already connected to a different account."
	msgAccountNotFound  = "Unknown account."
	msgNoPassword       = "Your account has no password set up."
	msgNoVerifiedEmail  = "Your account has no verified email address."
)

// SocialConfig holds the rules of social login (LATCH_SOCIAL_*).
type SocialConfig struct {
	// Providers are the configured providers, in configuration order.
	Providers []latch.Provider
	// EmailAuthentication lets a provider login whose verified address is
	// verified on an existing account log into it.
	EmailAuthentication bool
	// AutoConnect connects the identity to the account EmailAuthentication
	// logged into.
	AutoConnect bool
	// AutoSignup creates an account at once for a new identity with a
	// usable address nobody holds; off, every new identity goes through
	// provider_signup.
	AutoSignup bool
	// StoreTokens keeps the provider's tokens, sealed with TokenKey.
	StoreTokens bool
	TokenKey    []byte
	// FlowTTL bounds a provider redirect's round trip (default 10 minutes).
	FlowTTL time.Duration
}

// SocialStore keeps the identities connected to users and the provider
// redirects in progress.
type SocialStore interface {
	// SocialAccount finds the account of an identity; latch.ErrNotFound.
	SocialAccount(ctx context.Context, provider, uid string) (*latch.SocialAccount, error)
	// SocialAccounts lists a user's connected identities, oldest first.
	SocialAccounts(ctx context.Context, userID int64) ([]latch.SocialAccount, error)
	// CreateSocialAccount connects an identity and sets a.ID;
	// latch.ErrConflict when the identity is connected already.
	CreateSocialAccount(ctx context.Context, a *latch.SocialAccount) error
	// UpdateSocialAccount saves an account's email, display, last login
	// and tokens.
	UpdateSocialAccount(ctx context.Context, a *latch.SocialAccount) error
	// DeleteSocialAccount disconnects one of a user's identities;
	// latch.ErrNotFound when the user has no such identity.
	DeleteSocialAccount(ctx context.Context, userID int64, provider, uid string) error
	// CreateSocialFlow stores a redirect in progress (and drops expired ones).
	CreateSocialFlow(ctx context.Context, f *latch.SocialFlow) error
	// TakeSocialFlow deletes and returns the flow with that state hash:
	// of two uses, one gets it; latch.ErrNotFound for the other.
	TakeSocialFlow(ctx context.Context, stateHash []byte) (*latch.SocialFlow, error)
}

// Social is the family of third-party login flows.
type Social struct{ *core }

// Providers returns the configured providers.
func (s *Social) Providers() []latch.Provider { return s.cfg.Social.Providers }

// Provider returns the provider with that id.
func (s *Social) Provider(id string) (latch.Provider, bool) {
	for _, p := range s.cfg.Social.Providers {
		if p.ID == id {
			return p, true
		}
	}
	return latch.Provider{}, false
}

// supports reports whether provider id exists and offers flow.
func (s *Social) supports(id, flow string) bool {
	p, ok := s.Provider(id)
	return ok && slices.Contains(p.Flows, flow)
}

// Attempt spends one unit of the caller's login budget (allauth's "login"
// rate, per IP) for a provider login about to make Latch store a redirect
// or call the provider: a redirect begun, an app's token verified. (A
// callback needs a state that a redirect paid for.)
// Error: *latch.RateLimitError.
func (s *Social) Attempt(ctx context.Context, st *State) error {
	return s.budget.limit(ctx, "login", st, "")
}

// RedirectInput is the browser's request to log in or connect through a
// provider. The HTTP layer has checked CallbackURL against the trusted
// origins.
type RedirectInput struct {
	Provider, Process, CallbackURL string
	// Browser is the secret the browser holds in its binding cookie; empty
	// when it has none yet (one is made).
	Browser string
}

// Redirect is a provider redirect begun: the values the authorization
// request carries and the browser's binding secret for its cookie.
type Redirect struct {
	Provider latch.Provider
	State    string
	Nonce    string
	// Verifier is the PKCE code verifier; the request carries its S256
	// challenge.
	Verifier string
	Browser  string
}

// BeginRedirect validates a redirect request and stores its single-use
// state, bound to the browser and, for a connect, to the logged-in user.
// Errors: *latch.InputError (provider, process), latch.ErrUnauthenticated
// for a connect by an anonymous caller, latch.ErrReauthenticationRequired
// for one whose authentication is not recent (see recentEnough).
func (s *Social) BeginRedirect(ctx context.Context, st *State, in RedirectInput) (*Redirect, error) {
	var errs latch.InputError
	switch {
	case in.Provider == "":
		errs.Add("provider", "required", msgRequired)
	case !s.supports(in.Provider, FlowProviderRedirect):
		errs.Add("provider", "invalid_choice", fmt.Sprintf(msgInvalidChoice, in.Provider))
	}
	switch in.Process {
	case ProcessLogin, ProcessConnect:
	case "":
		errs.Add("process", "required", msgRequired)
	default:
		errs.Add("process", "invalid_choice", fmt.Sprintf(msgInvalidChoice, in.Process))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if in.Process == ProcessConnect {
		if err := s.recentEnough(st); err != nil {
			return nil, err
		}
	}
	browser := in.Browser
	if len(browser) != 43 { // 256 bits, base64url: a secret this core made
		browser = randomToken()
	}
	r := &Redirect{State: randomToken(), Nonce: randomToken(), Verifier: randomToken(), Browser: browser}
	r.Provider, _ = s.Provider(in.Provider)
	now := s.now()
	f := &latch.SocialFlow{StateHash: HashKey(r.State), BrowserHash: HashKey(browser), Provider: in.Provider,
		Process: in.Process, CallbackURL: in.CallbackURL, Verifier: r.Verifier, Nonce: r.Nonce,
		Created: now, Expires: now.Add(s.flowTTL())}
	if st.Authenticated() && in.Process == ProcessConnect {
		f.UserID = st.User.ID
	}
	if err := s.social.CreateSocialFlow(ctx, f); err != nil {
		return nil, fmt.Errorf("store provider redirect: %w", err)
	}
	return r, nil
}

func (s *Social) flowTTL() time.Duration {
	if s.cfg.Social.FlowTTL > 0 {
		return s.cfg.Social.FlowTTL
	}
	return 10 * time.Minute
}

// recentEnough requires a recent authentication for a change of the ways
// into the account (connect, disconnect): a session taken over must not be
// able to add the taker's own provider account. An account without a
// usable password counts as recent, as in allauth: it has no password to
// reauthenticate with.
func (s *Social) recentEnough(st *State) error {
	if st.Authenticated() && !password.IsUsable(st.User.PasswordHash) {
		return nil
	}
	return s.RequireRecentAuthentication(st)
}

// ErrFlowInvalid means a provider callback's state is unknown, used,
// expired or was started by another browser.
var ErrFlowInvalid = errors.New("provider flow state invalid")

// TakeRedirect uses up the flow of a provider callback's state. The state
// is gone after the first try, whatever its outcome; a flow started by
// another browser (browser is the secret of this one's cookie) or expired
// is ErrFlowInvalid, as is an unknown state.
func (s *Social) TakeRedirect(ctx context.Context, state, browser string) (*latch.SocialFlow, error) {
	if state == "" {
		return nil, ErrFlowInvalid
	}
	f, err := s.social.TakeSocialFlow(ctx, HashKey(state))
	switch {
	case errors.Is(err, latch.ErrNotFound):
		return nil, ErrFlowInvalid
	case err != nil:
		return nil, fmt.Errorf("take provider redirect: %w", err)
	}
	if browser == "" || subtle.ConstantTimeCompare(f.BrowserHash, HashKey(browser)) != 1 || !s.now().Before(f.Expires) {
		return f, ErrFlowInvalid
	}
	return f, nil
}

// CompleteRedirect finishes a provider redirect with the identity the
// provider returned: a login (see LoginWith) or, for a connect, a connect
// to the user who started it, who must still be the one logged in.
func (s *Social) CompleteRedirect(ctx context.Context, st *State, f *latch.SocialFlow, id *latch.SocialIdentity) (*State, error) {
	if f.Process == ProcessConnect {
		if !st.Authenticated() || st.User.ID != f.UserID {
			return nil, latch.ErrUnauthenticated
		}
		// The redirect was begun with a recent authentication.
		return s.connect(ctx, st, id)
	}
	return s.LoginWith(ctx, st, id)
}

// LoginWith logs in with a verified provider identity, by the rules above.
// A caller already logged in is logged out first, as allauth does. It
// returns the caller's state: authenticated, or waiting at a stage
// (provider_signup, verify_email, …). Errors: latch.ErrForbidden when a new
// account would be needed and signup is closed.
func (s *Social) LoginWith(ctx context.Context, st *State, id *latch.SocialIdentity) (*State, error) {
	if st.Authenticated() {
		out, err := (&Sessions{s.core}).Logout(ctx, st)
		if err != nil {
			return nil, err
		}
		st = out
	}
	method := latch.AuthMethod{Method: "socialaccount", At: unixFloat(s.now()), Provider: id.Provider, UID: id.UID}
	acct, err := s.social.SocialAccount(ctx, id.Provider, id.UID)
	switch {
	case err == nil:
		user, err := s.users.UserByID(ctx, acct.UserID)
		if err != nil {
			return nil, fmt.Errorf("social account user: %w", err)
		}
		if err := s.refreshAccount(ctx, acct, id); err != nil {
			return nil, err
		}
		return s.socialLogin(ctx, st, user, method)
	case !errors.Is(err, latch.ErrNotFound):
		return nil, fmt.Errorf("find social account: %w", err)
	}

	email := normalizeEmail(id.Email)
	if !validEmail(email) {
		email = ""
	}
	var owner *latch.User
	if email != "" {
		switch u, err := s.users.UserByEmail(ctx, email); {
		case err == nil:
			owner = u
		case !errors.Is(err, latch.ErrNotFound):
			return nil, fmt.Errorf("find address owner: %w", err)
		}
	}
	if owner != nil {
		ok, err := s.trustedEmail(ctx, owner, email, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			// The address is someone's; the identity may not claim it.
			return s.holdProviderSignup(ctx, st, id)
		}
		if s.cfg.Social.AutoConnect {
			a := s.newAccount(owner.ID, id)
			err := s.tx.Atomic(ctx, func(ctx context.Context) error {
				if err := s.createAccount(ctx, a); err != nil {
					return err
				}
				return s.record(ctx, st, EventProviderConnected, owner, "provider", id.Provider)
			})
			if err != nil {
				return nil, err
			}
			s.notify(ctx, st, owner, notice{kind: noticeProviderConnected, provider: s.providerName(id.Provider)})
		}
		return s.socialLogin(ctx, st, owner, method)
	}
	if s.cfg.SignupClosed {
		return nil, latch.ErrForbidden
	}
	username, ok, err := s.autoUsername(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.cfg.Social.AutoSignup || !ok || (email == "" && !(&Users{s.core}).emailOptional()) {
		return s.holdProviderSignup(ctx, st, id)
	}
	return s.socialSignup(ctx, st, id, email, username, &latch.PendingLogin{Started: s.now(), Methods: []latch.AuthMethod{method}})
}

// trustedEmail reports whether identity id may log into owner by its
// address: only with EmailAuthentication on, the provider asserting the
// address verified, and the address verified on owner's account.
func (s *Social) trustedEmail(ctx context.Context, owner *latch.User, email string, id *latch.SocialIdentity) (bool, error) {
	if !s.cfg.Social.EmailAuthentication || !id.EmailVerified {
		return false, nil
	}
	addrs, err := s.emails.EmailAddresses(ctx, owner.ID)
	if err != nil {
		return false, fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if a.Email == email {
			return a.Verified, nil
		}
	}
	return false, nil
}

// socialLogin logs user in with a provider method, through the stages.
func (s *Social) socialLogin(ctx context.Context, st *State, user *latch.User, m latch.AuthMethod) (*State, error) {
	if !user.IsActive {
		s.event(ctx, st, EventLoginFailed, user, "reason", ReasonInactive, "method", "socialaccount")
		return st, nil
	}
	return s.beginLogin(ctx, st, user, m, false)
}

// autoUsername is the username an automatic signup gives: the provider's
// when it is valid and free, else none. ok is false when the signup needs
// a username and the provider's will not do.
func (s *Social) autoUsername(ctx context.Context, id *latch.SocialIdentity) (string, bool, error) {
	f := (&Users{s.core}).SignupFields()
	if !f.Username {
		return "", true, nil
	}
	name := normalizeUsername(id.Username)
	if name != "" && usernameProblem(name) == nil {
		switch _, err := s.users.UserByUsername(ctx, name); {
		case errors.Is(err, latch.ErrNotFound):
			return name, true, nil
		case err != nil:
			return "", false, fmt.Errorf("check username: %w", err)
		}
	}
	return "", !f.UsernameRequired, nil
}

// holdProviderSignup puts the caller at provider_signup with identity id.
func (s *Social) holdProviderSignup(ctx context.Context, st *State, id *latch.SocialIdentity) (*State, error) {
	if s.cfg.SignupClosed {
		return nil, latch.ErrForbidden
	}
	keep := *id
	keep.Tokens = nil
	st, err := s.holdLogin(ctx, st, &latch.PendingLogin{Started: s.now(), Social: &keep}, StageProviderSignup)
	if err != nil {
		return nil, err
	}
	return st, s.saveSession(ctx, st)
}

// socialSignup creates the account of identity id — user, address, the
// connected identity, and the login's session when no stage follows — in
// one unit of work, and logs it in through the stages.
func (s *Social) socialSignup(ctx context.Context, st *State, id *latch.SocialIdentity, email, username string, p *latch.PendingLogin) (*State, error) {
	now := s.now()
	user := &latch.User{PublicID: newUUID(), Username: username, PasswordHash: password.Unusable(),
		IsActive: true, DateJoined: now, Updated: now, Email: email}
	verified := email != "" && email == normalizeEmail(id.Email) && id.EmailVerified
	var addrs []latch.EmailAddress
	if email != "" {
		addrs = []latch.EmailAddress{{Email: email, Primary: true, Verified: verified, Created: now}}
	}
	var out *State
	err := s.tx.Atomic(ctx, func(ctx context.Context) error {
		switch err := s.users.CreateUser(ctx, user, addrs); {
		case errors.Is(err, latch.ErrEmailTaken):
			return latch.Invalid("email", "email_taken", fmt.Sprintf(msgSocialEmailTaken, s.providerName(id.Provider)))
		case errors.Is(err, latch.ErrUsernameTaken):
			return latch.Invalid("username", "username_taken", msgUsernameTaken)
		case err != nil:
			return fmt.Errorf("create user: %w", err)
		}
		if err := s.createAccount(ctx, s.newAccount(user.ID, id)); err != nil {
			return err
		}
		if err := s.record(ctx, st, EventSignedUp, user, "method", "socialaccount"); err != nil {
			return err
		}
		if err := s.record(ctx, st, EventProviderConnected, user, "provider", id.Provider); err != nil {
			return err
		}
		p.UserID, p.Stages, p.Social, p.Email = user.ID, nil, nil, ""
		var err error
		out, err = s.advance(ctx, st, p, user, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	if email != "" && !verified && s.cfg.EmailVerification == VerificationOptional {
		out, _, err = s.sendVerification(ctx, out, user.ID, email, true)
	}
	return out, err
}

func (s *Social) providerName(id string) string {
	if p, ok := s.Provider(id); ok {
		return p.Name
	}
	return id
}

// newAccount is the connected-identity record of id for user.
func (s *Social) newAccount(userID int64, id *latch.SocialIdentity) *latch.SocialAccount {
	now := s.now()
	return &latch.SocialAccount{UserID: userID, Provider: id.Provider, UID: id.UID, Email: normalizeEmail(id.Email),
		Display: id.Display(), Created: now, LastLogin: now, Tokens: s.sealTokens(id.Tokens)}
}

// createAccount stores a connected identity; one connected meanwhile to
// someone is connected_other.
func (s *Social) createAccount(ctx context.Context, a *latch.SocialAccount) error {
	switch err := s.social.CreateSocialAccount(ctx, a); {
	case errors.Is(err, latch.ErrConflict):
		return latch.Invalid("", "connected_other", msgConnectedOther)
	case err != nil:
		return fmt.Errorf("connect identity: %w", err)
	}
	return nil
}

// refreshAccount saves what a login learnt about a connected identity.
func (s *Social) refreshAccount(ctx context.Context, a *latch.SocialAccount, id *latch.SocialIdentity) error {
	a.Email, a.Display, a.LastLogin = normalizeEmail(id.Email), id.Display(), s.now()
	if t := s.sealTokens(id.Tokens); t != nil {
		a.Tokens = t
	}
	if err := s.social.UpdateSocialAccount(ctx, a); err != nil {
		return fmt.Errorf("update social account: %w", err)
	}
	return nil
}

// PendingSignup is what the provider_signup stage shows: the identity and
// the addresses it offers.
type PendingSignup struct {
	Identity latch.SocialIdentity
	Provider latch.Provider
}

// ProviderSignup returns the caller's pending provider signup.
// Errors: latch.ErrConflict when none is pending, latch.ErrForbidden when
// signup is closed.
func (s *Social) ProviderSignup(st *State) (*PendingSignup, error) {
	p := s.pendingStage(st, StageProviderSignup)
	if p == nil || p.Social == nil {
		return nil, latch.ErrConflict
	}
	if s.cfg.SignupClosed {
		return nil, latch.ErrForbidden
	}
	prov, _ := s.Provider(p.Social.Provider)
	return &PendingSignup{Identity: *p.Social, Provider: prov}, nil
}

// CompleteProviderSignup passes provider_signup with the account details
// the user chose: the account is created (the address verified only when
// it is the one the provider verified) and the login continues with its
// stages. Errors: as ProviderSignup, then *latch.InputError (email
// required, invalid or taken; username required, invalid or taken).
func (s *Social) CompleteProviderSignup(ctx context.Context, st *State, in SignupInput) (*State, error) {
	pending, err := s.ProviderSignup(st)
	if err != nil {
		return nil, err
	}
	if err := s.budget.limit(ctx, "signup", st, ""); err != nil {
		return nil, err
	}
	id := &pending.Identity
	email, username := normalizeEmail(in.Email), normalizeUsername(in.Username)
	f := (&Users{s.core}).SignupFields()
	if !f.Username {
		username = ""
	}
	var errs latch.InputError
	switch problem := usernameProblem(username); {
	case username == "" && f.UsernameRequired:
		errs.Add("username", "required", msgRequired)
	case username == "":
	case problem != nil:
		errs.Errors = append(errs.Errors, *problem)
	default:
		switch _, err := s.users.UserByUsername(ctx, username); {
		case err == nil:
			errs.Add("username", "username_taken", msgUsernameTaken)
		case !errors.Is(err, latch.ErrNotFound):
			return nil, fmt.Errorf("check username: %w", err)
		}
	}
	switch {
	case email == "" && (&Users{s.core}).emailOptional():
	case email == "":
		errs.Add("email", "required", msgRequired)
	case !validEmail(email):
		errs.Add("email", "invalid", msgInvalidEmail)
	default:
		switch _, err := s.users.UserByEmail(ctx, email); {
		case err == nil:
			errs.Add("email", "email_taken", fmt.Sprintf(msgSocialEmailTaken, pending.Provider.Name))
		case !errors.Is(err, latch.ErrNotFound):
			return nil, fmt.Errorf("check email: %w", err)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	p := s.pending(st)
	p.Methods = []latch.AuthMethod{{Method: "socialaccount", At: unixFloat(s.now()), Provider: id.Provider, UID: id.UID}}
	return s.socialSignup(ctx, st, id, email, username, p)
}

// Connect connects identity id to the logged-in caller: refused with
// connected_other when it belongs to another account. Connecting it again
// to its own account refreshes it. The caller's state is unchanged.
// Errors: latch.ErrUnauthenticated, latch.ErrReauthenticationRequired,
// *latch.InputError (connected_other).
func (s *Social) Connect(ctx context.Context, st *State, id *latch.SocialIdentity) (*State, error) {
	if err := s.recentEnough(st); err != nil {
		return nil, err
	}
	return s.connect(ctx, st, id)
}

func (s *Social) connect(ctx context.Context, st *State, id *latch.SocialIdentity) (*State, error) {
	switch acct, err := s.social.SocialAccount(ctx, id.Provider, id.UID); {
	case err == nil && acct.UserID != st.User.ID:
		return nil, latch.Invalid("", "connected_other", msgConnectedOther)
	case err == nil:
		return st, s.refreshAccount(ctx, acct, id)
	case !errors.Is(err, latch.ErrNotFound):
		return nil, fmt.Errorf("find social account: %w", err)
	}
	a := s.newAccount(st.User.ID, id)
	err := s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.createAccount(ctx, a); err != nil {
			return err
		}
		return s.record(ctx, st, EventProviderConnected, nil, "provider", id.Provider)
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, st, nil, notice{kind: noticeProviderConnected, provider: s.providerName(id.Provider)})
	return st, nil
}

// Accounts lists the identities connected to the logged-in caller.
func (s *Social) Accounts(ctx context.Context, st *State) ([]latch.SocialAccount, error) {
	if !st.Authenticated() {
		return nil, latch.ErrUnauthenticated
	}
	list, err := s.social.SocialAccounts(ctx, st.User.ID)
	if err != nil {
		return nil, fmt.Errorf("list social accounts: %w", err)
	}
	return list, nil
}

// Disconnect removes one of the caller's identities and returns those
// left. It is refused when it would leave the account no way to log in:
// the last identity of an account without a usable password (no_password),
// or, under mandatory verification, without a verified address
// (no_verified_email). Errors: latch.ErrReauthenticationRequired (see
// recentEnough), *latch.InputError (account_not_found, the refusals above).
func (s *Social) Disconnect(ctx context.Context, st *State, provider, uid string) ([]latch.SocialAccount, error) {
	if err := s.recentEnough(st); err != nil {
		return nil, err
	}
	list, err := s.Accounts(ctx, st)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(a latch.SocialAccount) bool { return a.Provider == provider && a.UID == uid })
	if i < 0 {
		return nil, latch.Invalid("", "account_not_found", msgAccountNotFound)
	}
	if len(list) == 1 {
		if !password.IsUsable(st.User.PasswordHash) {
			return nil, latch.Invalid("", "no_password", msgNoPassword)
		}
		if s.cfg.EmailVerification == VerificationMandatory {
			addrs, err := s.emails.EmailAddresses(ctx, st.User.ID)
			if err != nil {
				return nil, fmt.Errorf("list addresses: %w", err)
			}
			if !slices.ContainsFunc(addrs, func(a latch.EmailAddress) bool { return a.Verified }) {
				return nil, latch.Invalid("", "no_verified_email", msgNoVerifiedEmail)
			}
		}
	}
	err = s.tx.Atomic(ctx, func(ctx context.Context) error {
		if err := s.social.DeleteSocialAccount(ctx, st.User.ID, provider, uid); err != nil {
			return fmt.Errorf("disconnect identity: %w", err)
		}
		return s.record(ctx, st, EventProviderDisconnected, nil, "provider", provider)
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, st, nil, notice{kind: noticeProviderDisconnected, provider: s.providerName(provider)})
	return slices.Delete(list, i, i+1), nil
}

// socialFlows appends the provider flows open to the caller to flows:
// provider_redirect (browser), provider_token, and a pending
// provider_signup with its provider.
func (s *Social) flows(st *State, flows []Flow) []Flow {
	var redirect, token []string
	for _, p := range s.cfg.Social.Providers {
		if slices.Contains(p.Flows, FlowProviderRedirect) {
			redirect = append(redirect, p.ID)
		}
		if slices.Contains(p.Flows, FlowProviderToken) {
			token = append(token, p.ID)
		}
	}
	if st.Client.Kind == latch.Browser && len(redirect) > 0 {
		flows = append(flows, Flow{ID: FlowProviderRedirect, Providers: redirect})
	}
	if len(token) > 0 {
		flows = append(flows, Flow{ID: FlowProviderToken, Providers: token})
	}
	if p := s.pendingStage(st, StageProviderSignup); p != nil && p.Social != nil {
		prov, _ := s.Provider(p.Social.Provider)
		flows = append(flows, Flow{ID: string(StageProviderSignup), IsPending: true, Provider: &prov})
	}
	return flows
}

// randomToken returns 256 random bits, base64url (43 characters).
func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sealTokens encrypts a login's provider tokens for storage (AES-256-GCM
// under a key derived from TokenKey: a random nonce, then the ciphertext),
// or returns nil when tokens are not stored.
func (s *Social) sealTokens(t *latch.ProviderTokens) []byte {
	if t == nil || !s.cfg.Social.StoreTokens || len(s.cfg.Social.TokenKey) == 0 {
		return nil
	}
	plain, err := json.Marshal(t)
	if err != nil {
		return nil
	}
	aead := s.tokenAEAD()
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, []byte("latch provider tokens"))
}

// OpenTokens decrypts the provider tokens stored with a connected identity.
func (s *Social) OpenTokens(a *latch.SocialAccount) (*latch.ProviderTokens, error) {
	if len(a.Tokens) == 0 || len(s.cfg.Social.TokenKey) == 0 {
		return nil, latch.ErrNotFound
	}
	aead := s.tokenAEAD()
	if len(a.Tokens) < aead.NonceSize() {
		return nil, errors.New("sealed tokens too short")
	}
	plain, err := aead.Open(nil, a.Tokens[:aead.NonceSize()], a.Tokens[aead.NonceSize():], []byte("latch provider tokens"))
	if err != nil {
		return nil, fmt.Errorf("open provider tokens: %w", err)
	}
	var t latch.ProviderTokens
	if err := json.Unmarshal(plain, &t); err != nil {
		return nil, fmt.Errorf("decode provider tokens: %w", err)
	}
	return &t, nil
}

func (s *Social) tokenAEAD() cipher.AEAD {
	key := sha256.Sum256(append([]byte("latch provider tokens\x00"), s.cfg.Social.TokenKey...))
	block, _ := aes.NewCipher(key[:]) // a 32-byte key never fails
	aead, _ := cipher.NewGCM(block)
	return aead
}
