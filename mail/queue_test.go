package mail

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// memQueue is a Queue in memory for the package's own tests; the store's
// outbox is tested against both engines in sqlstore, and with the Mailer in
// latchtest and cmd/latch.
type memQueue struct {
	mu     sync.Mutex
	nextID int64
	items  map[int64]*memItem
}

type memItem struct {
	latch.OutboxItem
	due    time.Time
	failed bool
	reason string
}

func newMemQueue() *memQueue { return &memQueue{items: map[int64]*memItem{}} }

func (q *memQueue) AddOutbox(_ context.Context, topic string, payload []byte, at time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.nextID++
	q.items[q.nextID] = &memItem{OutboxItem: latch.OutboxItem{ID: q.nextID, Topic: topic, Payload: payload, Created: at}, due: at}
	return nil
}

func (q *memQueue) ClaimOutbox(_ context.Context, topic string, now time.Time, lease time.Duration) (*latch.OutboxItem, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var best *memItem
	for _, it := range q.items {
		if it.Topic == topic && !it.failed && !it.due.After(now) && (best == nil || it.due.Before(best.due) || it.due.Equal(best.due) && it.ID < best.ID) {
			best = it
		}
	}
	if best == nil {
		return nil, latch.ErrNotFound
	}
	best.due = now.Add(lease)
	best.Attempts++
	c := best.OutboxItem
	return &c, nil
}

func (q *memQueue) DeleteOutbox(_ context.Context, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.items, id)
	return nil
}

func (q *memQueue) RetryOutbox(_ context.Context, id int64, at time.Time, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if it := q.items[id]; it != nil {
		it.due, it.reason = at, reason
	}
	return nil
}

func (q *memQueue) FailOutbox(_ context.Context, id int64, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if it := q.items[id]; it != nil {
		it.failed, it.reason = true, reason
	}
	return nil
}

// counts returns how many messages wait and how many were given up.
func (q *memQueue) counts() (pending, failed int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range q.items {
		if it.failed {
			failed++
		} else {
			pending++
		}
	}
	return pending, failed
}

// settle waits until no message waits for delivery.
func (q *memQueue) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		if p, _ := q.counts(); p == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("messages still pending after %v", waitFor)
		}
		time.Sleep(time.Millisecond)
	}
}
