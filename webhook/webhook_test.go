package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/webhook"
)

type received struct {
	id, sig string
	body    []byte
}

// TestDeliveries on each engine: an event committed in a unit of work is
// delivered, signed, to each endpoint subscribed to its type (retried after
// a 500 with the same event id); a rolled-back unit delivers nothing; an
// endpoint not subscribed gets nothing.
func TestDeliveries(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			var mu sync.Mutex
			var got []received
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				calls++
				if calls == 1 {
					w.WriteHeader(500) // the first attempt fails
					return
				}
				got = append(got, received{r.Header.Get("Latch-Event-Id"), r.Header.Get("Latch-Signature"), b})
			}))
			defer srv.Close()
			const secret = "a-webhook-secret-of-32-characters"
			eps, err := webhook.Parse(`[{"url":"`+srv.URL+`/hook","secret":"`+secret+`","events":["user.logged_in"]},
				{"url":"`+srv.URL+`/other","secret":"another-secret-xyz","events":["user.signed_up"]}]`, account.Events)
			if err != nil {
				t.Fatal(err)
			}
			var results []string
			d := webhook.Start(webhook.Config{Endpoints: eps, Outbox: db.Outbox, Backoff: 20 * time.Millisecond, Poll: 20 * time.Millisecond,
				Observe: func(r string) { mu.Lock(); results = append(results, r); mu.Unlock() }})
			defer d.Close()
			sink := webhook.NewSink(eps, db.Outbox, d.Wake)
			user := &latch.User{PublicID: "6f1c7a8e-0000-4000-8000-000000000001", Email: "ann@example.com"}
			ctx := context.Background()
			boom := errors.New("rolled back")
			if err := db.Atomic(ctx, func(ctx context.Context) error {
				if err := sink.Record(ctx, &latch.Event{Type: "user.logged_in", At: time.Now(), User: user}); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Fatal(err)
			}
			// A recent event: deliveries are retried for RetryFor (24 h) from
			// the event's time, so a fixed date in the past made this test
			// fail from a day after it was written.
			at := time.Now().UTC().Truncate(time.Second)
			if err := db.Atomic(ctx, func(ctx context.Context) error {
				return sink.Record(ctx, &latch.Event{Type: "user.logged_in", At: at, User: user, Data: []latch.EventField{{Key: "method", Value: "password"}}})
			}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n >= 1 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // a duplicate would arrive now
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || calls != 2 || strings.Join(results, ",") != "retry,delivered" {
				t.Fatalf("%d deliveries in %d calls (%v), want 1 in 2 (a retry after the 500)", len(got), calls, results)
			}
			r := got[0]
			var body map[string]any
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			if body["id"] != r.id || !strings.HasPrefix(r.id, "evt_") || body["type"] != "user.logged_in" || body["at"] != at.Format(time.RFC3339) ||
				body["user"].(map[string]any)["email"] != "ann@example.com" || body["data"].(map[string]any)["method"] != "password" {
				t.Errorf("body %s, id %s", r.body, r.id)
			}
			ts, _, _ := strings.Cut(strings.TrimPrefix(r.sig, "t="), ",")
			if want := webhook.Sign(secret, unix(t, ts), r.body); r.sig != want {
				t.Errorf("signature %s, want %s", r.sig, want)
			}
			if pending, failed, _ := db.Outbox.OutboxCounts(ctx, webhook.Topic); pending != 0 || failed != 0 {
				t.Errorf("outbox: %d pending, %d failed", pending, failed)
			}
		})
	}
}

func unix(t *testing.T, s string) time.Time {
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return time.Unix(n, 0)
}

// TestDeliveryGivenUp on each engine: a delivery whose event is older than
// RetryFor is given up at its first failure and kept as failed, not retried.
func TestDeliveryGivenUp(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				w.WriteHeader(500)
			}))
			defer srv.Close()
			eps, err := webhook.Parse(`[{"url":"`+srv.URL+`/hook","secret":"a-webhook-secret-of-32-characters","events":["user.logged_in"]}]`, account.Events)
			if err != nil {
				t.Fatal(err)
			}
			results := make(chan string, 10)
			d := webhook.Start(webhook.Config{Endpoints: eps, Outbox: db.Outbox, Backoff: 20 * time.Millisecond, Poll: 20 * time.Millisecond,
				RetryFor: time.Hour, Observe: func(r string) { results <- r }})
			defer d.Close()
			sink := webhook.NewSink(eps, db.Outbox, d.Wake)
			ctx := context.Background()
			old := &latch.Event{Type: "user.logged_in", At: time.Now().Add(-2 * time.Hour), User: &latch.User{PublicID: "6f1c7a8e-0000-4000-8000-000000000002"}}
			if err := db.Atomic(ctx, func(ctx context.Context) error { return sink.Record(ctx, old) }); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-results:
				if r != "failed" {
					t.Fatalf("first attempt: %s, want failed (the event is older than RetryFor)", r)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no attempt in 10 s")
			}
			time.Sleep(100 * time.Millisecond) // a retry would come now
			mu.Lock()
			defer mu.Unlock()
			if calls != 1 {
				t.Errorf("%d calls, want 1", calls)
			}
			if pending, failed, _ := db.Outbox.OutboxCounts(ctx, webhook.Topic); pending != 0 || failed != 1 {
				t.Errorf("outbox: %d pending, %d failed, want 0 and 1", pending, failed)
			}
		})
	}
}

// TestSignature pins the signature against an HMAC computed by hand
// (openssl dgst -sha256 -hmac secret of "1700000000.{}").
func TestSignature(t *testing.T) {
	got := webhook.Sign("secret", time.Unix(1700000000, 0), []byte("{}"))
	if got != "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163" {
		t.Errorf("signature %s", got)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{
		`{}`, `[{"url":"ftp://x","secret":"0123456789abcdef","events":["*"]}]`,
		`[{"url":"https://x","secret":"short","events":["*"]}]`,
		`[{"url":"https://x","secret":"0123456789abcdef","events":[]}]`,
		`[{"url":"https://x","secret":"0123456789abcdef","events":["user.nope"]}]`,
		`[{"url":"https://x","secret":"0123456789abcdef","events":["*"],"extra":1}]`,
	} {
		if _, err := webhook.Parse(bad, account.Events); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if l, err := webhook.Parse(`[{"url":"https://x.example/h","secret":"0123456789abcdef","events":["*"]}]`, account.Events); err != nil || len(l) != 1 {
		t.Errorf("%v %v", l, err)
	}
}
