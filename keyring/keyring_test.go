package keyring_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/keyring"
)

func TestKeyring(t *testing.T) {
	ctx := context.Background()
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t).Keys
			now := time.Unix(1_800_000_000, 0)
			clock := func() time.Time { return now }
			secret := strings.Repeat("k", 40)
			kr, err := keyring.Open(ctx, db, secret, jwt.ES256, 5*time.Minute, clock)
			if err != nil {
				t.Fatal(err)
			}
			claims := &jwt.Claims{Issuer: "i", Audience: "a", Subject: "s", IssuedAt: now.Unix(), Expires: now.Add(time.Minute).Unix()}
			first, err := kr.Sign(claims)
			if err != nil {
				t.Fatal(err)
			}
			// A second node opening the same database uses the same key.
			other, err := keyring.Open(ctx, db, secret, jwt.ES256, 5*time.Minute, clock)
			if err != nil {
				t.Fatal(err)
			}
			if len(other.Keys()) != 1 || other.Keys()[0].ID != kr.Keys()[0].ID {
				t.Fatalf("second node's keys %v, first's %v", other.Keys(), kr.Keys())
			}
			if _, err := other.Verify(ctx, first, "i", "a"); err != nil {
				t.Errorf("second node cannot verify: %v", err)
			}
			// The wrong master secret cannot open the keys.
			if _, err := keyring.Open(ctx, db, strings.Repeat("x", 40), jwt.ES256, 5*time.Minute, clock); err == nil || !strings.Contains(err.Error(), "LATCH_SECRET_KEY") {
				t.Errorf("wrong secret: %v", err)
			}
			// Rotation on one node; the other picks the new key up when a
			// token names it (after its reload pause).
			if _, err := kr.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
			second, _ := kr.Sign(claims)
			now = now.Add(6 * time.Second)
			if _, err := other.Verify(ctx, second, "i", "a"); err != nil {
				t.Errorf("other node rejects the rotated key's token: %v", err)
			}
			if _, err := other.Verify(ctx, first, "i", "a"); err != nil {
				t.Errorf("old key stopped verifying before retiring: %v", err)
			}
			// After the overlap the old key is gone.
			now = now.Add(5 * time.Minute)
			if err := other.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(other.Keys()); n != 1 {
				t.Errorf("%d keys after the old one retired", n)
			}
			if !strings.Contains(string(other.JWKS()), `"alg":"ES256"`) {
				t.Errorf("JWKS: %s", other.JWKS())
			}
		})
	}
}

// A rotated key is published in the JWKS at once but signs only after
// PublishDelay: until then the key it replaces signs, so a verifier that
// cached the JWKS before the rotation never meets an unknown kid.
func TestRotatedKeyPublishedBeforeItSigns(t *testing.T) {
	ctx := context.Background()
	db := testdb.OpenSQLite(t).Keys
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	kr, err := keyring.Open(ctx, db, strings.Repeat("k", 40), jwt.EdDSA, 5*time.Minute, clock)
	if err != nil {
		t.Fatal(err)
	}
	kidOf := func() string {
		tok, err := kr.Sign(&jwt.Claims{Issuer: "i", Audience: "a", Subject: "s", IssuedAt: now.Unix(), Expires: now.Add(time.Minute).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		var head struct{ Kid string }
		json.Unmarshal(h, &head)
		return head.Kid
	}
	old := kidOf()
	now = now.Add(time.Hour)
	// Rotated as `latch keys rotate` does: by another process.
	rotator, err := keyring.Open(ctx, db, strings.Repeat("k", 40), jwt.EdDSA, 5*time.Minute, clock)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := rotator.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(kr.JWKS()), fresh) {
		t.Fatalf("the new key %s is not in the JWKS after a reload: %s", fresh, kr.JWKS())
	}
	if got := kidOf(); got != old {
		t.Errorf("right after the rotation tokens are signed by %s, want the published %s", got, old)
	}
	now = now.Add(keyring.PublishDelay)
	if err := kr.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kidOf(); got != fresh {
		t.Errorf("after the publish delay tokens are signed by %s, want the new %s", got, fresh)
	}
}
