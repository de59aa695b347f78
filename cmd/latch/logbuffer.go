package main

import (
	"io"
	"sync"
	"time"
)

// logBuffer batches the log's lines: one write system call per flush
// instead of one per line (per request, with the access log). It flushes
// every logFlushEvery, when it holds logFlushBytes, and on Close; a line is
// thus written at most logFlushEvery late, and a process killed outright
// loses at most that much of its log.
//
// The lines are appended under mu, which is held only for the copy; the
// batch is written under out, outside mu, so that a slow destination (a
// pipe to a log collector) never makes a request wait for its line's lock.
// Only when logMaxBytes are waiting does a writer wait for the destination,
// so a stuck destination cannot grow the buffer without bound.
type logBuffer struct {
	mu    sync.Mutex
	buf   []byte
	spare []byte // the other buffer, swapped in at a flush
	// closed: Close has run; writes go through at once.
	closed bool

	out sync.Mutex // held while writing a batch: keeps batches in order
	w   io.Writer

	kick chan struct{} // a full batch is waiting
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

const (
	logFlushEvery = 100 * time.Millisecond
	logFlushBytes = 32 << 10
	logMaxBytes   = 1 << 20
)

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: w, buf: make([]byte, 0, 2*logFlushBytes), spare: make([]byte, 0, 2*logFlushBytes),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// Write takes a whole line (log/slog and the access log write one per
// call), so lines are never torn.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	n := len(b.buf)
	closed := b.closed
	b.mu.Unlock()
	switch {
	case closed || n >= logMaxBytes:
		b.flush()
	case n >= logFlushBytes:
		select {
		case b.kick <- struct{}{}:
		default: // the flusher is already asked
		}
	}
	return len(p), nil
}

// flush writes what is buffered.
func (b *logBuffer) flush() {
	b.out.Lock()
	defer b.out.Unlock()
	b.mu.Lock()
	batch := b.buf
	b.buf, b.spare = b.spare[:0], nil
	b.mu.Unlock()
	if len(batch) > 0 {
		b.w.Write(batch) // a failing log destination must not fail the server
	}
	if cap(batch) > 4*logFlushBytes {
		batch = make([]byte, 0, 2*logFlushBytes) // a burst grew it: let it go
	}
	b.mu.Lock()
	b.spare = batch[:0]
	b.mu.Unlock()
}

func (b *logBuffer) run() {
	defer close(b.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-b.kick:
		case <-b.stop:
			return
		}
		b.flush()
	}
}

// Close flushes what is buffered and stops the flusher; later writes go
// through at once.
func (b *logBuffer) Close() error {
	b.once.Do(func() {
		close(b.stop)
		<-b.done
	})
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.flush()
	return nil
}
