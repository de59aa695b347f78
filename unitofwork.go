package latch

import (
	"context"
	"sync"
)

// A unit of work is a group of store writes that commit together or not at
// all. The store adapters open it (sqlstore.DB.Atomic) and carry it in the
// context; this file holds the part other packages see: work to do once it
// has committed.

type commitHooksKey struct{}

// commitHooks are the functions waiting for a unit of work to commit.
type commitHooks struct {
	mu  sync.Mutex
	fns []func()
}

// AfterCommit runs fn once the unit of work that ctx belongs to has
// committed, and never if it rolls back; with no unit of work in ctx it runs
// fn at once. Caches and messages to other nodes use it to act only on what
// is durable.
func AfterCommit(ctx context.Context, fn func()) {
	h, _ := ctx.Value(commitHooksKey{}).(*commitHooks)
	if h == nil {
		fn()
		return
	}
	h.mu.Lock()
	h.fns = append(h.fns, fn)
	h.mu.Unlock()
}

// WithCommitHooks returns a context for a new unit of work and the function
// the store calls when it ends: done(true) after a commit runs the hooks
// registered with AfterCommit, in order; done(false) drops them.
func WithCommitHooks(ctx context.Context) (_ context.Context, done func(committed bool)) {
	h := &commitHooks{}
	return context.WithValue(ctx, commitHooksKey{}, h), func(committed bool) {
		h.mu.Lock()
		fns := h.fns
		h.fns = nil
		h.mu.Unlock()
		if committed {
			for _, fn := range fns {
				fn()
			}
		}
	}
}
