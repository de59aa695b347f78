package sqlstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/sqlstore"
)

// TestAuthenticators: the authenticator family on each engine: one TOTP
// and one set of recovery codes per user, several of other types, updates
// as compare-and-swap on the counter (of concurrent uses one wins),
// and deletion by owner only.
func TestAuthenticators(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			testAuthenticators(t, e.Open(t))
		})
	}
}

func testAuthenticators(t *testing.T, db *sqlstore.DB) {
	ann, annEmails := newUser("ann")
	bob, bobEmails := newUser("bobby")
	for _, u := range []struct {
		u *latch.User
		e []latch.EmailAddress
	}{{ann, annEmails}, {bob, bobEmails}} {
		if err := db.Users.CreateUser(ctx, u.u, u.e); err != nil {
			t.Fatal(err)
		}
	}
	totp := &latch.Authenticator{UserID: ann.ID, Type: latch.AuthenticatorTOTP, Data: `{"secret":"x"}`, Counter: 7, Created: base}
	if err := db.Authenticators.AddAuthenticator(ctx, totp); err != nil || totp.ID == 0 {
		t.Fatalf("add: %v (id %d)", err, totp.ID)
	}
	second := &latch.Authenticator{UserID: ann.ID, Type: latch.AuthenticatorTOTP, Data: `{}`, Created: base}
	if err := db.Authenticators.AddAuthenticator(ctx, second); !errors.Is(err, latch.ErrConflict) {
		t.Fatalf("second TOTP: %v, want conflict", err)
	}
	codes := &latch.Authenticator{UserID: ann.ID, Type: latch.AuthenticatorRecoveryCodes, Data: `{"hashes":[]}`, Created: base.Add(time.Second)}
	if err := db.Authenticators.AddAuthenticator(ctx, codes); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		key := &latch.Authenticator{UserID: ann.ID, Type: latch.AuthenticatorWebAuthn, Data: `{}`, Created: base}
		if err := db.Authenticators.AddAuthenticator(ctx, key); err != nil {
			t.Fatalf("webauthn keys are not limited to one: %v", err)
		}
	}
	bobs := &latch.Authenticator{UserID: bob.ID, Type: latch.AuthenticatorTOTP, Data: `{}`, Created: base}
	if err := db.Authenticators.AddAuthenticator(ctx, bobs); err != nil {
		t.Fatalf("another user's TOTP: %v", err)
	}

	list, err := db.Authenticators.Authenticators(ctx, ann.ID)
	if err != nil || len(list) != 4 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	got := list[0]
	if got.ID != totp.ID || got.Type != "totp" || got.Data != totp.Data || got.Counter != 7 || !got.Created.Equal(base) || !got.LastUsed.IsZero() {
		t.Fatalf("read back %+v", got)
	}

	// Compare-and-swap on the counter.
	used := got
	used.Counter, used.LastUsed = 9, base.Add(time.Minute)
	if err := db.Authenticators.UpdateAuthenticator(ctx, &used, 7); err != nil {
		t.Fatal(err)
	}
	if err := db.Authenticators.UpdateAuthenticator(ctx, &used, 7); !errors.Is(err, latch.ErrStale) {
		t.Fatalf("update against an old counter: %v, want stale", err)
	}
	list, _ = db.Authenticators.Authenticators(ctx, ann.ID)
	if list[0].Counter != 9 || !list[0].LastUsed.Equal(base.Add(time.Minute)) {
		t.Fatalf("after update %+v", list[0])
	}

	// Of concurrent uses of one counter value, exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Go(func() {
			a := list[0]
			a.Counter = 10 + int64(i)
			if err := db.Authenticators.UpdateAuthenticator(ctx, &a, 9); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, latch.ErrStale) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent updates won, want 1", wins)
	}

	if err := db.Authenticators.DeleteAuthenticator(ctx, bob.ID, totp.ID); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("deleting another user's: %v, want not found", err)
	}
	if err := db.Authenticators.DeleteAuthenticator(ctx, ann.ID, totp.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Authenticators.AddAuthenticator(ctx, second); err != nil {
		t.Fatalf("TOTP after the old one was deleted: %v", err)
	}
}
