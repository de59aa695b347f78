package account_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sqlstore"
)

// This file is the harness of the core-level tests: the account core built
// with account.New over a real SQLite file, a recording mailer, a recording
// event sink and a clock the test moves.

var bg = context.Background()

// mailed is one mail the core queued.
type mailed struct {
	Kind, To string
	Data     map[string]any
}

// recMailer records what the core mails.
type recMailer struct {
	mu   sync.Mutex
	sent []mailed
	fail error // when set, Send queues nothing and returns it
}

func (m *recMailer) Send(_ context.Context, kind, to string, data map[string]any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, mailed{kind, to, data})
	return nil
}

// take returns and forgets what was mailed so far.
func (m *recMailer) take() []mailed {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.sent
	m.sent = nil
	return out
}

// recEvents records the security events the core reports.
type recEvents struct {
	mu     sync.Mutex
	events []*latch.Event
}

func (r *recEvents) Record(_ context.Context, e *latch.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recEvents) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == name {
			n++
		}
	}
	return n
}

// harness is one core over one fresh database.
type harness struct {
	t      *testing.T
	db     *sqlstore.DB
	svc    *account.Service
	mail   *recMailer
	events *recEvents
	keys   *keyring.Keyring // nil unless the JWT strategy is on
	now    time.Time
}

const testPassword = "correct horse battery staple"

// newHarness builds the core. The default configuration is DefaultConfig
// without rate limits (tests of the budgets set them back); adjust changes it.
func newHarness(t *testing.T, adjust func(*account.Config)) *harness {
	t.Helper()
	h := &harness{t: t, db: testdb.OpenSQLite(t), mail: &recMailer{}, events: &recEvents{},
		now: time.Unix(1_800_000_000, 0).UTC()}
	cfg := account.DefaultConfig()
	cfg.RateLimits = nil
	cfg.Links = account.Links{VerifyEmail: "https://id.example.com/verify/{key}",
		ResetPassword: "https://id.example.com/reset/{key}", Signup: "https://id.example.com/signup",
		RequestReset: "https://id.example.com/reset"}
	cfg.Tokens.Secret = []byte("core test secret")
	cfg.MFA.Secret = []byte("core test mfa secret")
	cfg.Tokens.Issuer, cfg.Tokens.Audience = "https://id.example.com", "https://id.example.com"
	if adjust != nil {
		adjust(&cfg)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := account.Deps{Config: cfg, Users: h.db.Users, Emails: h.db.Emails, Tokens: h.db.Tokens,
		Sessions: h.db.Sessions, Refresh: h.db.Refresh, Lister: h.db.Users, Profiles: h.db.Users, Authenticators: h.db.Authenticators, Tx: h.db, Mail: h.mail,
		Hasher: password.NewHasher(password.TestParams), Limiter: ratelimit.NewMemory(h.clock),
		Events: h.events, Log: quiet, Now: h.clock}
	if cfg.Tokens.Strategy == "jwt" {
		kr, err := keyring.Open(bg, h.db.Keys, strings.Repeat("s", 32), jwt.EdDSA, cfg.Tokens.AccessTTL, h.clock)
		if err != nil {
			t.Fatal(err)
		}
		kr.SetPublishDelay(0)
		if err := kr.Reload(bg); err != nil {
			t.Fatal(err)
		}
		h.keys, d.Signer = kr, kr
	}
	svc, err := account.New(d)
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	t.Cleanup(svc.Wait) // registered after the database's Close: runs before it
	return h
}

func (h *harness) clock() time.Time { return h.now }

// advance moves the clock.
func (h *harness) advance(d time.Duration) { h.now = h.now.Add(d) }

// addUser stores an active user with testPassword and one primary address.
func (h *harness) addUser(email, username string, verified bool) *latch.User {
	h.t.Helper()
	hash, err := password.NewHasher(password.TestParams).Hash(testPassword)
	if err != nil {
		h.t.Fatal(err)
	}
	u := &latch.User{PublicID: "pub-" + email, Username: username, PasswordHash: hash, IsActive: true,
		DateJoined: h.now, Updated: h.now, Email: email}
	if err := h.db.Users.CreateUser(bg, u, []latch.EmailAddress{{Email: email, Primary: true, Verified: verified, Created: h.now}}); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// verified reports whether a user's address is stored verified.
func (h *harness) verified(userID int64, email string) bool {
	h.t.Helper()
	addrs, err := h.db.Emails.EmailAddresses(bg, userID)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range addrs {
		if a.Email == email {
			return a.Verified
		}
	}
	return false
}

// sessionsOf counts a user's authenticated sessions in the store.
func (h *harness) sessionsOf(userID int64) int {
	h.t.Helper()
	list, err := h.db.Sessions.UserSessions(bg, userID, h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(list)
}

// lastMail returns the one mail sent since the last call, checking its kind
// and recipient.
func (h *harness) lastMail(kind, to string) mailed {
	h.t.Helper()
	sent := h.mail.take()
	if len(sent) != 1 || sent[0].Kind != kind || sent[0].To != to {
		h.t.Fatalf("mailed %v, want one %s to %s", kinds(sent), kind, to)
	}
	return sent[0]
}

func kinds(sent []mailed) []string {
	var out []string
	for _, m := range sent {
		out = append(out, m.Kind+" to "+m.To)
	}
	return out
}

// str returns a string of a mail's data.
func (m mailed) str(key string) string {
	s, _ := m.Data[key].(string)
	return s
}

// client is a browser or app that keeps the session key it is handed and
// presents it on every call, as the HTTP layer does.
type client struct {
	h   *harness
	c   latch.Client
	key string
}

func (h *harness) browser() *client {
	return &client{h: h, c: latch.Client{Kind: latch.Browser, IP: "192.0.2.10", UserAgent: "test/1"}}
}

func (h *harness) app() *client {
	return &client{h: h, c: latch.Client{Kind: latch.App, IP: "192.0.2.20", UserAgent: "app/1"}}
}

// state resolves the client's session, as a request does.
func (c *client) state() *account.State {
	c.h.t.Helper()
	st, err := c.h.svc.Sessions.Resolve(bg, c.c, c.key)
	if err != nil {
		c.h.t.Fatalf("resolve: %v", err)
	}
	return st
}

// keep takes what a call returned: a new session key, or its end.
func (c *client) keep(st *account.State, err error) (*account.State, error) {
	if err != nil {
		return nil, err
	}
	if st.NewKey != "" {
		c.key = st.NewKey
	}
	if st.Ended && st.NewKey == "" {
		c.key = ""
	}
	return st, nil
}

// pendingStage returns the stage Flows shows pending for the client, or "".
func (c *client) pendingStage() string {
	c.h.t.Helper()
	st := c.state()
	if st.Authenticated() {
		return ""
	}
	for _, f := range c.h.svc.Sessions.Flows(st) {
		if f.IsPending && f.ID != "password_reset_by_code" {
			return f.ID
		}
	}
	return ""
}

func (c *client) login(email, username, pw string) (*account.State, error) {
	in := account.LoginInput{Password: pw}
	if email != "" {
		in.Email = &email
	}
	if username != "" {
		in.Username = &username
	}
	return c.keep(c.h.svc.Sessions.Login(bg, c.state(), in))
}

func (c *client) signup(email, username string) (*account.State, error) {
	return c.keep(c.h.svc.Users.Signup(bg, c.state(), account.SignupInput{Email: email, Username: username, Password: testPassword}))
}

func (c *client) verifyEmail(key string) (*account.State, error) {
	return c.keep(c.h.svc.Emails.VerifyEmail(bg, c.state(), key))
}

func (c *client) requestLoginCode(email string) (*account.State, error) {
	return c.keep(c.h.svc.Sessions.RequestLoginCode(bg, c.state(), email))
}

func (c *client) confirmLoginCode(code string) (*account.State, error) {
	return c.keep(c.h.svc.Sessions.ConfirmLoginCode(bg, c.state(), code))
}

// inputCode returns the code of the first problem of an *latch.InputError,
// or "" when err is not one.
func inputCode(err error) string {
	var in *latch.InputError
	if errors.As(err, &in) && len(in.Errors) > 0 {
		return in.Errors[0].Code
	}
	return ""
}

// wantInput fails unless err is an *latch.InputError whose first problem has code.
func wantInput(t *testing.T, err error, code string) {
	t.Helper()
	if got := inputCode(err); got != code {
		t.Fatalf("error %v, want input error %s", err, code)
	}
}

// wantConflict fails unless err is latch.ErrConflict.
func wantConflict(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, latch.ErrConflict) {
		t.Fatalf("error %v, want latch.ErrConflict", err)
	}
}

// wrongCode returns a well-formed code that differs from code.
func wrongCode(code string) string {
	if strings.HasPrefix(code, "BBBB") {
		return "CCCC-CCCC"
	}
	return "BBBB-BBBB"
}
