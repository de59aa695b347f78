package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/redis"
)

// testPrefix returns a key prefix of the test's own, or skips the test
// when LATCH_TEST_REDIS_URL is unset.
func testPrefix(t *testing.T) string {
	if os.Getenv("LATCH_TEST_REDIS_URL") == "" {
		t.Skip("Redis tests skipped: set LATCH_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run them")
	}
	var b [6]byte
	rand.Read(b[:])
	return "latchtest:" + hex.EncodeToString(b[:]) + ":"
}

// open connects to LATCH_TEST_REDIS_URL under prefix.
func open(t *testing.T, prefix string, now func() time.Time) *redis.Limiter {
	l, err := redis.Open(context.Background(), os.Getenv("LATCH_TEST_REDIS_URL"), prefix, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestSlidingWindow(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	l := open(t, testPrefix(t), clock)
	r := ratelimit.Rate{Amount: 3, Period: time.Minute, Per: "ip"}
	for i := 0; i < 3; i++ {
		if ok, _, err := l.Hit(ctx, "k", r); err != nil || !ok {
			t.Fatalf("hit %d: %v %v", i, ok, err)
		}
		advance(10 * time.Second)
	}
	if ok, _, _ := l.Peek(ctx, "k", r); ok {
		t.Error("peek allows an exhausted key")
	}
	ok, retry, err := l.Hit(ctx, "k", r)
	if err != nil || ok || retry != 30*time.Second {
		t.Errorf("fourth hit: ok %v retry %v err %v, want refused, 30s", ok, retry, err)
	}
	if ok, _, _ := l.Hit(ctx, "other", r); !ok {
		t.Error("another key shares the budget")
	}
	advance(31 * time.Second)
	if ok, _, _ := l.Hit(ctx, "k", r); !ok {
		t.Error("refused after the oldest entry left the window")
	}
	if err := l.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := l.Peek(ctx, "k", r); !ok {
		t.Error("reset did not clear the key")
	}
	if ok, retry, _ := l.Hit(ctx, "z", ratelimit.Rate{Amount: 0, Period: time.Minute}); ok || retry != time.Minute {
		t.Errorf("zero budget: %v %v", ok, retry)
	}
}

// TestSharedBetweenNodes: two limiters (two nodes) on one Redis spend one
// budget, even when they hit at once.
func TestSharedBetweenNodes(t *testing.T) {
	ctx := context.Background()
	prefix := testPrefix(t)
	a, nodeB := open(t, prefix, nil), open(t, prefix, nil)
	r := ratelimit.Rate{Amount: 10, Period: time.Minute}
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l := a
			if i%2 == 1 {
				l = nodeB
			}
			if ok, _, err := l.Hit(ctx, "shared", r); err == nil && ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if allowed != 10 {
		t.Errorf("%d hits allowed across two nodes, want exactly 10", allowed)
	}
}
