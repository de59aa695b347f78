package main

import (
	"bytes"
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
	if got, _ := out.String(); !strings.HasSuffix(got, big) {
		t.Error("a write past the size threshold was not flushed at once")
	}
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
