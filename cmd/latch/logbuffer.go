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
type logBuffer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
	// closed: Close has run; writes go through at once.
	closed bool
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

const (
	logFlushEvery = 100 * time.Millisecond
	logFlushBytes = 32 << 10
)

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: w, buf: make([]byte, 0, 2*logFlushBytes), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// Write takes a whole line (log/slog and the access log write one per
// call), so lines are never torn.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if b.closed || len(b.buf) >= logFlushBytes {
		b.flushLocked()
	}
	return len(p), nil
}

func (b *logBuffer) flushLocked() {
	if len(b.buf) > 0 {
		b.w.Write(b.buf) // a failing log destination must not fail the server
		b.buf = b.buf[:0]
	}
}

func (b *logBuffer) run() {
	defer close(b.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-b.stop:
			return
		}
		b.mu.Lock()
		b.flushLocked()
		b.mu.Unlock()
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
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	return nil
}
