package sessioncache_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/postgres"
	"github.com/latchauth/latch/sessioncache"
	"github.com/latchauth/latch/sqlstore"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// hashKey hashes a session key as the account core does (account.HashKey).
func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// counting counts the session reads that reach the database.
type counting struct {
	sessioncache.SessionStore
	reads atomic.Int64
	// during, when set, runs in the middle of a read: after the row was
	// read, before it is returned.
	during func()
}

func (c *counting) SessionByKey(ctx context.Context, key []byte) (*latch.Session, *latch.User, error) {
	c.reads.Add(1)
	s, u, err := c.SessionStore.SessionByKey(ctx, key)
	if c.during != nil {
		c.during()
	}
	return s, u, err
}

func (c *counting) SessionByID(ctx context.Context, id int64) (*latch.Session, *latch.User, error) {
	c.reads.Add(1)
	return c.SessionStore.SessionByID(ctx, id)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a user with an authenticated session in a fresh database.
type fixture struct {
	db    *sqlstore.DB
	user  *latch.User
	sess  *latch.Session
	key   []byte
	clock *clock
}

func newFixture(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	f.user = &latch.User{PublicID: uuid.NewString(), Username: "ann", PasswordHash: "!", IsActive: true,
		DateJoined: f.clock.now(), Updated: f.clock.now()}
	err := db.Users.CreateUser(t.Context(), f.user, []latch.EmailAddress{{Email: "ann@example.com", Primary: true, Verified: true}})
	if err != nil {
		t.Fatal(err)
	}
	f.sess = f.newSession(t, "key-1")
	f.key = hashKey("key-1")
	return f
}

func (f *fixture) newSession(t *testing.T, key string) *latch.Session {
	t.Helper()
	now := f.clock.now()
	s := &latch.Session{KeyHash: hashKey(key), UserID: f.user.ID, Client: latch.App, Created: now, LastSeen: now,
		Expires: now.Add(time.Hour), MaxExpires: now.Add(24 * time.Hour), IP: "192.0.2.1", UserAgent: "test",
		State: latch.SessionState{Methods: []latch.AuthMethod{{Method: "password", At: float64(now.Unix())}}}}
	if err := f.db.Sessions.CreateSession(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) cache(store sessioncache.SessionStore, peers sessioncache.Peers) *sessioncache.Store {
	return sessioncache.New(store, sessioncache.Config{Size: 100, TTL: 30 * time.Second}, peers, quiet, f.clock.now)
}

func eachEngine(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, newFixture(t, e.Open(t))) })
	}
}

// lookup checks the session by key and reports how many database reads it took.
func lookup(t *testing.T, c *sessioncache.Store, n *counting, key []byte) (*latch.Session, *latch.User, int64, error) {
	t.Helper()
	before := n.reads.Load()
	s, u, err := c.SessionByKey(t.Context(), key)
	return s, u, n.reads.Load() - before, err
}

func TestRepeatedChecksCostNoQuery(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		n := &counting{SessionStore: f.db.Sessions}
		c := f.cache(n, nil)
		s, u, reads, err := lookup(t, c, n, f.key)
		if err != nil || reads != 1 || u == nil || u.Email != "ann@example.com" || s.ID != f.sess.ID {
			t.Fatalf("first check: %v, %d reads, %+v", err, reads, u)
		}
		for range 3 {
			s2, u2, reads, err := lookup(t, c, n, f.key)
			if err != nil || reads != 0 || !reflect.DeepEqual(s, s2) || !reflect.DeepEqual(u, u2) {
				t.Fatalf("cached check: %v, %d reads, %+v vs %+v", err, reads, s2, s)
			}
		}
		// By id (access tokens) too, from the same entry.
		before := n.reads.Load()
		if _, _, err := c.SessionByID(t.Context(), f.sess.ID); err != nil || n.reads.Load() != before {
			t.Fatalf("by id: %v, %d reads", err, n.reads.Load()-before)
		}
		// Callers get copies: changing one does not change the cache.
		s.State.Methods[0].Method = "changed"
		u.Email = "changed"
		s3, u3, _, _ := lookup(t, c, n, f.key)
		if s3.State.Methods[0].Method != "password" || u3.Email != "ann@example.com" {
			t.Fatal("a caller's change reached the cache")
		}
		// So is a copy served from memory, appended to as well.
		n3 := len(s3.State.Methods)
		s3.State.Methods[0].Method = "changed"
		s3.State.Methods = append(s3.State.Methods, latch.AuthMethod{Method: "totp"})
		u3.Email = "changed"
		s4, u4, _, _ := lookup(t, c, n, f.key)
		if len(s4.State.Methods) != n3 || s4.State.Methods[0].Method != "password" || u4.Email != "ann@example.com" {
			t.Fatalf("a change to a cached copy reached the cache: %+v, %q", s4.State.Methods, u4.Email)
		}
		if c.Len() != 1 {
			t.Fatalf("Len %d", c.Len())
		}
	})
}

func TestWritesThroughLatchDropTheSession(t *testing.T) {
	tests := []struct {
		name  string
		write func(ctx context.Context, c *sessioncache.Store, f *fixture) error
		// check tells whether the fresh read shows the write.
		check func(s *latch.Session, u *latch.User, err error) bool
	}{
		{"logout", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			return c.DeleteSession(ctx, f.sess.ID)
		}, func(_ *latch.Session, _ *latch.User, err error) bool { return errors.Is(err, latch.ErrNotFound) }},
		{"a new login replacing the session", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			now := f.clock.now()
			s := &latch.Session{KeyHash: hashKey("key-new"), UserID: f.user.ID, Client: latch.App, Created: now, LastSeen: now,
				Expires: now.Add(time.Hour), MaxExpires: now.Add(time.Hour)}
			return c.StartSession(ctx, s, f.sess.ID, nil)
		}, func(_ *latch.Session, _ *latch.User, err error) bool { return errors.Is(err, latch.ErrNotFound) }},
		{"end all sessions", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			return c.DeleteUserSessions(ctx, f.user.ID, 0)
		}, func(_ *latch.Session, _ *latch.User, err error) bool { return errors.Is(err, latch.ErrNotFound) }},
		{"update session", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			s := *f.sess
			s.State.Methods = append(s.State.Methods, latch.AuthMethod{Method: "code"})
			return c.UpdateSession(ctx, &s)
		}, func(s *latch.Session, _ *latch.User, err error) bool { return err == nil && len(s.State.Methods) == 2 }},
		{"password change", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			return c.Users(f.db.Users).SetPassword(ctx, f.user.ID, "new-hash", f.clock.now())
		}, func(_ *latch.Session, u *latch.User, err error) bool {
			return err == nil && u.PasswordHash == "new-hash"
		}},
		{"last login", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			return c.Users(f.db.Users).SetLastLogin(ctx, f.user.ID, f.clock.now().Add(time.Minute))
		}, func(_ *latch.Session, u *latch.User, err error) bool { return err == nil }},
		{"new primary address", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			if err := c.Emails(f.db.Emails).AddEmail(ctx, &latch.EmailAddress{UserID: f.user.ID, Email: "ann@new.example", Verified: true}); err != nil {
				return err
			}
			return c.Emails(f.db.Emails).SetPrimaryEmail(ctx, f.user.ID, "ann@new.example", f.clock.now())
		}, func(_ *latch.Session, u *latch.User, err error) bool {
			return err == nil && u.Email == "ann@new.example"
		}},
		{"primary address removed", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			return c.Emails(f.db.Emails).DeleteEmail(ctx, f.user.ID, "ann@example.com")
		}, func(_ *latch.Session, u *latch.User, err error) bool { return err == nil && u.Email == "" }},
		{"address verified", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			return c.Emails(f.db.Emails).SetEmailVerified(ctx, f.user.ID, "ann@example.com")
		}, func(_ *latch.Session, u *latch.User, err error) bool { return err == nil }},
		{"deactivated", func(ctx context.Context, c *sessioncache.Store, f *fixture) error {
			return c.Users(f.db.Users).SetActive(ctx, f.user.ID, false, f.clock.now())
		}, func(_ *latch.Session, u *latch.User, err error) bool { return err == nil && !u.IsActive }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, f *fixture) {
				n := &counting{SessionStore: f.db.Sessions}
				c := f.cache(n, nil)
				lookup(t, c, n, f.key)
				if err := tt.write(t.Context(), c, f); err != nil {
					t.Fatal(err)
				}
				s, u, reads, err := lookup(t, c, n, f.key)
				if reads != 1 {
					t.Errorf("%d reads after the write, want 1", reads)
				}
				if !tt.check(s, u, err) {
					t.Errorf("stale after the write: %+v %+v %v", s, u, err)
				}
			})
		})
	}
}

// The families the cache wraps, as package sqlstore implements them.
var (
	_ sessioncache.SessionStore = (*sqlstore.Sessions)(nil)
	_ sessioncache.UserStore    = (*sqlstore.Users)(nil)
	_ sessioncache.EmailStore   = (*sqlstore.Emails)(nil)
)

// TestEveryStoreMethodIsClassified fails when a family of the store gains a
// method that this package neither overrides nor knows to leave alone: a new
// write must be looked at before the cache can be trusted with it.
func TestEveryStoreMethodIsClassified(t *testing.T) {
	unaffected := map[string]bool{ // reads, and writes no cached session depends on
		"Users.CreateUser": true, "Users.UserByEmail": true, "Users.UserByUsername": true, "Users.UserByID": true,
		"Users.Users": true, "Users.UserByPublicID": true,
		"Emails.EmailAddresses": true,
		"Tokens.CreateToken":    true, "Tokens.TokenByHash": true, "Tokens.TakeToken": true, "Tokens.DeleteUserTokens": true,
		"Sessions.CreateSession": true, "Sessions.UserSessions": true, "Sessions.InUnitOfWork": true,
		// Only expired sessions go, and an expired copy is never served.
		"Sessions.DeleteExpiredSessions": true, "Sessions.FlushTouches": true,
		"Refresh.AddRefreshToken": true, "Refresh.UseRefreshToken": true, "Refresh.RefreshTokenByHash": true, "Refresh.RotateRefreshToken": true,
		"Keys.SigningKeys": true, "Keys.AddSigningKey": true, "Keys.DeleteRetiredKeys": true,
		// Mail and webhooks waiting for delivery.
		"Outbox.AddOutbox": true, "Outbox.ClaimOutbox": true, "Outbox.DeleteOutbox": true, "Outbox.FailOutbox": true,
		"Outbox.OutboxCounts": true, "Outbox.RetryOutbox": true, "Outbox.OutboxEntries": true,
		// The admin family and profile changes write users through
		// server.adminUsers, which
		// drops the user's cached sessions itself; the audit log and API keys
		// are in no session. latch import-django runs as its own process
		// (no cache there); a running node's copies of an updated user end
		// with the cache's TTL.
		"Users.DeleteUser": true, "Users.SetRoles": true, "Users.SetProfile": true, "Users.UserProfile": true, "Users.ListUsers": true, "Users.ImportUsers": true,
		"Audit.AddAuditEvent": true, "Audit.AuditEvents": true, "Audit.PruneAudit": true,
		"APIKeys.APIKeyByHash": true, "APIKeys.APIKeys": true, "APIKeys.CreateAPIKey": true, "APIKeys.DeleteAPIKey": true,
		// Second factors: read at login and at MFA changes, not in a cached session.
		"Authenticators.AddAuthenticator": true, "Authenticators.Authenticators": true,
		"Authenticators.DeleteAuthenticator": true, "Authenticators.UpdateAuthenticator": true,
		"Authenticators.DeleteUserAuthenticators": true,
		// Connected provider accounts and login flows: not in a cached session.
		"Social.CreateSocialAccount": true, "Social.CreateSocialFlow": true, "Social.DeleteSocialAccount": true,
		"Social.SocialAccount": true, "Social.SocialAccounts": true, "Social.TakeSocialFlow": true, "Social.UpdateSocialAccount": true,
	}
	wrapper := map[string]string{"Sessions": "Store", "Users": "Users", "Emails": "Emails"}
	db := reflect.TypeFor[sqlstore.DB]()
	var missing []string
	for i := range db.NumField() {
		f := db.Field(i)
		if !f.IsExported() {
			continue
		}
		own := map[string]bool{}
		if w, ok := wrapper[f.Name]; ok {
			own = declaredMethods(t, "sessioncache.go", w)
		}
		for j := range f.Type.NumMethod() {
			name := f.Type.Method(j).Name
			if own[name] == unaffected[f.Name+"."+name] {
				missing = append(missing, f.Name+"."+name)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("store methods neither overridden nor listed as unaffected (or both): %v", missing)
	}
}

func TestFillRacingAWriteIsNotKept(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		n := &counting{SessionStore: f.db.Sessions}
		c := f.cache(n, nil)
		// The password changes after the read, before the fill.
		n.during = func() {
			n.during = nil
			if err := c.Users(f.db.Users).SetPassword(t.Context(), f.user.ID, "new-hash", f.clock.now()); err != nil {
				t.Error(err)
			}
		}
		if _, u, _, err := lookup(t, c, n, f.key); err != nil || u.PasswordHash != "!" {
			t.Fatalf("%v %+v", err, u)
		}
		_, u, reads, err := lookup(t, c, n, f.key)
		if err != nil || reads != 1 || u.PasswordHash != "new-hash" {
			t.Fatalf("the raced fill was kept: %v, %d reads, hash %q", err, reads, u.PasswordHash)
		}
	})
}

func TestAgeAndExpiry(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		n := &counting{SessionStore: f.db.Sessions}
		c := f.cache(n, nil)
		lookup(t, c, n, f.key)
		f.clock.advance(29 * time.Second)
		if _, _, reads, _ := lookup(t, c, n, f.key); reads != 0 {
			t.Fatal("read before the TTL")
		}
		f.clock.advance(2 * time.Second)
		if _, _, reads, _ := lookup(t, c, n, f.key); reads != 1 {
			t.Fatal("not read again after the TTL")
		}
		// Another node extends the session; here the copy looks expired
		// before its TTL (a long one here) and is read again, not trusted.
		long := sessioncache.New(n, sessioncache.Config{Size: 10, TTL: 24 * time.Hour}, nil, quiet, f.clock.now)
		lookup(t, long, n, f.key)
		if err := f.db.Sessions.TouchSession(t.Context(), f.sess.ID, f.clock.now(), f.clock.now().Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(time.Hour)
		s, _, reads, err := lookup(t, long, n, f.key)
		if err != nil || reads != 1 || !f.clock.now().Before(s.Expires) {
			t.Fatalf("a copy that looked expired: %v, %d reads", err, reads)
		}
		c = long
		// A touch here updates the copy without a read.
		if err := c.TouchSession(t.Context(), f.sess.ID, f.clock.now(), f.clock.now().Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		s, _, reads, _ = lookup(t, c, n, f.key)
		if reads != 0 || !s.Expires.Equal(f.clock.now().Add(3*time.Hour)) {
			t.Fatalf("after touch: %d reads, expires %v", reads, s.Expires)
		}
	})
}

func TestSizeIsBounded(t *testing.T) {
	f := newFixture(t, testdb.OpenSQLite(t))
	c := sessioncache.New(f.db.Sessions, sessioncache.Config{Size: 3, TTL: time.Minute}, nil, quiet, f.clock.now)
	for i := range 10 {
		key := fmt.Sprintf("key-b%d", i)
		f.newSession(t, key)
		if _, _, err := c.SessionByKey(t.Context(), hashKey(key)); err != nil {
			t.Fatal(err)
		}
		if c.Len() > 3 {
			t.Fatalf("%d entries", c.Len())
		}
	}
	if c.Len() != 3 {
		t.Fatalf("%d entries, want 3", c.Len())
	}
}

func TestFlowsInProgressAreNotCached(t *testing.T) {
	f := newFixture(t, testdb.OpenSQLite(t))
	s := *f.sess
	s.State.Pending = &latch.PendingLogin{}
	if err := f.db.Sessions.UpdateSession(t.Context(), &s); err != nil {
		t.Fatal(err)
	}
	n := &counting{SessionStore: f.db.Sessions}
	c := f.cache(n, nil)
	lookup(t, c, n, f.key)
	if _, _, reads, _ := lookup(t, c, n, f.key); reads != 1 || c.Len() != 0 {
		t.Fatalf("a session with a pending login was cached")
	}
}

// bus delivers every node's messages to the other nodes at once.
type bus struct{ nodes []*sessioncache.Store }

type node struct {
	b    *bus
	self int
}

func (n node) Publish(_ context.Context, msg string) error {
	for i, s := range n.b.nodes {
		if i != n.self {
			s.Receive(msg)
		}
	}
	return nil
}

func TestOtherNodesDropWhatOneChanges(t *testing.T) {
	f := newFixture(t, testdb.OpenSQLite(t))
	b := &bus{}
	var counts []*counting
	for i := range 2 {
		n := &counting{SessionStore: f.db.Sessions}
		counts = append(counts, n)
		b.nodes = append(b.nodes, f.cache(n, node{b, i}))
	}
	a, other := b.nodes[0], b.nodes[1]
	// With peers, nothing is served from memory until the node listens.
	lookup(t, other, counts[1], f.key)
	if _, _, reads, _ := lookup(t, other, counts[1], f.key); reads != 1 {
		t.Fatal("served from memory before Resume")
	}
	a.Resume()
	other.Resume()
	lookup(t, other, counts[1], f.key)
	if _, _, reads, _ := lookup(t, other, counts[1], f.key); reads != 0 {
		t.Fatal("not cached after Resume")
	}
	if err := a.DeleteSession(t.Context(), f.sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := lookup(t, other, counts[1], f.key); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("the other node still has the session: %v", err)
	}
	// Suspend empties the cache and stops serving from memory.
	f.newSession(t, "key-2")
	k2 := hashKey("key-2")
	lookup(t, other, counts[1], k2)
	other.Suspend()
	if _, _, reads, _ := lookup(t, other, counts[1], k2); reads != 1 || other.Len() != 0 {
		t.Fatal("served from memory while suspended")
	}
	// An unreadable message empties the cache.
	other.Resume()
	lookup(t, other, counts[1], k2)
	other.Receive("x")
	if other.Len() != 0 {
		t.Fatal("kept entries after an unreadable message")
	}
}

// TestPostgresNodes runs two nodes on one PostgreSQL database, connected by
// LISTEN/NOTIFY: a logout on one ends the session on the other, and a node
// whose listening connection is cut stops serving from memory.
func TestPostgresNodes(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var nodes []*sessioncache.Store
	var counts []*counting
	var f *fixture
	for i := range 2 {
		db, err := postgres.Open(ctx, url, i == 0, quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			f = newFixture(t, db)
		}
		peers, err := postgres.NewPeers(url, quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { peers.Close() })
		n := &counting{SessionStore: db.Sessions}
		c := f.cache(n, peers)
		go peers.Listen(ctx, c)
		nodes, counts = append(nodes, c), append(counts, n)
	}
	a, b := nodes[0], nodes[1]
	// cached waits until b serves the session from memory (its listener is up).
	cached := func(key []byte) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			lookup(t, b, counts[1], key)
			if _, _, reads, _ := lookup(t, b, counts[1], key); reads == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("node b never served from memory")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cached(f.key)
	if err := a.DeleteSession(ctx, f.sess.ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, err := b.SessionByKey(ctx, f.key)
		if errors.Is(err, latch.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node b still has the session a ended: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Cut every listening connection: b must stop serving from memory, and
	// start again once it has reconnected.
	f.newSession(t, "key-2")
	k2 := hashKey("key-2")
	cached(k2)
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN latch_sessions' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		if _, _, reads, _ := lookup(t, b, counts[1], k2); reads == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("node b kept serving from memory with its listener cut")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cached(k2)
}

// declaredMethods lists the methods declared in file on *typ.
func declaredMethods(t *testing.T, file, typ string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
			continue
		}
		if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
			if id, ok := star.X.(*ast.Ident); ok && id.Name == typ {
				out[fn.Name.Name] = true
			}
		}
	}
	return out
}

// recorder is a Peers that keeps what it was told to publish.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Publish(_ context.Context, msg string) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
	return nil
}

func (r *recorder) len() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.msgs) }

// TestInvalidationWaitsForTheCommit: a write in a unit of work drops the
// cached session (here and on other nodes) only once the unit commits, and
// not at all if it rolls back; reads in the unit see its writes and fill
// nothing.
func TestInvalidationWaitsForTheCommit(t *testing.T) {
	errBoom := errors.New("boom")
	eachEngine(t, func(t *testing.T, f *fixture) {
		n := &counting{SessionStore: f.db.Sessions}
		peers := &recorder{}
		c := f.cache(n, peers)
		c.Resume()
		users := c.Users(f.db.Users)
		lookup(t, c, n, f.key)

		// Rolled back: the password change and a new login inside it.
		newKey := hashKey("key-in-unit")
		err := f.db.Atomic(t.Context(), func(ctx context.Context) error {
			if err := users.SetPassword(ctx, f.user.ID, "new-hash", f.clock.now()); err != nil {
				return err
			}
			now := f.clock.now()
			s := &latch.Session{KeyHash: newKey, UserID: f.user.ID, Client: latch.App, Created: now, LastSeen: now,
				Expires: now.Add(time.Hour), MaxExpires: now.Add(time.Hour)}
			if err := c.StartSession(ctx, s, 0, nil); err != nil {
				return err
			}
			// In the unit: read through, the unit's writes seen.
			if _, u, err := c.SessionByKey(ctx, f.key); err != nil || u.PasswordHash != "new-hash" {
				t.Errorf("read in the unit: %+v %v", u, err)
			}
			if _, _, err := c.SessionByKey(ctx, newKey); err != nil {
				t.Errorf("the unit's new session, read in it: %v", err)
			}
			// Outside it: the committed copy, from memory.
			if _, u, reads, err := lookup(t, c, n, f.key); err != nil || reads != 0 || u.PasswordHash != "!" {
				t.Errorf("read outside the unit: %d reads, %+v %v", reads, u, err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatal(err)
		}
		if _, u, reads, err := lookup(t, c, n, f.key); err != nil || reads != 0 || u.PasswordHash != "!" {
			t.Errorf("after the rollback the entry is gone or changed: %d reads, %+v %v", reads, u, err)
		}
		if _, _, _, err := lookup(t, c, n, newKey); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("the rolled-back session is served: %v", err)
		}
		if peers.len() != 0 {
			t.Errorf("a rolled-back unit told the other nodes: %v", peers.msgs)
		}

		// Committed: dropped, and told, only after the commit.
		err = f.db.Atomic(t.Context(), func(ctx context.Context) error {
			if err := users.SetPassword(ctx, f.user.ID, "new-hash", f.clock.now()); err != nil {
				return err
			}
			if _, _, reads, _ := lookup(t, c, n, f.key); reads != 0 {
				t.Error("the entry was dropped before the commit")
			}
			if peers.len() != 0 {
				t.Error("the other nodes were told before the commit")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if peers.len() != 1 {
			t.Errorf("messages after the commit: %v", peers.msgs)
		}
		if _, u, reads, err := lookup(t, c, n, f.key); err != nil || reads != 1 || u.PasswordHash != "new-hash" {
			t.Errorf("after the commit: %d reads, %+v %v", reads, u, err)
		}
	})
}

// TestLoginKeepsTheUsersOtherSessions: a new login of a user (no session
// replaced) leaves the user's cached sessions in memory and tells no other
// node anything; the one it replaces is dropped, here and there.
func TestLoginKeepsTheUsersOtherSessions(t *testing.T) {
	tests := []struct {
		name     string
		replaces bool
		reads    int64    // of the old session after the login
		msgs     []string // told the other nodes
	}{
		{"a new login", false, 0, nil},
		{"a login replacing the session", true, 1, []string{"s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, f *fixture) {
				n := &counting{SessionStore: f.db.Sessions}
				peers := &recorder{}
				c := f.cache(n, peers)
				c.Resume()
				lookup(t, c, n, f.key)
				var replaces int64
				if tt.replaces {
					replaces = f.sess.ID
				}
				now := f.clock.now()
				s := &latch.Session{KeyHash: hashKey("key-login"), UserID: f.user.ID, Client: latch.App, Created: now, LastSeen: now,
					Expires: now.Add(time.Hour), MaxExpires: now.Add(time.Hour)}
				err := f.db.Atomic(t.Context(), func(ctx context.Context) error { return c.StartSession(ctx, s, replaces, nil) })
				if err != nil {
					t.Fatal(err)
				}
				if _, _, reads, _ := lookup(t, c, n, f.key); reads != tt.reads {
					t.Errorf("%d reads of the old session after the login, want %d", reads, tt.reads)
				}
				var want []string
				for _, m := range tt.msgs {
					want = append(want, m+fmt.Sprint(f.sess.ID))
				}
				peers.mu.Lock()
				defer peers.mu.Unlock()
				if !reflect.DeepEqual(peers.msgs, want) {
					t.Errorf("told the other nodes %q, want %q", peers.msgs, want)
				}
			})
		})
	}
}
