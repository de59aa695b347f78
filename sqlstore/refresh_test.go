package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/sqlstore"
)

// TestRotateRefreshToken is the contract of RotateRefreshToken on each
// engine: the claim of a token and its successor commit together, once.
func TestRotateRefreshToken(t *testing.T) {
	tests := []engineTest{
		{"a rotation claims the token once and adds its successor", testRotate},
		{"an unknown, expired or ended token is not rotated", testRotateRefused},
		{"a repeat or a refused token updates no row", testRotateRepeatReadOnly},
		{"of concurrent rotations of one token exactly one is the first", testRotateRace},
		{"concurrent rotations of many tokens all commit", testRotateMany},
		{"a rotation that fails writes nothing, alone among concurrent ones", testRotateFailure},
		{"a rotation in a unit of work commits or rolls back with it", testRotateInUnit},
	}
	runOnEngines(t, tests)
}

// refreshHash returns a 32-byte token hash named by name.
func refreshHash(name string) []byte {
	return []byte(fmt.Sprintf("%-32.32s", name+"-refresh-hash"))
}

// addRefresh stores a fresh refresh token of sess expiring an hour after base.
func addRefresh(t *testing.T, db *sqlstore.DB, sess *latch.Session, name string) []byte {
	t.Helper()
	rt := &latch.RefreshToken{Hash: refreshHash(name), SessionID: sess.ID, Created: base, Expires: base.Add(time.Hour)}
	if err := db.Refresh.AddRefreshToken(ctx, rt); err != nil {
		t.Fatal(err)
	}
	return rt.Hash
}

// usedAt returns when the token with hash was first used (zero: never), or
// fails the test if it is not stored.
func usedAt(t *testing.T, db *sqlstore.DB, hash []byte) time.Time {
	t.Helper()
	rt, err := db.Refresh.RefreshTokenByHash(ctx, hash)
	if err != nil {
		t.Fatalf("token %q: %v", hash, err)
	}
	return rt.UsedAt
}

// stored reports whether a token with hash is stored.
func stored(t *testing.T, db *sqlstore.DB, hash []byte) bool {
	t.Helper()
	_, err := db.Refresh.RefreshTokenByHash(ctx, hash)
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func testRotate(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "fern")
	hash, next := addRefresh(t, db, a.sess, "fern"), refreshHash("fern-next")
	now := base.Add(time.Minute)
	got, err := db.Refresh.RotateRefreshToken(ctx, hash, now, next, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !got.UsedAt.Equal(now) || got.SessionID != a.sess.ID || !got.Expires.Equal(base.Add(time.Hour)) {
		t.Errorf("rotation returned %+v, want used at %v in session %d", got, now, a.sess.ID)
	}
	// Answered means committed: the read pool sees both writes.
	if u := usedAt(t, db, hash); !u.Equal(now) {
		t.Errorf("token used at %v, want %v", u, now)
	}
	succ, err := db.Refresh.RefreshTokenByHash(ctx, next)
	if err != nil {
		t.Fatalf("successor: %v", err)
	}
	if succ.SessionID != a.sess.ID || !succ.Created.Equal(now) || !succ.Expires.Equal(now.Add(2*time.Hour)) || !succ.UsedAt.IsZero() {
		t.Errorf("successor %+v, want session %d, created %v, expiring 2h later, unused", succ, a.sess.ID, now)
	}
	// A repeat keeps the first use and the successor as they were.
	again, err := db.Refresh.RotateRefreshToken(ctx, hash, now.Add(time.Second), next, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !again.UsedAt.Equal(now) {
		t.Errorf("repeat sees first use %v, want %v", again.UsedAt, now)
	}
	if succ2, err := db.Refresh.RefreshTokenByHash(ctx, next); err != nil || !succ2.Created.Equal(now) {
		t.Errorf("successor after the repeat: %+v, %v", succ2, err)
	}
}

func testRotateRefused(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "gus")
	hash := addRefresh(t, db, a.sess, "gus")
	tests := []struct {
		name string
		hash []byte
		now  time.Time
	}{
		{"unknown", refreshHash("nobody"), base.Add(time.Minute)},
		{"at its expiry", hash, base.Add(time.Hour)},
		{"after its expiry", hash, base.Add(2 * time.Hour)},
	}
	for _, tt := range tests {
		next := refreshHash("gus-next-" + tt.name)
		if _, err := db.Refresh.RotateRefreshToken(ctx, tt.hash, tt.now, next, time.Hour); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", tt.name, err)
		}
		if stored(t, db, next) {
			t.Errorf("%s: a successor was stored", tt.name)
		}
	}
	if u := usedAt(t, db, hash); !u.IsZero() {
		t.Errorf("a refused rotation marked the token used at %v", u)
	}
	if err := db.Sessions.DeleteSession(ctx, a.sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Refresh.RotateRefreshToken(ctx, hash, base.Add(time.Minute), refreshHash("gus-next"), time.Hour); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("token of an ended session: %v, want ErrNotFound", err)
	}
}

// refuseUpdates makes every UPDATE of refresh_tokens fail until the test
// ends: on SQLite with a TEMP trigger on the writer's one connection, on
// PostgreSQL with a trigger in the test's own schema.
func refuseUpdates(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	stmts := []string{`CREATE TEMP TRIGGER refuse_update BEFORE UPDATE ON refresh_tokens
		BEGIN SELECT RAISE(ABORT, 'refresh token updated'); END`}
	drop := `DROP TRIGGER refuse_update`
	if db.Dialect().Name == "postgres" {
		stmts = []string{`CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS
			$$BEGIN RAISE EXCEPTION 'refresh token updated'; END$$`,
			`CREATE TRIGGER refuse_update BEFORE UPDATE ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION refuse_update()`}
		drop = `DROP TRIGGER refuse_update ON refresh_tokens`
	}
	for _, q := range stmts {
		if err := db.ExecWrite(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := db.ExecWrite(ctx, drop); err != nil {
			t.Error(err)
		}
	})
}

// testRotateRepeatReadOnly: rotating a token used before, or one that is
// not there, touches no row (the answer comes from reads), so replays cost
// no write; a repeat whose successor is missing still adds it.
func testRotateRepeatReadOnly(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "omar")
	hash, next := addRefresh(t, db, a.sess, "omar"), refreshHash("omar-next")
	used, lost := addRefresh(t, db, a.sess, "omar-lost"), refreshHash("omar-lost-next")
	now := base.Add(time.Minute)
	if _, err := db.Refresh.RotateRefreshToken(ctx, hash, now, next, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Refresh.UseRefreshToken(ctx, used, now); err != nil {
		t.Fatal(err)
	}
	refuseUpdates(t, db)
	for _, tc := range []struct {
		name       string
		hash, next []byte
	}{{"repeat", hash, next}, {"repeat without a successor", used, lost}} {
		got, err := db.Refresh.RotateRefreshToken(ctx, tc.hash, now.Add(time.Second), tc.next, time.Hour)
		if err != nil || !got.UsedAt.Equal(now) {
			t.Errorf("%s: %+v, %v; want the first use %v", tc.name, got, err, now)
		}
		if !stored(t, db, tc.next) {
			t.Errorf("%s: no successor stored", tc.name)
		}
	}
	if _, err := db.Refresh.RotateRefreshToken(ctx, refreshHash("nobody"), now, refreshHash("nobody-next"), time.Hour); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("unknown token: %v, want ErrNotFound", err)
	}
}

func testRotateRace(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "hana")
	hash, next := addRefresh(t, db, a.sess, "hana"), refreshHash("hana-next")
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	first := 0
	firstUse := map[time.Time]bool{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := base.Add(time.Duration(i+1) * time.Millisecond)
			got, err := db.Refresh.RotateRefreshToken(ctx, hash, now, next, time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if got.UsedAt.Equal(now) {
				first++
			}
			firstUse[got.UsedAt] = true
		}()
	}
	wg.Wait()
	if first != 1 || len(firstUse) != 1 {
		t.Errorf("%d of %d rotations were the first; %d distinct first-use times", first, n, len(firstUse))
	}
	for u := range firstUse {
		if succ, err := db.Refresh.RefreshTokenByHash(ctx, next); err != nil || !succ.Created.Equal(u) {
			t.Errorf("successor %+v, %v: want one, created at the first use %v", succ, err, u)
		}
	}
}

func testRotateMany(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "ines")
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		hash := addRefresh(t, db, a.sess, fmt.Sprintf("ines-%02d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := base.Add(time.Duration(i+1) * time.Millisecond)
			got, err := db.Refresh.RotateRefreshToken(ctx, hash, now, refreshHash(fmt.Sprintf("ines-%02d-next", i)), time.Hour)
			if err != nil || !got.UsedAt.Equal(now) {
				t.Errorf("rotation %d: %+v, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if u := usedAt(t, db, refreshHash(fmt.Sprintf("ines-%02d", i))); !u.Equal(base.Add(time.Duration(i+1) * time.Millisecond)) {
			t.Errorf("token %d used at %v", i, u)
		}
		if !stored(t, db, refreshHash(fmt.Sprintf("ines-%02d-next", i))) {
			t.Errorf("successor %d missing", i)
		}
	}
}

// testRotateFailure: a rotation whose successor cannot be stored (no hash:
// NOT NULL) fails, and leaves its token unused; the rotations beside it,
// which on SQLite may share its transaction, commit.
func testRotateFailure(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "jude")
	const n, bad = 24, 7
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		hash := addRefresh(t, db, a.sess, fmt.Sprintf("jude-%02d", i))
		next := refreshHash(fmt.Sprintf("jude-%02d-next", i))
		if i == bad {
			next = nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = db.Refresh.RotateRefreshToken(ctx, hash, base.Add(time.Minute), next, time.Hour)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		used := !usedAt(t, db, refreshHash(fmt.Sprintf("jude-%02d", i))).IsZero()
		switch {
		case i == bad && (err == nil || errors.Is(err, latch.ErrNotFound) || used):
			t.Errorf("the rotation without a successor: error %v, token used %v; want an error and an unused token", err, used)
		case i != bad && (err != nil || !used || !stored(t, db, refreshHash(fmt.Sprintf("jude-%02d-next", i)))):
			t.Errorf("rotation %d beside a failing one: %v (used %v)", i, err, used)
		}
	}
}

func testRotateInUnit(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "kai")
	tests := []struct {
		name   string
		fail   error
		commit bool
	}{
		{"committed", nil, true},
		{"rolled back", errors.New("later step failed"), false},
	}
	for _, tt := range tests {
		hash, next := addRefresh(t, db, a.sess, "kai-"+tt.name), refreshHash("kai-next-"+tt.name)
		err := db.Atomic(ctx, func(ctx context.Context) error {
			if _, err := db.Refresh.RotateRefreshToken(ctx, hash, base.Add(time.Minute), next, time.Hour); err != nil {
				return err
			}
			// Reads in the unit see the rotation.
			if rt, err := db.Refresh.RefreshTokenByHash(ctx, next); err != nil || !bytes.Equal(rt.Hash, next) {
				return fmt.Errorf("successor inside the unit: %v", err)
			}
			return tt.fail
		})
		if !errors.Is(err, tt.fail) {
			t.Fatalf("%s: Atomic: %v", tt.name, err)
		}
		if used := !usedAt(t, db, hash).IsZero(); used != tt.commit || stored(t, db, next) != tt.commit {
			t.Errorf("%s: token used %v, successor stored %v; want both %v", tt.name, used, stored(t, db, next), tt.commit)
		}
	}
}

// TestGroupCommit: on SQLite, rotations that queue while the writer is busy
// commit in one transaction; when that transaction fails, each waiter gets
// its own answer: a failing rotation fails alone, a failure of the database
// fails every one, and none of them leaves anything written.
func TestGroupCommit(t *testing.T) {
	const n, bad = 12, 5
	badNext := refreshHash(fmt.Sprintf("lena-%02d-next", bad))
	tests := []struct {
		name    string
		trigger string // a TEMP trigger on the writer's connection
		fails   func(i int) bool
	}{
		{"one rotation fails alone",
			fmt.Sprintf(`CREATE TEMP TRIGGER refuse BEFORE INSERT ON refresh_tokens WHEN NEW.token_hash = X'%x'
				BEGIN SELECT RAISE(ABORT, 'refused'); END`, badNext),
			func(i int) bool { return i == bad }},
		{"a failure of the database fails every rotation", // but the plug's, before it
			fmt.Sprintf(`CREATE TEMP TRIGGER refuse BEFORE INSERT ON refresh_tokens WHEN NEW.token_hash <> X'%x'
				BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`, refreshHash("lena-plug-next")),
			func(int) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := testdb.OpenSQLite(t)
			a := newAccount(t, db, "lena")
			plug := addRefresh(t, db, a.sess, "lena-plug")
			hashes := make([][]byte, n)
			for i := range hashes {
				hashes[i] = addRefresh(t, db, a.sess, fmt.Sprintf("lena-%02d", i))
			}
			// Hold the writer: the plug's rotation is taken and waits for
			// it; the n rotations after it queue up behind, for one batch.
			held, release, unitDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				unitDone <- db.Atomic(ctx, func(ctx context.Context) error {
					if err := db.ExecWrite(ctx, tt.trigger); err != nil {
						return err
					}
					close(held)
					<-release
					return nil
				})
			}()
			<-held
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.Refresh.RotateRefreshToken(ctx, plug, base.Add(time.Minute), refreshHash("lena-plug-next"), time.Hour); err != nil {
					t.Errorf("plug: %v", err)
				}
			}()
			waitGroupState(db, 0, true)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = db.Refresh.RotateRefreshToken(ctx, hashes[i], base.Add(time.Minute),
						refreshHash(fmt.Sprintf("lena-%02d-next", i)), time.Hour)
				}()
			}
			waitGroupState(db, n, true)
			close(release)
			if err := <-unitDone; err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			for i, err := range errs {
				used := !usedAt(t, db, hashes[i]).IsZero()
				succ := stored(t, db, refreshHash(fmt.Sprintf("lena-%02d-next", i)))
				if tt.fails(i) {
					if err == nil || errors.Is(err, latch.ErrNotFound) || used || succ {
						t.Errorf("rotation %d: error %v, token used %v, successor stored %v; want an error and nothing written", i, err, used, succ)
					}
				} else if err != nil || !used || !succ {
					t.Errorf("rotation %d: error %v, token used %v, successor stored %v; want it committed", i, err, used, succ)
				}
			}
		})
	}
}

// waitGroupState waits until the group commit of db has queued rotations
// waiting and is running or not.
func waitGroupState(db *sqlstore.DB, queued int, running bool) {
	for {
		q, r := db.Refresh.GroupState()
		if q == queued && r == running {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
