package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlstore"
)

// The social family on each engine.
func TestSocialStore(t *testing.T) {
	tests := []engineTest{
		{"connected identities", testSocialAccounts},
		{"an identity is connected to one account", testSocialAccountUnique},
		{"a flow is taken once", testSocialFlowOnce},
		{"concurrent takes of a flow: one wins", testSocialFlowRace},
		{"expired flows are swept", testSocialFlowSweep},
	}
	runOnEngines(t, tests)
}

func socialUser(t *testing.T, db *sqlstore.DB, name string) *latch.User {
	t.Helper()
	u, emails := newUser(name)
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	return u
}

func testSocialAccounts(t *testing.T, db *sqlstore.DB) {
	u := socialUser(t, db, "alice")
	a := &latch.SocialAccount{UserID: u.ID, Provider: "google", UID: "1001", Email: "a@example.com", Display: "Alice",
		Tokens: []byte{1, 2, 3}, Created: base, LastLogin: base}
	if err := db.Social.CreateSocialAccount(ctx, a); err != nil || a.ID == 0 {
		t.Fatalf("create: id %d, %v", a.ID, err)
	}
	b := &latch.SocialAccount{UserID: u.ID, Provider: "github", UID: "7", Created: base.Add(time.Second), LastLogin: base}
	if err := db.Social.CreateSocialAccount(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := db.Social.SocialAccount(ctx, "google", "1001")
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != u.ID || got.Email != "a@example.com" || got.Display != "Alice" || !bytes.Equal(got.Tokens, []byte{1, 2, 3}) ||
		!got.Created.Equal(base) || !got.LastLogin.Equal(base) {
		t.Errorf("read back %+v", got)
	}
	if _, err := db.Social.SocialAccount(ctx, "google", "1002"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("unknown uid: %v, want ErrNotFound", err)
	}
	if _, err := db.Social.SocialAccount(ctx, "github", "1001"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("uid of another provider: %v, want ErrNotFound", err)
	}
	// An update without tokens keeps the stored ones.
	got.Email, got.Display, got.LastLogin, got.Tokens = "new@example.com", "Al", base.Add(time.Hour), nil
	if err := db.Social.UpdateSocialAccount(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := db.Social.SocialAccount(ctx, "google", "1001")
	if again.Email != "new@example.com" || again.Display != "Al" || !again.LastLogin.Equal(base.Add(time.Hour)) || !bytes.Equal(again.Tokens, []byte{1, 2, 3}) {
		t.Errorf("after update %+v", again)
	}
	list, err := db.Social.SocialAccounts(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].Provider != "google" || list[1].Provider != "github" {
		t.Fatalf("list %+v, %v", list, err)
	}
	other := socialUser(t, db, "bob")
	if err := db.Social.DeleteSocialAccount(ctx, other.ID, "google", "1001"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("delete another user's identity: %v, want ErrNotFound", err)
	}
	if err := db.Social.DeleteSocialAccount(ctx, u.ID, "google", "1001"); err != nil {
		t.Fatal(err)
	}
	if list, _ := db.Social.SocialAccounts(ctx, u.ID); len(list) != 1 {
		t.Errorf("after delete: %d left, want 1", len(list))
	}
}

func testSocialAccountUnique(t *testing.T, db *sqlstore.DB) {
	alice, bob := socialUser(t, db, "alice"), socialUser(t, db, "bob")
	if err := db.Social.CreateSocialAccount(ctx, &latch.SocialAccount{UserID: alice.ID, Provider: "google", UID: "1", Created: base, LastLogin: base}); err != nil {
		t.Fatal(err)
	}
	err := db.Social.CreateSocialAccount(ctx, &latch.SocialAccount{UserID: bob.ID, Provider: "google", UID: "1", Created: base, LastLogin: base})
	if !errors.Is(err, latch.ErrConflict) {
		t.Fatalf("second connect of one identity: %v, want ErrConflict", err)
	}
	// Inside a unit of work the conflict is reported the same way.
	err = db.Atomic(ctx, func(ctx2 context.Context) error {
		return db.Social.CreateSocialAccount(ctx2, &latch.SocialAccount{UserID: bob.ID, Provider: "google", UID: "1", Created: base, LastLogin: base})
	})
	if !errors.Is(err, latch.ErrConflict) {
		t.Fatalf("in a unit: %v, want ErrConflict", err)
	}
}

func newFlow(state string, at time.Time) *latch.SocialFlow {
	return &latch.SocialFlow{StateHash: []byte("state-" + state), BrowserHash: []byte("browser"), Provider: "google",
		Process: "login", CallbackURL: "/cb", Verifier: "v-" + state, Nonce: "n-" + state, Created: at, Expires: at.Add(10 * time.Minute)}
}

func testSocialFlowOnce(t *testing.T, db *sqlstore.DB) {
	u := socialUser(t, db, "alice")
	f := newFlow("a", base)
	f.UserID, f.Process = u.ID, "connect"
	if err := db.Social.CreateSocialFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, err := db.Social.TakeSocialFlow(ctx, f.StateHash)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != u.ID || got.Verifier != "v-a" || got.Nonce != "n-a" || got.Process != "connect" || got.CallbackURL != "/cb" ||
		!bytes.Equal(got.BrowserHash, []byte("browser")) || !got.Expires.Equal(base.Add(10*time.Minute)) {
		t.Errorf("taken %+v", got)
	}
	if _, err := db.Social.TakeSocialFlow(ctx, f.StateHash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("second take: %v, want ErrNotFound", err)
	}
	login := newFlow("b", base)
	if err := db.Social.CreateSocialFlow(ctx, login); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Social.TakeSocialFlow(ctx, login.StateHash); err != nil || got.UserID != 0 {
		t.Errorf("login flow: %+v, %v", got, err)
	}
}

func testSocialFlowRace(t *testing.T, db *sqlstore.DB) {
	f := newFlow("race", base)
	if err := db.Social.CreateSocialFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Go(func() {
			_, err := db.Social.TakeSocialFlow(ctx, f.StateHash)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errors.Is(err, latch.ErrNotFound):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d takes won, want 1", won)
	}
}

func testSocialFlowSweep(t *testing.T, db *sqlstore.DB) {
	old := newFlow("old", base)
	if err := db.Social.CreateSocialFlow(ctx, old); err != nil {
		t.Fatal(err)
	}
	fresh := newFlow("fresh", base.Add(time.Hour))
	if err := db.Social.CreateSocialFlow(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Social.TakeSocialFlow(ctx, old.StateHash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("expired flow still stored: %v", err)
	}
	if _, err := db.Social.TakeSocialFlow(ctx, fresh.StateHash); err != nil {
		t.Errorf("fresh flow: %v", err)
	}
}
