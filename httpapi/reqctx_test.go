package httpapi

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

type ctxKey string

func TestRequestContext(t *testing.T) {
	parentOf := func() (context.Context, context.CancelFunc) {
		return context.WithCancel(context.WithValue(context.Background(), ctxKey("k"), "v"))
	}
	t.Run("values and deadline, no timer until waited on", func(t *testing.T) {
		p, cancel := parentOf()
		defer cancel()
		var c requestContext
		dl := time.Now().Add(time.Hour)
		c.init(p, "id-1", dl)
		if RequestID(&c) != "id-1" || c.Value(ctxKey("k")) != "v" {
			t.Fatalf("values: %v %v", RequestID(&c), c.Value(ctxKey("k")))
		}
		if d, ok := c.Deadline(); !ok || !d.Equal(dl) {
			t.Fatalf("deadline %v %v", d, ok)
		}
		if c.Err() != nil || c.started.Load() {
			t.Fatalf("err %v, started %v", c.Err(), c.started.Load())
		}
		child := context.WithValue(&c, ctxKey("x"), 1) // as a handler would
		if RequestID(child) != "id-1" || c.started.Load() {
			t.Fatal("a value child started the timer or lost the id")
		}
		select {
		case <-c.Done():
			t.Fatal("done early")
		default:
		}
		if !c.started.Load() || RequestID(&c) != "id-1" || c.Value(ctxKey("k")) != "v" {
			t.Fatal("after Done: not started, or values lost")
		}
		c.end()
		if !errors.Is(c.Err(), context.Canceled) {
			t.Fatalf("after end: %v", c.Err())
		}
	})
	t.Run("deadline passes", func(t *testing.T) {
		p, cancel := parentOf()
		defer cancel()
		var c requestContext
		c.init(p, "id", time.Now().Add(20*time.Millisecond))
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("deadline never came")
		}
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Fatalf("err %v", c.Err())
		}
		c.end()
	})
	t.Run("deadline passed, nobody waited", func(t *testing.T) {
		var c requestContext
		c.init(context.Background(), "id", time.Now().Add(-time.Millisecond))
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Fatalf("err %v", c.Err())
		}
		c.end()
	})
	t.Run("an earlier parent deadline wins", func(t *testing.T) {
		p, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var c requestContext
		c.init(p, "id", time.Now().Add(time.Hour))
		if d, _ := c.Deadline(); d.After(time.Now().Add(2 * time.Minute)) {
			t.Fatalf("deadline %v", d)
		}
	})
	t.Run("parent cancellation", func(t *testing.T) {
		for _, waited := range []bool{false, true} {
			p, cancel := parentOf()
			var c requestContext
			c.init(p, "id", time.Now().Add(time.Hour))
			if waited {
				c.Done()
			}
			cancel()
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("parent's cancellation not seen")
			}
			if !errors.Is(c.Err(), context.Canceled) {
				t.Fatalf("err %v", c.Err())
			}
			c.end()
		}
	})
	t.Run("ended unstarted", func(t *testing.T) {
		var c requestContext
		c.init(context.Background(), "id", time.Now().Add(time.Hour))
		c.end()
		select {
		case <-c.Done():
		default:
			t.Fatal("not done after end")
		}
		if !errors.Is(c.Err(), context.Canceled) || c.started.Load() {
			t.Fatalf("err %v started %v", c.Err(), c.started.Load())
		}
	})
	t.Run("children register without a goroutine each", func(t *testing.T) {
		var c requestContext
		c.init(context.Background(), "id", time.Now().Add(time.Hour))
		before := runtime.NumGoroutine()
		cancels := make([]context.CancelFunc, 100)
		for i := range cancels {
			_, cancels[i] = context.WithCancel(&c)
		}
		if n := runtime.NumGoroutine() - before; n > 10 {
			t.Errorf("%d goroutines for 100 child contexts", n)
		}
		child, cancelChild := context.WithCancel(&c)
		defer cancelChild()
		c.end() // cancels the timer context, and with it the children
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("child not canceled with the request")
		}
		for _, f := range cancels {
			f()
		}
	})
}

// TestNewRequestID: 32 lower-case hex digits, accepted as an incoming id,
// distinct from one request to the next.
func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID(new([32]byte))
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" || !saneRequestID(id) {
			t.Fatalf("id %q", id)
		}
		if seen[id] {
			t.Fatalf("id %q twice", id)
		}
		seen[id] = true
	}
}
