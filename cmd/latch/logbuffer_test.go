package main

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flusher and the test.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

// TestLogBuffer: lines are written whole, in order, batched (many lines in
// one write), within the flush interval, at the size threshold at once, and
// at once after Close.
func TestLogBuffer(t *testing.T) {
	var out syncBuffer
	b := newLogBuffer(&out)
	for i := range 100 {
		b.Write([]byte("line " + strings.Repeat("x", i%7) + "\n"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, writes := out.String()
		if strings.Count(got, "\n") == 100 {
			if writes > 10 {
				t.Errorf("100 lines took %d writes", writes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lines not flushed: %q", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	big := strings.Repeat("y", logFlushBytes) + "\n"
	b.Write([]byte(big))
	// Past the size threshold the flusher is woken at once.
	waitFor(t, func() bool { got, _ := out.String(); return strings.HasSuffix(got, big) }, "a batch past the size threshold")
	b.Write([]byte("before close\n"))
	b.Close()
	if got, _ := out.String(); !strings.HasSuffix(got, "before close\n") {
		t.Error("Close did not flush")
	}
	b.Write([]byte("after close\n"))
	if got, _ := out.String(); !strings.HasSuffix(got, "after close\n") {
		t.Error("a write after Close was held back")
	}
	b.Close() // twice is harmless
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not written", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// blockingWriter stands for a stuck log destination (a full pipe): each
// write waits until released.
type blockingWriter struct {
	syncBuffer
	release chan struct{}
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	return w.syncBuffer.Write(p)
}

// TestLogBufferSlowDestination: while the destination is stuck, writers
// do not wait (below logMaxBytes); every line, from concurrent writers,
// arrives whole and in each writer's order once it moves again.
func TestLogBufferSlowDestination(t *testing.T) {
	out := &blockingWriter{release: make(chan struct{})}
	b := newLogBuffer(out)
	line := strings.Repeat("z", 200)
	const writers, lines = 4, 200 // 4 × 200 × ~210 B: past the flush size, below the cap
	var wg sync.WaitGroup
	finished := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				b.Write([]byte(string(rune('a'+w)) + " " + strconv.Itoa(i) + " " + line + "\n"))
			}
		})
	}
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("writers waited for a stuck destination")
	}
	close(out.release)
	b.Close()
	got, _ := out.String()
	next := make([]int, writers)
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 || f[2] != line {
			t.Fatalf("torn line %q", l)
		}
		w := int(f[0][0] - 'a')
		if n, _ := strconv.Atoi(f[1]); n != next[w] {
			t.Fatalf("writer %d: line %d after %d", w, n, next[w]-1)
		}
		next[w]++
	}
	for w, n := range next {
		if n != lines {
			t.Errorf("writer %d: %d lines of %d", w, n, lines)
		}
	}
}
