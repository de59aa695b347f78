package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/ratelimit"
)

// TestAccountSubject: a known account is its internal id whichever
// identifier was typed, so email and username share one budget; an
// unknown one is the identifier typed, case-folded, per method.
func TestAccountSubject(t *testing.T) {
	ann := &latch.User{ID: 7, Email: "ann@example.com", Username: "ann"}
	for _, tc := range []struct {
		user          *latch.User
		method, ident string
		want          string
	}{
		{ann, "email", "ann@example.com", "user:7"},
		{ann, "username", "Ann", "user:7"},
		{ann, "", "", "user:7"}, // as forgiveLoginFailures asks
		{&latch.User{ID: 8}, "email", "ann@example.com", "user:8"},
		{nil, "email", "Nobody@Example.com", "email:nobody@example.com"},
		{nil, "username", "Nobody", "username:nobody"},
		{nil, "email", "nobody", "email:nobody"},
	} {
		if got := accountSubject(tc.user, tc.method, tc.ident); got != tc.want {
			t.Errorf("accountSubject(%v, %q, %q) = %q, want %q", tc.user, tc.method, tc.ident, got, tc.want)
		}
	}
	if accountSubject(nil, "email", "x") == accountSubject(nil, "username", "x") {
		t.Error("an unknown email and username share a budget")
	}
}

func hashedKey(action, key string) string {
	h := sha256.Sum256([]byte(key))
	return action + ":key:" + hex.EncodeToString(h[:16])
}

// TestLimitKey: per-ip and per-user budgets key on the client's address and
// the logged-in user; per-key budgets on a hash of the subject; no subject,
// no budget ("").
func TestLimitKey(t *testing.T) {
	anon := &State{Client: latch.Client{IP: "192.0.2.1"}}
	user := &State{Client: latch.Client{IP: "192.0.2.1"}, User: &latch.User{ID: 42}}
	noIP := &State{User: &latch.User{ID: 42}}
	for _, tc := range []struct {
		name, per string
		st        *State
		key       string
		want      string
	}{
		{"ip", "ip", anon, "", "login:ip:192.0.2.1"},
		{"ip ignores the key", "ip", anon, "ann@example.com", "login:ip:192.0.2.1"},
		{"ip, no address", "ip", noIP, "", ""},
		{"ip, no state", "ip", nil, "", ""},
		{"user", "user", user, "", "login:user:42"},
		{"user, anonymous", "user", anon, "", ""},
		{"user, no state", "user", nil, "", ""},
		{"key", "key", anon, "ann@example.com", hashedKey("login", "ann@example.com")},
		{"key, no state", "key", nil, "ann@example.com", hashedKey("login", "ann@example.com")},
		{"key, empty", "key", user, "", ""},
	} {
		if got := limitKey("login", tc.per, tc.st, tc.key); got != tc.want {
			t.Errorf("%s: limitKey = %q, want %q", tc.name, got, tc.want)
		}
	}
	k := limitKey("login", "key", nil, "ann@example.com")
	if strings.Contains(k, "ann") {
		t.Errorf("the key budget %q shows its subject", k)
	}
	if k == limitKey("signup", "key", nil, "ann@example.com") {
		t.Error("two actions share a key budget")
	}
	if k == limitKey("login", "key", nil, "Ann@example.com") {
		t.Error("limitKey folds case; callers are meant to (accountSubject, normalizeEmail)")
	}
}

// testBudget is a budget over an in-memory limiter and a fake clock,
// counting its refusals.
func testBudget(rates map[string][]ratelimit.Rate) (*budget, *time.Time, *[]string) {
	now := time.Unix(1_800_000_000, 0)
	var hits []string
	b := &budget{limiter: ratelimit.NewMemory(func() time.Time { return now }), rates: rates,
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		hit: func(_ context.Context, _ *State, action string) { hits = append(hits, action) }}
	return b, &now, &hits
}

// TestTakeAllOrNothing: take consumes a unit of every budget of an action,
// or none: when one is spent, the units already taken are given back; refund
// gives back what a take took.
func TestTakeAllOrNothing(t *testing.T) {
	ctx := context.Background()
	rates := map[string][]ratelimit.Rate{"act": {
		{Amount: 3, Period: time.Minute, Per: "ip"},
		{Amount: 1, Period: time.Minute, Per: "key"},
	}}
	st := &State{Client: latch.Client{IP: "192.0.2.1"}}
	type step struct {
		key    string
		ok     bool
		refund bool // give the units back after a successful take
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		// The key budget refuses the second take for a; the ip unit it took
		// first is given back, so b and c still fit in the ip budget of 3.
		{"refused key gives back ip", []step{{"a", true, false}, {"a", false, false}, {"b", true, false}, {"c", true, false}, {"d", false, false}}},
		// A refunded take costs nothing: a can be taken again.
		{"refund", []step{{"a", true, true}, {"a", true, true}, {"a", true, false}, {"a", false, false}}},
		// A refused ip budget takes nothing from the key budget either.
		{"refused ip takes no key", []step{{"a", true, false}, {"b", true, false}, {"c", true, false}, {"d", false, false}}},
		// No subject: the key budget is skipped, the ip budget still counts.
		{"no key", []step{{"", true, false}, {"", true, false}, {"", true, false}, {"", false, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, now, hits := testBudget(rates)
			refused := 0
			for i, s := range tc.steps {
				taken, err := b.take(ctx, "act", st, s.key)
				var rl *latch.RateLimitError
				if s.ok != (err == nil) {
					t.Fatalf("step %d (%q): err %v, want ok=%v", i, s.key, err, s.ok)
				}
				if !s.ok {
					refused++
					if !errors.As(err, &rl) || rl.Action != "act" || rl.RetryAfter <= 0 || taken != nil {
						t.Fatalf("step %d: %v, taken %v", i, err, taken)
					}
					continue
				}
				want := 2
				if s.key == "" {
					want = 1
				}
				if len(taken) != want {
					t.Fatalf("step %d: took %v", i, taken)
				}
				if s.refund {
					b.refund(ctx, taken)
				}
			}
			if len(*hits) != refused {
				t.Errorf("%d rate_limit.hit reports, %d refusals", len(*hits), refused)
			}
			// The budgets' windows pass: everything fits again.
			*now = now.Add(time.Minute + time.Second)
			if _, err := b.take(ctx, "act", st, "a"); err != nil {
				t.Errorf("after the window: %v", err)
			}
		})
	}
}

// TestPeekConsumesNothing: peek reports a spent budget as limit does but
// never takes a unit.
func TestPeekConsumesNothing(t *testing.T) {
	ctx := context.Background()
	b, _, hits := testBudget(map[string][]ratelimit.Rate{"act": {{Amount: 1, Period: time.Minute, Per: "key"}}})
	for i := 0; i < 3; i++ {
		if err := b.peek(ctx, "act", nil, "k"); err != nil {
			t.Fatalf("peek %d: %v", i, err)
		}
	}
	if err := b.limit(ctx, "act", nil, "k"); err != nil {
		t.Fatalf("limit after peeks: %v", err)
	}
	var rl *latch.RateLimitError
	if err := b.peek(ctx, "act", nil, "k"); !errors.As(err, &rl) {
		t.Fatalf("peek of a spent budget: %v", err)
	}
	if err := b.limit(ctx, "act", nil, "other"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if len(*hits) != 1 {
		t.Errorf("%d refusals reported, want 1", len(*hits))
	}
}
