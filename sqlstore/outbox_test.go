package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlstore"
)

func TestOutbox(t *testing.T) {
	tests := []engineTest{
		{"claim, retry, fail, delete", testOutboxLifecycle},
		{"a message added in a unit of work is there only if it commits", testOutboxAtomic},
		{"concurrent claims take each message once", testOutboxConcurrentClaims},
	}
	runOnEngines(t, tests)
}

func testOutboxLifecycle(t *testing.T, db *sqlstore.DB) {
	o := db.Outbox
	if _, err := o.ClaimOutbox(ctx, "mail", base, time.Minute); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("claim on an empty outbox: err = %v, want ErrNotFound", err)
	}
	if err := o.AddOutbox(ctx, "mail", []byte(`{"a":1}`), base); err != nil {
		t.Fatal(err)
	}
	if err := o.AddOutbox(ctx, "webhook", []byte(`{"w":1}`), base); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ClaimOutbox(ctx, "mail", base.Add(-time.Second), time.Minute); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("claim before the message is due: err = %v, want ErrNotFound", err)
	}
	it, err := o.ClaimOutbox(ctx, "mail", base, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if it.Topic != "mail" || string(it.Payload) != `{"a":1}` || it.Attempts != 1 || !it.Created.Equal(base) {
		t.Fatalf("claimed %+v", it)
	}
	// Claimed: hidden until the lease ends, then claimable again.
	if _, err := o.ClaimOutbox(ctx, "mail", base.Add(59*time.Second), time.Minute); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("claim during the lease: err = %v, want ErrNotFound", err)
	}
	again, err := o.ClaimOutbox(ctx, "mail", base.Add(time.Minute), time.Minute)
	if err != nil || again.ID != it.ID || again.Attempts != 2 {
		t.Fatalf("claim after the lease: %+v, %v", again, err)
	}
	if err := o.RetryOutbox(ctx, it.ID, base.Add(time.Hour), "451 try later"); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ClaimOutbox(ctx, "mail", base.Add(59*time.Minute), time.Minute); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("claim before the retry is due: err = %v", err)
	}
	if pending, failed, err := o.OutboxCounts(ctx, "mail"); err != nil || pending != 1 || failed != 0 {
		t.Fatalf("counts = %d, %d, %v; want 1, 0", pending, failed, err)
	}
	if _, err := o.ClaimOutbox(ctx, "mail", base.Add(time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := o.FailOutbox(ctx, it.ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ClaimOutbox(ctx, "mail", base.Add(48*time.Hour), time.Minute); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("a failed message was claimed: err = %v", err)
	}
	if pending, failed, err := o.OutboxCounts(ctx, "mail"); err != nil || pending != 0 || failed != 1 {
		t.Fatalf("counts = %d, %d, %v; want 0, 1", pending, failed, err)
	}
	w, err := o.ClaimOutbox(ctx, "webhook", base, time.Minute)
	if err != nil || string(w.Payload) != `{"w":1}` {
		t.Fatalf("webhook claim: %+v, %v", w, err)
	}
	if err := o.DeleteOutbox(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if pending, _, _ := o.OutboxCounts(ctx, "webhook"); pending != 0 {
		t.Fatalf("%d webhooks pending after delete", pending)
	}
}

func testOutboxAtomic(t *testing.T, db *sqlstore.DB) {
	boom := errors.New("boom")
	err := db.Atomic(ctx, func(ctx context.Context) error {
		if err := db.Outbox.AddOutbox(ctx, "mail", []byte("rolled back"), base); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	err = db.Atomic(ctx, func(ctx context.Context) error {
		return db.Outbox.AddOutbox(ctx, "mail", []byte("committed"), base)
	})
	if err != nil {
		t.Fatal(err)
	}
	it, err := db.Outbox.ClaimOutbox(ctx, "mail", base, time.Minute)
	if err != nil || string(it.Payload) != "committed" {
		t.Fatalf("claim: %+v, %v", it, err)
	}
	if _, err := db.Outbox.ClaimOutbox(ctx, "mail", base, time.Minute); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("the rolled-back message is there: err = %v", err)
	}
}

func testOutboxConcurrentClaims(t *testing.T, db *sqlstore.DB) {
	const n, workers = 60, 8
	for i := range n {
		if err := db.Outbox.AddOutbox(ctx, "mail", fmt.Appendf(nil, "m%d", i), base.Add(time.Duration(i)*time.Microsecond)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				it, err := db.Outbox.ClaimOutbox(ctx, "mail", base.Add(time.Second), time.Hour)
				if errors.Is(err, latch.ErrNotFound) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[it.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d messages claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %d claimed %d times", id, c)
		}
	}
}
