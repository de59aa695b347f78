package httpapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// requestContext is a request's context: its parent (net/http's), its id
// and the deadline of the request timeout. The deadline needs a timer only
// when something waits on Done — a store call, a provider request — so the
// timer (context.WithDeadline's) is started then, on the first Done, and a
// request answered from memory, a cached session check, pays for none.
//
// Once started, Value and Err come from the timer's context, so that a
// child context (context.WithCancel and the like) registers with it as with
// any context of the standard library, with no goroutine to watch it.
type requestContext struct {
	parent   context.Context
	id       string
	deadline time.Time

	once    sync.Once
	started atomic.Bool // timed is set
	ended   atomic.Bool // end ran before anything started the timer
	timed   context.Context
	cancel  context.CancelFunc
}

// closedChan is the Done of a request context that ended unstarted.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *requestContext) init(parent context.Context, id string, deadline time.Time) {
	c.parent, c.id, c.deadline = parent, id, deadline
	if d, ok := parent.Deadline(); ok && d.Before(deadline) {
		c.deadline = d
	}
}

func (c *requestContext) start() {
	c.once.Do(func() {
		c.timed, c.cancel = context.WithDeadline(c.parent, c.deadline)
		c.started.Store(true)
	})
}

// end releases the timer, if one was started; the context is then done
// (Canceled), as net/http's is once the handler has returned.
func (c *requestContext) end() {
	c.once.Do(func() { c.ended.Store(true) }) // never starts after this
	if c.started.Load() {
		c.cancel()
	}
}

func (c *requestContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *requestContext) Done() <-chan struct{} {
	c.start()
	if !c.started.Load() { // ended before anyone waited
		return closedChan
	}
	return c.timed.Done()
}

func (c *requestContext) Err() error {
	if c.started.Load() {
		return c.timed.Err()
	}
	if c.ended.Load() {
		return context.Canceled
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *requestContext) Value(key any) any {
	if _, ok := key.(requestIDKey); ok {
		return c // RequestID reads c.id: returning the string would box it
	}
	if c.started.Load() {
		return c.timed.Value(key)
	}
	return c.parent.Value(key)
}

func (c *requestContext) String() string { return "httpapi.requestContext" }
