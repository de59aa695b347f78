package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlstore"
)

// The unit-of-work cases of the store contract (TestStore runs them).

var errBoom = errors.New("boom")

// account is a user with an authenticated session and a reset token.
type account struct {
	user  *latch.User
	sess  *latch.Session
	token *latch.Token
}

func newAccount(t *testing.T, db *sqlstore.DB, name string) *account {
	t.Helper()
	u, emails := newUser(name)
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	s := &latch.Session{KeyHash: []byte(name + "-session-key-hash-0123456789"), UserID: u.ID, Client: latch.App,
		Created: base, LastSeen: base, Expires: base.Add(time.Hour), MaxExpires: base.Add(24 * time.Hour)}
	if err := db.Sessions.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	tok := &latch.Token{Kind: latch.TokenPasswordReset, Hash: []byte(name + "-reset-hash-0123456789abcdef"), UserID: u.ID,
		Email: u.Username + "@example.com", Created: base, Expires: base.Add(time.Hour)}
	if err := db.Tokens.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	return &account{user: u, sess: s, token: tok}
}

// passwordChange is what a password change writes: the hash, the end of the
// other sessions and of the reset links.
func passwordChange(ctx context.Context, db *sqlstore.DB, a *account, hash string) error {
	if err := db.Users.SetPassword(ctx, a.user.ID, hash, base.Add(time.Hour)); err != nil {
		return err
	}
	if err := db.Sessions.DeleteUserSessions(ctx, a.user.ID, 0); err != nil {
		return err
	}
	return db.Tokens.DeleteUserTokens(ctx, a.user.ID, latch.TokenPasswordReset)
}

// changed reports which of passwordChange's writes are visible outside any
// unit of work.
func changed(t *testing.T, db *sqlstore.DB, a *account) (hash string, sessionGone, tokenGone bool) {
	t.Helper()
	u, err := db.Users.UserByID(ctx, a.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = db.Sessions.SessionByKey(ctx, a.sess.KeyHash)
	sessionGone = errors.Is(err, latch.ErrNotFound)
	_, err = db.Tokens.TokenByHash(ctx, latch.TokenPasswordReset, a.token.Hash)
	tokenGone = errors.Is(err, latch.ErrNotFound)
	return u.PasswordHash, sessionGone, tokenGone
}

func testAtomicCommit(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "uma")
	var hookRan, hookSawCommit bool
	err := db.Atomic(ctx, func(ctx context.Context) error {
		if err := passwordChange(ctx, db, a, "new-hash"); err != nil {
			return err
		}
		latch.AfterCommit(ctx, func() {
			hookRan = true
			// Outside the unit, on the read pool: the commit is visible.
			u, err := db.Users.UserByID(context.Background(), a.user.ID)
			hookSawCommit = err == nil && u.PasswordHash == "new-hash"
		})
		if hookRan {
			t.Error("an AfterCommit hook ran before the commit")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !hookRan || !hookSawCommit {
		t.Errorf("AfterCommit hook: ran %v, saw the commit %v", hookRan, hookSawCommit)
	}
	if hash, sessionGone, tokenGone := changed(t, db, a); hash != "new-hash" || !sessionGone || !tokenGone {
		t.Errorf("after the commit: hash %q, session gone %v, token gone %v", hash, sessionGone, tokenGone)
	}
}

func testAtomicRollback(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "vera")
	hookRan := false
	err := db.Atomic(ctx, func(ctx context.Context) error {
		if err := passwordChange(ctx, db, a, "new-hash"); err != nil {
			return err
		}
		latch.AfterCommit(ctx, func() { hookRan = true })
		return fmt.Errorf("later step: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Atomic = %v, want fn's error", err)
	}
	if hookRan {
		t.Error("an AfterCommit hook ran on a rollback")
	}
	if hash, sessionGone, tokenGone := changed(t, db, a); hash != a.user.PasswordHash || sessionGone || tokenGone {
		t.Errorf("after the rollback: hash %q, session gone %v, token gone %v", hash, sessionGone, tokenGone)
	}
}

func testAtomicPanic(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "wendy")
	hookRan := false
	func() {
		defer func() {
			if r := recover(); r != errBoom {
				t.Errorf("recovered %v, want fn's panic", r)
			}
		}()
		db.Atomic(ctx, func(ctx context.Context) error {
			if err := passwordChange(ctx, db, a, "new-hash"); err != nil {
				return err
			}
			latch.AfterCommit(ctx, func() { hookRan = true })
			panic(errBoom)
		})
	}()
	if hookRan {
		t.Error("an AfterCommit hook ran after a panic")
	}
	if hash, sessionGone, tokenGone := changed(t, db, a); hash != a.user.PasswordHash || sessionGone || tokenGone {
		t.Errorf("after the panic: hash %q, session gone %v, token gone %v", hash, sessionGone, tokenGone)
	}
	// The transaction is over: the (SQLite: single) writer is free.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Users.SetLastLogin(wctx, a.user.ID, base); err != nil {
		t.Errorf("a write after the panic: %v", err)
	}
}

func testAtomicReads(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "xena")
	err := db.Atomic(ctx, func(ctx context.Context) error {
		u, emails := newUser("yusuf")
		if err := db.Users.CreateUser(ctx, u, emails); err != nil {
			return err
		}
		if err := db.Emails.AddEmail(ctx, &latch.EmailAddress{UserID: u.ID, Email: "yusuf@work.example", Verified: true, Created: base}); err != nil {
			return err
		}
		s := &latch.Session{KeyHash: []byte("yusuf-session"), UserID: u.ID, Client: latch.App,
			Created: base, LastSeen: base, Expires: base.Add(time.Hour), MaxExpires: base.Add(time.Hour)}
		refresh := &latch.RefreshToken{Hash: []byte("yusuf-refresh"), Created: base, Expires: base.Add(time.Hour)}
		if err := db.Sessions.StartSession(ctx, s, 0, refresh); err != nil {
			return err
		}
		if err := db.Users.SetPassword(ctx, a.user.ID, "new-hash", base); err != nil {
			return err
		}
		if err := db.Keys.AddSigningKey(ctx, &latch.SigningKey{ID: "k1", Alg: "EdDSA", Sealed: []byte("sealed"), Created: base}, base); err != nil {
			return err
		}
		// Every family reads the unit's writes.
		if got, err := db.Users.UserByEmail(ctx, "yusuf@work.example"); err != nil || got.ID != u.ID {
			t.Errorf("UserByEmail in the unit: %+v, %v", got, err)
		}
		if got, err := db.Users.UserByID(ctx, a.user.ID); err != nil || got.PasswordHash != "new-hash" {
			t.Errorf("UserByID in the unit: %+v, %v", got, err)
		}
		if list, err := db.Emails.EmailAddresses(ctx, u.ID); err != nil || len(list) != 2 {
			t.Errorf("EmailAddresses in the unit: %+v, %v", list, err)
		}
		if got, user, err := db.Sessions.SessionByKey(ctx, s.KeyHash); err != nil || got.ID != s.ID || user.ID != u.ID {
			t.Errorf("SessionByKey in the unit: %+v, %v", got, err)
		}
		if list, err := db.Sessions.UserSessions(ctx, u.ID, base); err != nil || len(list) != 1 {
			t.Errorf("UserSessions in the unit: %+v, %v", list, err)
		}
		if got, err := db.Refresh.RefreshTokenByHash(ctx, refresh.Hash); err != nil || got.SessionID != s.ID {
			t.Errorf("RefreshTokenByHash in the unit: %+v, %v", got, err)
		}
		if keys, err := db.Keys.SigningKeys(ctx, base); err != nil || len(keys) != 1 {
			t.Errorf("SigningKeys in the unit: %+v, %v", keys, err)
		}
		// Outside the unit nothing shows before the commit.
		if _, err := db.Users.UserByEmail(context.Background(), "yusuf@work.example"); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("an uncommitted user is seen outside the unit: %v", err)
		}
		if !db.Sessions.InUnitOfWork(ctx) || db.Sessions.InUnitOfWork(context.Background()) {
			t.Error("InUnitOfWork is wrong")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Users.UserByEmail(ctx, "yusuf@work.example"); err != nil {
		t.Errorf("after the commit: %v", err)
	}
}

func testAtomicNested(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "zoe")
	innerHook := false
	err := db.Atomic(ctx, func(ctx context.Context) error {
		if err := db.Users.SetPassword(ctx, a.user.ID, "outer", base); err != nil {
			return err
		}
		err := db.Atomic(ctx, func(ctx context.Context) error {
			latch.AfterCommit(ctx, func() { innerHook = true })
			// Joined: the outer unit's write is visible, and the inner
			// one lands in the same transaction.
			if u, err := db.Users.UserByID(ctx, a.user.ID); err != nil || u.PasswordHash != "outer" {
				t.Errorf("inner unit reads %+v, %v", u, err)
			}
			return db.Sessions.DeleteUserSessions(ctx, a.user.ID, 0)
		})
		if err != nil {
			return err
		}
		if innerHook {
			t.Error("the inner unit's hook ran before the outer one committed")
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Atomic = %v", err)
	}
	if innerHook {
		t.Error("the inner unit's hook ran although the outer one rolled back")
	}
	if hash, sessionGone, _ := changed(t, db, a); hash != a.user.PasswordHash || sessionGone {
		t.Errorf("the rolled-back outer unit kept writes: hash %q, session gone %v", hash, sessionGone)
	}
	err = db.Atomic(ctx, func(ctx context.Context) error {
		return db.Atomic(ctx, func(ctx context.Context) error {
			latch.AfterCommit(ctx, func() { innerHook = true })
			return db.Users.SetPassword(ctx, a.user.ID, "inner", base)
		})
	})
	if err != nil || !innerHook {
		t.Fatalf("committed nested unit: %v, hook ran %v", err, innerHook)
	}
	if hash, _, _ := changed(t, db, a); hash != "inner" {
		t.Errorf("after the commit: hash %q", hash)
	}
}

// testAtomicFailedWrite: a multi-statement write that fails inside a unit
// takes back only itself (PostgreSQL would otherwise refuse every later
// statement of the transaction).
func testAtomicFailedWrite(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "abby")
	err := db.Atomic(ctx, func(ctx context.Context) error {
		u, _ := newUser("bert")
		emails := []latch.EmailAddress{{Email: "bert@example.com", Primary: true, Created: base}, {Email: "ABBY@example.com", Verified: true, Created: base}}
		if err := db.Users.CreateUser(ctx, u, emails); !errors.Is(err, latch.ErrEmailTaken) {
			return fmt.Errorf("CreateUser with a taken address: %v", err)
		}
		return db.Users.SetPassword(ctx, a.user.ID, "after-the-failure", base)
	})
	if err != nil {
		t.Fatal(err)
	}
	if hash, _, _ := changed(t, db, a); hash != "after-the-failure" {
		t.Errorf("the write after the handled failure: hash %q", hash)
	}
	if _, err := db.Users.UserByUsername(ctx, "bert"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("the failed CreateUser left its user: %v", err)
	}
}

// testAtomicTouches: UserSessions in a unit writes the pending touches in it;
// a rollback must not lose them.
func testAtomicTouches(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "cleo")
	seen := base.Add(20 * time.Minute)
	if err := db.Sessions.TouchSession(ctx, a.sess.ID, seen, base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	err := db.Atomic(ctx, func(ctx context.Context) error {
		list, err := db.Sessions.UserSessions(ctx, a.user.ID, base)
		if err != nil || len(list) != 1 || !list[0].LastSeen.Equal(seen) {
			t.Errorf("UserSessions in the unit: %+v, %v", list, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	list, err := db.Sessions.UserSessions(ctx, a.user.ID, base)
	if err != nil || len(list) != 1 || !list[0].LastSeen.Equal(seen) {
		t.Errorf("after the rollback the touch is lost: %+v, %v", list, err)
	}
}

// testAtomicConcurrent runs units that read then write at once: none fails
// (no "database is locked"), and on SQLite, where units run one at a time,
// no update is lost.
func testAtomicConcurrent(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "dora")
	if err := db.Users.SetPassword(ctx, a.user.ID, "0", base); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.Atomic(ctx, func(ctx context.Context) error {
				u, err := db.Users.UserByID(ctx, a.user.ID)
				if err != nil {
					return err
				}
				count, err := strconv.Atoi(u.PasswordHash)
				if err != nil {
					return err
				}
				if err := db.Users.SetPassword(ctx, a.user.ID, strconv.Itoa(count+1), base); err != nil {
					return err
				}
				return db.Tokens.CreateToken(ctx, &latch.Token{Kind: latch.TokenVerifyEmail, Hash: []byte(fmt.Sprintf("dora-%02d-hash-0123456789abcdef", i)),
					UserID: a.user.ID, Email: "dora@example.com", Created: base, Expires: base.Add(time.Hour)})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent unit of work: %v", err)
		}
	}
	for i := range n {
		if _, err := db.Tokens.TokenByHash(ctx, latch.TokenVerifyEmail, []byte(fmt.Sprintf("dora-%02d-hash-0123456789abcdef", i))); err != nil {
			t.Errorf("token of unit %d: %v", i, err)
		}
	}
	// PostgreSQL runs units at READ COMMITTED, concurrently: there a
	// read-then-write counter may lose updates, by design (see Atomic).
	if db.Dialect().Name == "sqlite" {
		if hash, _, _ := changed(t, db, a); hash != strconv.Itoa(n) {
			t.Errorf("after %d serialised increments the counter is %s", n, hash)
		}
	}
}

// testRefreshRace: of concurrent uses of one refresh token exactly one is
// its first use (sees UsedAt equal to its own now), and all agree on it.
func testRefreshRace(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "ezra")
	rt := &latch.RefreshToken{Hash: []byte("ezra-refresh-hash-0123456789abcd"), SessionID: a.sess.ID, Created: base, Expires: base.Add(time.Hour)}
	if err := db.Refresh.AddRefreshToken(ctx, rt); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	first := 0
	usedAt := map[time.Time]bool{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := base.Add(time.Duration(i+1) * time.Millisecond)
			got, err := db.Refresh.UseRefreshToken(ctx, rt.Hash, now)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if got.UsedAt.Equal(now) {
				first++
			}
			usedAt[got.UsedAt] = true
		}()
	}
	wg.Wait()
	if first != 1 || len(usedAt) != 1 {
		t.Errorf("%d of %d uses were the first; %d distinct first-use times", first, n, len(usedAt))
	}
}
