package account_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sqlstore"
)

// failingSocial is the social family with CreateSocialAccount failing, to
// see what a social signup leaves behind when its last write fails.
type failingSocial struct{ *sqlstore.Social }

func (failingSocial) CreateSocialAccount(context.Context, *latch.SocialAccount) error {
	return errors.New("disk full")
}

// socialCore is a core with one provider "corp" over db, its social store
// being social (nil: db's).
func socialCore(t *testing.T, db *sqlstore.DB, social account.SocialStore, now *time.Time, key string) (*account.Service, *recEvents) {
	t.Helper()
	if social == nil {
		social = db.Social
	}
	cfg := account.DefaultConfig()
	cfg.RateLimits = nil
	cfg.Social.Providers = []latch.Provider{{ID: "corp", Kind: "oidc", Name: "Corp", ClientID: "c",
		Flows: []string{account.FlowProviderRedirect, account.FlowProviderToken}}}
	cfg.Social.StoreTokens, cfg.Social.TokenKey = true, []byte(key)
	events := &recEvents{}
	svc, err := account.New(account.Deps{Config: cfg, Users: db.Users, Emails: db.Emails, Tokens: db.Tokens,
		Sessions: db.Sessions, Refresh: db.Refresh, Lister: db.Users, Profiles: db.Users, Authenticators: db.Authenticators, Tx: db, Mail: &recMailer{},
		Hasher: password.NewHasher(password.TestParams), Limiter: ratelimit.NewMemory(nil), Events: events,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return *now }, Social: social})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Wait)
	return svc, events
}

func browser() *account.State {
	return &account.State{Client: latch.Client{Kind: latch.Browser, IP: "192.0.2.1"}}
}

// A social signup is one unit of work: when connecting the identity fails,
// neither the user nor its address nor a session is left.
func TestSocialSignupIsOneUnit(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			now := time.Now()
			svc, _ := socialCore(t, db, failingSocial{db.Social}, &now, "k")
			id := &latch.SocialIdentity{Provider: "corp", UID: "u1", Email: "one@example.com", EmailVerified: true}
			if _, err := svc.Social.LoginWith(bg, browser(), id); err == nil {
				t.Fatal("the signup succeeded without its identity")
			}
			if _, err := db.Users.UserByEmail(bg, "one@example.com"); !errors.Is(err, latch.ErrNotFound) {
				t.Fatalf("a user was left behind: %v", err)
			}
			// The same signup with a working store goes through.
			ok, events := socialCore(t, db, nil, &now, "k")
			st, err := ok.Social.LoginWith(bg, browser(), id)
			if err != nil || !st.Authenticated() || st.User.Email != "one@example.com" {
				t.Fatalf("signup: %+v, %v", st, err)
			}
			if events.count(account.EventSignedUp) != 1 || events.count(account.EventProviderConnected) != 1 || events.count(account.EventLoggedIn) != 1 {
				t.Errorf("events %+v", events.events)
			}
		})
	}
}

// Provider tokens are sealed under the configured key: readable with it,
// not with another, never stored in the clear.
func TestSocialTokensSealed(t *testing.T) {
	db := testdb.OpenSQLite(t)
	now := time.Now()
	svc, _ := socialCore(t, db, nil, &now, "key one")
	id := &latch.SocialIdentity{Provider: "corp", UID: "u2", Email: "two@example.com",
		Tokens: &latch.ProviderTokens{AccessToken: "at-secret", RefreshToken: "rt-secret"}}
	if _, err := svc.Social.LoginWith(bg, browser(), id); err != nil {
		t.Fatal(err)
	}
	acct, err := db.Social.SocialAccount(bg, "corp", "u2")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(acct.Tokens), "secret") {
		t.Fatal("tokens stored in the clear")
	}
	got, err := svc.Social.OpenTokens(acct)
	if err != nil || got.AccessToken != "at-secret" || got.RefreshToken != "rt-secret" {
		t.Fatalf("opened %+v, %v", got, err)
	}
	other, _ := socialCore(t, db, nil, &now, "key two")
	if _, err := other.Social.OpenTokens(acct); err == nil {
		t.Error("opened with another key")
	}
}

// The redirect state: bound to the browser, single-use, expiring; a connect
// belongs to the user who started it.
func TestSocialRedirectState(t *testing.T) {
	db := testdb.OpenSQLite(t)
	now := time.Now()
	svc, _ := socialCore(t, db, nil, &now, "k")
	begin := func(st *account.State, process string) *account.Redirect {
		t.Helper()
		r, err := svc.Social.BeginRedirect(bg, st, account.RedirectInput{Provider: "corp", Process: process, CallbackURL: "/cb"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name    string
		wait    time.Duration
		browser func(r *account.Redirect) string
		ok      bool
	}{
		{"the browser that started it", 0, func(r *account.Redirect) string { return r.Browser }, true},
		{"another browser", 0, func(*account.Redirect) string { return strings.Repeat("x", 43) }, false},
		{"no binding cookie", 0, func(*account.Redirect) string { return "" }, false},
		{"after ten minutes", 11 * time.Minute, func(r *account.Redirect) string { return r.Browser }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := begin(browser(), account.ProcessLogin)
			now = now.Add(tt.wait)
			f, err := svc.Social.TakeRedirect(bg, r.State, tt.browser(r))
			if tt.ok != (err == nil) {
				t.Fatalf("take: %v, want ok=%v", err, tt.ok)
			}
			if err == nil && (f.Nonce != r.Nonce || f.Verifier != r.Verifier || f.CallbackURL != "/cb") {
				t.Errorf("flow %+v", f)
			}
			// Whatever happened, the state is gone.
			if _, err := svc.Social.TakeRedirect(bg, r.State, r.Browser); !errors.Is(err, account.ErrFlowInvalid) {
				t.Errorf("second take: %v", err)
			}
		})
	}
	if _, err := svc.Social.BeginRedirect(bg, browser(), account.RedirectInput{Provider: "corp", Process: account.ProcessConnect, CallbackURL: "/"}); !errors.Is(err, latch.ErrUnauthenticated) {
		t.Errorf("anonymous connect: %v", err)
	}
	var in *latch.InputError
	if _, err := svc.Social.BeginRedirect(bg, browser(), account.RedirectInput{Provider: "nope", Process: "x"}); !errors.As(err, &in) || len(in.Errors) != 2 {
		t.Errorf("bad provider and process: %v", err)
	}

	// A connect started by alice cannot be finished in bob's session.
	alice, err := svc.Social.LoginWith(bg, browser(), &latch.SocialIdentity{Provider: "corp", UID: "alice", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := svc.Social.LoginWith(bg, browser(), &latch.SocialIdentity{Provider: "corp", UID: "bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	r := begin(alice, account.ProcessConnect)
	f, err := svc.Social.TakeRedirect(bg, r.State, r.Browser)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Social.CompleteRedirect(bg, bob, f, &latch.SocialIdentity{Provider: "corp", UID: "x"}); !errors.Is(err, latch.ErrUnauthenticated) {
		t.Errorf("connect finished in another user's session: %v", err)
	}
	if _, err := svc.Social.CompleteRedirect(bg, alice, f, &latch.SocialIdentity{Provider: "corp", UID: "x"}); err != nil {
		t.Errorf("connect in the starter's session: %v", err)
	}
}
