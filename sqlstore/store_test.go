package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

// The store contract: every test runs against each engine on a fresh database.
// engineTest is one case of a table run on every engine by runOnEngines.
type engineTest struct {
	name string
	run  func(t *testing.T, db *sqlstore.DB)
}

// runOnEngines runs each test, in parallel, on a fresh database of each
// engine (testdb.Engines).
func runOnEngines(t *testing.T, tests []engineTest) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(t, e.Open(t))
				})
			}
		})
	}
}

func TestStore(t *testing.T) {
	tests := []engineTest{
		{"users", testUsers},
		{"uniqueness", testUniqueness},
		{"sessions", testSessions},
		{"a login in one transaction", testStartSession},
		{"a login in a unit of work", testStartSessionInUnit},
		{"a login of a gone user in a unit of work", testStartSessionGoneUser},
		{"users with no, one and two addresses", testCreateUserShapes},
		{"touches are written together", testTouches},
		{"concurrent writers", testConcurrentWriters},
		{"migrations are idempotent", testMigrateAgain},
		{"email addresses", testEmails},
		{"tokens", testTokens},
		{"unverified claims carry no authority", testClaims},
		{"one of concurrent session saves wins", testSessionSaveRace},
		{"one of concurrent refresh-token uses is the first", testRefreshRace},
		{"a unit of work commits its writes together", testAtomicCommit},
		{"a unit of work that fails leaves nothing", testAtomicRollback},
		{"a unit of work that panics leaves nothing", testAtomicPanic},
		{"reads in a unit of work see its writes", testAtomicReads},
		{"a nested unit of work joins the outer one", testAtomicNested},
		{"a write that fails in a unit of work leaves the unit usable", testAtomicFailedWrite},
		{"touches flushed in a unit of work survive its rollback", testAtomicTouches},
		{"concurrent units of work", testAtomicConcurrent},
	}
	runOnEngines(t, tests)
}

var ctx = context.Background()

// base is a time with microsecond precision, as both engines store.
var base = time.Date(2026, 11, 23, 10, 0, 0, 123456000, time.UTC)

func newUser(name string) (*latch.User, []latch.EmailAddress) {
	u := &latch.User{
		PublicID: fmt.Sprintf("00000000-0000-4000-8000-%012d", len(name)*1000+int(name[0])),
		Username: name, PasswordHash: "$argon2id$x", IsActive: true,
		DateJoined: base, Updated: base,
	}
	return u, []latch.EmailAddress{{Email: name + "@Example.com", Primary: true, Created: base}}
}

func testUsers(t *testing.T, db *sqlstore.DB) {
	u, emails := newUser("alice")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || emails[0].ID == 0 {
		t.Fatalf("ids not set: user %d, email %d", u.ID, emails[0].ID)
	}
	for _, lookup := range []func() (*latch.User, error){
		func() (*latch.User, error) { return db.Users.UserByID(ctx, u.ID) },
		func() (*latch.User, error) { return db.Users.UserByEmail(ctx, "ALICE@example.COM") },
		func() (*latch.User, error) { return db.Users.UserByUsername(ctx, "Alice") },
	} {
		got, err := lookup()
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.PublicID != u.PublicID || got.Username != "alice" || got.Email != "alice@example.com" ||
			!got.IsActive || got.IsStaff || !got.DateJoined.Equal(base) || !got.LastLogin.IsZero() {
			t.Errorf("read back %+v", got)
		}
	}
	if _, err := db.Users.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("unknown email: err = %v, want ErrNotFound", err)
	}
	if _, err := db.Users.UserByUsername(ctx, "nobody"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("unknown username: err = %v, want ErrNotFound", err)
	}
	later := base.Add(time.Hour)
	if err := db.Users.SetPassword(ctx, u.ID, "new-hash", later); err != nil {
		t.Fatal(err)
	}
	if err := db.Users.SetLastLogin(ctx, u.ID, later); err != nil {
		t.Fatal(err)
	}
	if err := db.Users.SetActive(ctx, u.ID, false, later); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Users.UserByID(ctx, u.ID)
	if got.PasswordHash != "new-hash" || !got.LastLogin.Equal(later) || !got.Updated.Equal(later) || got.IsActive {
		t.Errorf("after updates: %+v", got)
	}
	if err := db.Users.SetPassword(ctx, 999999, "x", later); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("update of a missing user: err = %v, want ErrNotFound", err)
	}
	list, err := db.Emails.EmailAddresses(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].Email != "alice@example.com" || !list[0].Primary || list[0].Verified {
		t.Errorf("EmailAddresses = %+v, %v", list, err)
	}
	if got, err := db.Users.UserByPublicID(ctx, u.PublicID); err != nil || got.ID != u.ID {
		t.Errorf("UserByPublicID = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "x", "00000000-0000-4000-8000-00000000000z", "not-a-uuid-but-thirty-six-chars-long"} {
		if _, err := db.Users.UserByPublicID(ctx, bad); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("UserByPublicID(%q): %v", bad, err)
		}
	}
	u2, e2 := newUser("zed")
	u2.Updated = later.Add(time.Hour)
	if err := db.Users.CreateUser(ctx, u2, e2); err != nil {
		t.Fatal(err)
	}
	if users, err := db.Users.Users(ctx, 10); err != nil || len(users) != 2 || users[0].ID != u2.ID || users[1].Email != "alice@example.com" {
		t.Errorf("Users = %+v, %v", users, err)
	}
	if users, _ := db.Users.Users(ctx, 1); len(users) != 1 {
		t.Errorf("Users(1) returned %d", len(users))
	}
}

func testUniqueness(t *testing.T, db *sqlstore.DB) {
	u, emails := newUser("bob")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	u2, _ := newUser("carol")
	err := db.Users.CreateUser(ctx, u2, []latch.EmailAddress{{Email: "BOB@example.com", Primary: true, Created: base}})
	if !errors.Is(err, latch.ErrEmailTaken) {
		t.Errorf("same address in other case: err = %v, want ErrEmailTaken", err)
	}
	u3, emails3 := newUser("dave")
	u3.Username = "BOB"
	if err := db.Users.CreateUser(ctx, u3, emails3); !errors.Is(err, latch.ErrUsernameTaken) {
		t.Errorf("same username in other case: err = %v, want ErrUsernameTaken", err)
	}
	// A failed creation leaves nothing behind: the address is still free.
	if _, err := db.Users.UserByEmail(ctx, "dave@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("rolled-back user's address: err = %v", err)
	}
	// Users without a username do not collide with each other.
	for _, name := range []string{"erin", "frank"} {
		u, emails := newUser(name)
		u.Username = ""
		if err := db.Users.CreateUser(ctx, u, emails); err != nil {
			t.Errorf("user %s without username: %v", name, err)
		}
	}
}

func testSessions(t *testing.T, db *sqlstore.DB) {
	u, emails := newUser("gina")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	mk := func(key string, userID int64, created time.Time) *latch.Session {
		s := &latch.Session{
			KeyHash: []byte(key + "-hash-0123456789abcdef0123456"), UserID: userID, Client: latch.Browser,
			Created: created, LastSeen: created, Expires: created.Add(time.Hour), MaxExpires: created.Add(24 * time.Hour),
			IP: "192.0.2.1", UserAgent: "test/1.0",
			State: latch.SessionState{Methods: []latch.AuthMethod{{Method: "password", At: 1.5, Email: "gina@example.com"}}},
		}
		if err := db.Sessions.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := mk("one", u.ID, base)
	s2 := mk("two", u.ID, base.Add(time.Minute))
	anon := mk("anon", 0, base)

	got, user, err := db.Sessions.SessionByKey(ctx, s1.KeyHash)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != s1.ID || got.UserID != u.ID || got.Client != latch.Browser || !got.Expires.Equal(s1.Expires) ||
		len(got.State.Methods) != 1 || got.State.Methods[0].Email != "gina@example.com" {
		t.Errorf("session read back: %+v", got)
	}
	if user == nil || user.ID != u.ID || user.Email != "gina@example.com" || user.PublicID != u.PublicID {
		t.Errorf("session user: %+v", user)
	}
	if _, user, err := db.Sessions.SessionByKey(ctx, anon.KeyHash); err != nil || user != nil {
		t.Errorf("anonymous session: user %+v, err %v", user, err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, []byte("missing")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("unknown key: err = %v", err)
	}

	list, err := db.Sessions.UserSessions(ctx, u.ID, base)
	if err != nil || len(list) != 2 || list[0].ID != s2.ID || list[1].ID != s1.ID || list[0].UserAgent != "test/1.0" {
		t.Fatalf("UserSessions = %+v, %v", list, err)
	}
	if list, _ := db.Sessions.UserSessions(ctx, u.ID, base.Add(2*time.Hour)); len(list) != 0 {
		t.Errorf("expired sessions listed: %+v", list)
	}

	// Key rotation and state update.
	s1.KeyHash = []byte("rotated-hash-0123456789abcdef01234")
	s1.State.Methods = append(s1.State.Methods, latch.AuthMethod{Method: "password", At: 2, Reauthenticated: true})
	if err := db.Sessions.UpdateSession(ctx, s1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, []byte("one-hash-0123456789abcdef0123456")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("old key still finds the session: %v", err)
	}
	got, _, err = db.Sessions.SessionByKey(ctx, s1.KeyHash)
	if err != nil || len(got.State.Methods) != 2 || !got.State.Methods[1].Reauthenticated {
		t.Errorf("after update: %+v, %v", got, err)
	}
	if err := db.Sessions.TouchSession(ctx, s1.ID, base.Add(30*time.Minute), base.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = db.Sessions.SessionByKey(ctx, s1.KeyHash)
	if !got.LastSeen.Equal(base.Add(30*time.Minute)) || !got.Expires.Equal(base.Add(90*time.Minute)) {
		t.Errorf("after touch: last seen %v, expires %v", got.LastSeen, got.Expires)
	}

	if err := db.Sessions.DeleteUserSessions(ctx, u.ID, s1.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, s2.KeyHash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("other session survived DeleteUserSessions: %v", err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, s1.KeyHash); err != nil {
		t.Errorf("kept session was deleted: %v", err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, anon.KeyHash); err != nil {
		t.Errorf("anonymous session was deleted: %v", err)
	}
	if err := db.Sessions.DeleteSession(ctx, s1.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Sessions.DeleteSession(ctx, s1.ID); err != nil {
		t.Errorf("deleting a gone session: %v", err)
	}
	n, err := db.Sessions.DeleteExpiredSessions(ctx, base.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 1 (the anonymous one)", n, err)
	}
}

// testConcurrentWriters hammers the store from many goroutines at once: every
// write must succeed (no "database is locked") and every one must be visible.
func testConcurrentWriters(t *testing.T, db *sqlstore.DB) {
	const workers, each = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				name := fmt.Sprintf("w%di%d", w, i)
				u := &latch.User{PublicID: fmt.Sprintf("00000000-0000-4000-8000-%06d%06d", w, i), Username: name,
					PasswordHash: "h", IsActive: true, DateJoined: base, Updated: base}
				if err := db.Users.CreateUser(ctx, u, []latch.EmailAddress{{Email: name + "@example.com", Primary: true, Created: base}}); err != nil {
					errs <- err
					continue
				}
				s := &latch.Session{KeyHash: []byte(name + "-key-hash-padding-0123456789"), UserID: u.ID, Client: latch.App,
					Created: base, LastSeen: base, Expires: base.Add(time.Hour), MaxExpires: base.Add(time.Hour)}
				if err := db.Sessions.CreateSession(ctx, s); err != nil {
					errs <- err
				}
				if _, _, err := db.Sessions.SessionByKey(ctx, s.KeyHash); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	for w := 0; w < workers; w++ {
		if _, err := db.Users.UserByUsername(ctx, fmt.Sprintf("w%di%d", w, each-1)); err != nil {
			t.Errorf("user of worker %d missing: %v", w, err)
		}
	}
}

func testMigrateAgain(t *testing.T, db *sqlstore.DB) {
	n, err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("second migration run applied %d migrations, want 0", n)
	}
}

func testEmails(t *testing.T, db *sqlstore.DB) {
	u, emails := newUser("hank")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	second := &latch.EmailAddress{UserID: u.ID, Email: "Hank.Work@example.com", Created: base}
	if err := db.Emails.AddEmail(ctx, second); err != nil || second.ID == 0 {
		t.Fatalf("AddEmail: %v (id %d)", err, second.ID)
	}
	if err := db.Emails.AddEmail(ctx, &latch.EmailAddress{UserID: u.ID, Email: "HANK@example.com", Created: base}); !errors.Is(err, latch.ErrEmailTaken) {
		t.Errorf("adding a taken address: %v", err)
	}
	if err := db.Emails.SetEmailVerified(ctx, u.ID, "hank.work@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := db.Emails.SetEmailVerified(ctx, u.ID, "nope@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("verifying an address the user lacks: %v", err)
	}
	if err := db.Emails.SetPrimaryEmail(ctx, u.ID, "hank.work@example.com", base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.Emails.SetPrimaryEmail(ctx, u.ID, "nope@example.com", base); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("make-primary of an address the user lacks: %v", err)
	}
	list, err := db.Emails.EmailAddresses(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].Email != "hank.work@example.com" || !list[0].Primary || !list[0].Verified || list[1].Primary {
		t.Fatalf("addresses = %+v, %v", list, err)
	}
	got, _ := db.Users.UserByID(ctx, u.ID)
	if got.Email != "hank.work@example.com" {
		t.Errorf("primary on the user = %q", got.Email)
	}
	tok := &latch.Token{Kind: latch.TokenVerifyEmail, Hash: []byte("hank-token-hash-0123456789abcdef"), UserID: u.ID, Email: "hank@example.com", Created: base, Expires: base.Add(time.Hour)}
	if err := db.Tokens.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := db.Emails.DeleteEmail(ctx, u.ID, "hank@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := db.Emails.DeleteEmail(ctx, u.ID, "hank@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if _, err := db.Tokens.TokenByHash(ctx, latch.TokenVerifyEmail, tok.Hash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("a token sent to a removed address survived: %v", err)
	}
	if _, err := db.Users.UserByEmail(ctx, "hank@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("removed address still finds the user: %v", err)
	}
}

func testTokens(t *testing.T, db *sqlstore.DB) {
	u, emails := newUser("ivan")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	mk := func(kind, hash string) *latch.Token {
		tok := &latch.Token{Kind: kind, Hash: []byte(hash), UserID: u.ID, Email: "ivan@example.com", Created: base, Expires: base.Add(time.Hour)}
		if err := db.Tokens.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	reset := mk(latch.TokenPasswordReset, "reset-hash-0123456789abcdef01234")
	verify := mk(latch.TokenVerifyEmail, "verify-hash-0123456789abcdef0123")
	got, err := db.Tokens.TokenByHash(ctx, latch.TokenPasswordReset, reset.Hash)
	if err != nil || got.UserID != u.ID || got.Email != "ivan@example.com" || !got.Expires.Equal(base.Add(time.Hour)) {
		t.Fatalf("TokenByHash = %+v, %v", got, err)
	}
	if _, err := db.Tokens.TokenByHash(ctx, latch.TokenVerifyEmail, reset.Hash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("token found under another kind: %v", err)
	}
	// Of concurrent takers, exactly one gets the token.
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.Tokens.TakeToken(ctx, latch.TokenPasswordReset, reset.Hash); err == nil {
				mu.Lock()
				taken++
				mu.Unlock()
			} else if !errors.Is(err, latch.ErrNotFound) {
				t.Errorf("TakeToken: %v", err)
			}
		}()
	}
	wg.Wait()
	if taken != 1 {
		t.Errorf("token taken %d times", taken)
	}
	mk(latch.TokenPasswordReset, "reset-hash-2-0123456789abcdef0123")
	if err := db.Tokens.DeleteUserTokens(ctx, u.ID, latch.TokenPasswordReset); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tokens.TokenByHash(ctx, latch.TokenPasswordReset, []byte("reset-hash-2-0123456789abcdef0123")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("DeleteUserTokens left a token: %v", err)
	}
	if _, err := db.Tokens.TokenByHash(ctx, latch.TokenVerifyEmail, verify.Hash); err != nil {
		t.Errorf("DeleteUserTokens removed another kind: %v", err)
	}
}

func testStartSession(t *testing.T, db *sqlstore.DB) {
	u, emails := newUser("stella")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	newSession := func(key string, userID int64) *latch.Session {
		return &latch.Session{KeyHash: []byte(key), UserID: userID, Client: latch.App, Created: base, LastSeen: base,
			Expires: base.Add(time.Hour), MaxExpires: base.Add(time.Hour)}
	}
	anonymous := newSession("anonymous", 0)
	if err := db.Sessions.CreateSession(ctx, anonymous); err != nil {
		t.Fatal(err)
	}
	s := newSession("logged-in", u.ID)
	s.Created = base.Add(time.Minute)
	refresh := &latch.RefreshToken{Hash: []byte("first refresh"), Created: base, Expires: base.Add(time.Hour)}
	if err := db.Sessions.StartSession(ctx, s, anonymous.ID, refresh); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, []byte("anonymous")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("the replaced session is still there: %v", err)
	}
	got, user, err := db.Sessions.SessionByKey(ctx, []byte("logged-in"))
	if err != nil || got.ID != s.ID || user.ID != u.ID || !user.LastLogin.Equal(s.Created) {
		t.Fatalf("new session: %+v %+v %v", got, user, err)
	}
	if rt, err := db.Refresh.RefreshTokenByHash(ctx, refresh.Hash); err != nil || rt.SessionID != s.ID || refresh.SessionID != s.ID {
		t.Errorf("refresh token: %+v %v", rt, err)
	}
	// An unknown user fails the whole transaction: nothing is kept.
	ghost := newSession("ghost", u.ID+1000)
	err = db.Sessions.StartSession(ctx, ghost, s.ID, &latch.RefreshToken{Hash: []byte("ghost refresh"), Created: base, Expires: base.Add(time.Hour)})
	if err == nil {
		t.Fatal("a login of an unknown user was stored")
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, []byte("logged-in")); err != nil {
		t.Errorf("the failed login ended the session it would have replaced: %v", err)
	}
	if _, err := db.Refresh.RefreshTokenByHash(ctx, []byte("ghost refresh")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("the failed login's refresh token was kept: %v", err)
	}
}

func testTouches(t *testing.T, db *sqlstore.DB) {
	u, emails := newUser("tess")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	s := &latch.Session{KeyHash: []byte("touched"), UserID: u.ID, Client: latch.Browser, Created: base, LastSeen: base,
		Expires: base.Add(time.Hour), MaxExpires: base.Add(48 * time.Hour)}
	if err := db.Sessions.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	seen, expires := base.Add(50*time.Minute), base.Add(2*time.Hour)
	if err := db.Sessions.TouchSession(ctx, s.ID, seen, expires); err != nil {
		t.Fatal(err)
	}
	// An older touch arriving late moves nothing back.
	if err := db.Sessions.TouchSession(ctx, s.ID, base.Add(10*time.Minute), base.Add(70*time.Minute)); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got, _, err := db.Sessions.SessionByKey(ctx, []byte("touched"))
		if err != nil || !got.LastSeen.Equal(seen) || !got.Expires.Equal(expires) {
			t.Fatalf("%s: %+v %v", when, got, err)
		}
	}
	check("before the touches are written")
	// The sweep writes pending touches first: the session, extended past
	// its stored expiry, survives it.
	n, err := db.Sessions.DeleteExpiredSessions(ctx, base.Add(90*time.Minute))
	if err != nil || n != 0 {
		t.Fatalf("sweep deleted %d: %v", n, err)
	}
	check("after the sweep")
	if err := db.Sessions.FlushTouches(ctx); err != nil {
		t.Fatal(err)
	}
	// A touch of a session deleted meanwhile is no error when written.
	if err := db.Sessions.TouchSession(ctx, s.ID, base.Add(55*time.Minute), expires); err != nil {
		t.Fatal(err)
	}
	if err := db.Sessions.DeleteSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Sessions.TouchSession(ctx, s.ID, base.Add(56*time.Minute), expires); err != nil {
		t.Fatal(err)
	}
	if err := db.Sessions.FlushTouches(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTouchesSurviveClose: touches still pending at Close are written.
func TestTouchesSurviveClose(t *testing.T) {
	path := t.TempDir() + "/latch.db"
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := sqlite.Open(ctx, path, true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	u, emails := newUser("tom")
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	s := &latch.Session{KeyHash: []byte("k"), UserID: u.ID, Client: latch.App, Created: base, LastSeen: base,
		Expires: base.Add(time.Hour), MaxExpires: base.Add(48 * time.Hour)}
	if err := db.Sessions.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := db.Sessions.TouchSession(ctx, s.ID, base.Add(time.Minute), base.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, path, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, _, err := db.Sessions.SessionByKey(ctx, []byte("k"))
	if err != nil || !got.Expires.Equal(base.Add(3*time.Hour)) {
		t.Fatalf("after reopening: %+v %v", got, err)
	}
}

// TestTouchesAreWrittenWithinTouchDelay: another node (a second handle on
// the same database) sees a touch once the batch is written on its own.
func TestTouchesAreWrittenWithinTouchDelay(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/latch.db"
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	const delay = 200 * time.Millisecond
	a, err := sqlite.Open(ctx, path, true, quiet, sqlstore.WithTouchDelay(delay))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(ctx, path, false, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	u, emails := newUser("tina")
	if err := a.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	s := &latch.Session{KeyHash: []byte("k"), UserID: u.ID, Client: latch.App, Created: base, LastSeen: base,
		Expires: base.Add(time.Hour), MaxExpires: base.Add(48 * time.Hour)}
	if err := a.Sessions.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	want := base.Add(3 * time.Hour)
	if err := a.Sessions.TouchSession(ctx, s.ID, base.Add(time.Minute), want); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2*delay + 5*time.Second)
	for {
		got, _, err := b.Sessions.SessionByKey(ctx, []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Expires.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the touch was not written within %s: expires %v", 2*delay, got.Expires)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testClaims(t *testing.T, db *sqlstore.DB) {
	owner, emails := newUser("iris")
	if err := db.Users.CreateUser(ctx, owner, emails); err != nil {
		t.Fatal(err)
	}
	a, aEmails := newUser("jack")
	b, bEmails := newUser("kate")
	for _, x := range []struct {
		u *latch.User
		e []latch.EmailAddress
	}{{a, aEmails}, {b, bEmails}} {
		if err := db.Users.CreateUser(ctx, x.u, x.e); err != nil {
			t.Fatal(err)
		}
	}
	// Two other accounts claim the same address, unverified: allowed.
	const addr = "shared@example.com"
	for _, u := range []*latch.User{a, b} {
		if err := db.Emails.AddEmail(ctx, &latch.EmailAddress{UserID: u.ID, Email: addr, Created: base}); err != nil {
			t.Fatalf("unverified claim by %s: %v", u.Username, err)
		}
	}
	if _, err := db.Users.UserByEmail(ctx, addr); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("an unverified added address finds a user: %v", err)
	}
	// Another account's primary address may be claimed too, without authority.
	if err := db.Emails.AddEmail(ctx, &latch.EmailAddress{UserID: a.ID, Email: "iris@example.com", Created: base}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Users.UserByEmail(ctx, "iris@example.com"); err != nil || got.ID != owner.ID {
		t.Errorf("the signup address belongs to %v (%v), want its owner", got, err)
	}
	if err := db.Emails.SetEmailVerified(ctx, a.ID, "iris@example.com"); !errors.Is(err, latch.ErrEmailTaken) {
		t.Errorf("verifying another account's address: %v, want ErrEmailTaken", err)
	}
	// b verifies the shared address: a's claim and its keys are dropped.
	tok := &latch.Token{Kind: latch.TokenVerifyEmail, Hash: []byte("jack-claim-hash-0123456789abcdef"), UserID: a.ID, Email: addr, Created: base, Expires: base.Add(time.Hour)}
	if err := db.Tokens.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := db.Emails.SetEmailVerified(ctx, b.ID, addr); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Users.UserByEmail(ctx, addr); err != nil || got.ID != b.ID {
		t.Errorf("verified address belongs to %v (%v), want kate", got, err)
	}
	list, _ := db.Emails.EmailAddresses(ctx, a.ID)
	for _, e := range list {
		if e.Email == addr {
			t.Errorf("jack's unverified claim survived kate's verification")
		}
	}
	if _, err := db.Tokens.TokenByHash(ctx, latch.TokenVerifyEmail, tok.Hash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("a key mailed for a dropped claim survived: %v", err)
	}
	// Verified elsewhere, it cannot be added verified again.
	if err := db.Emails.AddEmail(ctx, &latch.EmailAddress{UserID: a.ID, Email: addr, Verified: true, Created: base}); !errors.Is(err, latch.ErrEmailTaken) {
		t.Errorf("adding a verified copy of another's verified address: %v", err)
	}
}

func testSessionSaveRace(t *testing.T, db *sqlstore.DB) {
	s := &latch.Session{KeyHash: []byte("race-session-key-hash-0123456789"), Client: latch.App, Created: base, LastSeen: base,
		Expires: base.Add(time.Hour), MaxExpires: base.Add(time.Hour)}
	if err := db.Sessions.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, stale := 0, 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := *s // every writer read the same version
			err := db.Sessions.UpdateSession(ctx, &mine)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, latch.ErrStale):
				stale++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || stale != n-1 {
		t.Errorf("%d of %d saves of one version won, %d were stale", won, n, stale)
	}
	got, _, err := db.Sessions.SessionByKey(ctx, s.KeyHash)
	if err != nil || got.Version != s.Version+1 {
		t.Errorf("version after the race = %d (%v), want %d", got.Version, err, s.Version+1)
	}
}
