package keyring

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
)

// The periodic reload keeps the key set while the stored keys are unchanged,
// so the set's cache of verified tokens survives it; a rotation replaces it.
func TestReloadKeepsUnchangedKeySet(t *testing.T) {
	ctx := context.Background()
	db := testdb.Engines()[0].Open(t).Keys
	now := time.Unix(1_800_000_000, 0)
	kr, err := Open(ctx, db, strings.Repeat("k", 40), jwt.ES256, 5*time.Minute, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	kr.SetPublishDelay(0)
	before := kr.set
	now = now.Add(5 * time.Second)
	if err := kr.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if kr.set != before {
		t.Error("a reload with unchanged keys replaced the key set")
	}
	if !kr.reloaded.Equal(now) {
		t.Errorf("reload time %v, want %v", kr.reloaded, now)
	}
	if _, err := kr.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if kr.set == before || len(kr.set.Keys()) != 2 {
		t.Errorf("a rotation kept the old key set (%d keys)", len(kr.set.Keys()))
	}
}
