package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestParseRates(t *testing.T) {
	tests := []struct {
		in   string
		want []Rate
		bad  bool
	}{
		{in: "", want: nil},
		{in: "30/m/ip", want: []Rate{{30, time.Minute, "ip"}}},
		{in: "10/m/ip,5/5m/key", want: []Rate{{10, time.Minute, "ip"}, {5, 5 * time.Minute, "key"}}},
		{in: "1/10s/key", want: []Rate{{1, 10 * time.Second, "key"}}},
		{in: "5/m", want: []Rate{{5, time.Minute, "ip"}}},
		{in: "20/2h/user", want: []Rate{{20, 2 * time.Hour, "user"}}},
		{in: "x/m", bad: true},
		{in: "5/5w", bad: true},
		{in: "5/m/host", bad: true},
		{in: "5", bad: true},
		{in: "5/0m", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseRates(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseRates(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRates(%q): %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseRates(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("ParseRates(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestMemorySlidingWindow(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	m := NewMemory(func() time.Time { return now })
	r := Rate{Amount: 3, Period: time.Minute, Per: "ip"}
	for i := 0; i < 3; i++ {
		if ok, _, _ := m.Hit(ctx, "k", r); !ok {
			t.Fatalf("hit %d refused", i)
		}
		now = now.Add(10 * time.Second)
	}
	ok, retry, _ := m.Hit(ctx, "k", r)
	if ok {
		t.Fatal("fourth hit within the window allowed")
	}
	// The first hit was at t=1000 and expires at 1060; now is 1030.
	if retry != 30*time.Second {
		t.Errorf("retry after = %v, want 30s", retry)
	}
	if ok, _, _ := m.Hit(ctx, "other", r); !ok {
		t.Error("another key shares the budget")
	}
	now = now.Add(31 * time.Second)
	if ok, _, _ := m.Hit(ctx, "k", r); !ok {
		t.Error("hit refused after the oldest entry left the window")
	}
}

func TestMemoryPeekAndReset(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	m := NewMemory(func() time.Time { return now })
	r := Rate{Amount: 1, Period: time.Minute}
	if ok, _, _ := m.Peek(ctx, "k", r); !ok {
		t.Fatal("peek on empty key refused")
	}
	if ok, _, _ := m.Peek(ctx, "k", r); !ok {
		t.Fatal("peek consumed budget")
	}
	m.Hit(ctx, "k", r)
	if ok, _, _ := m.Peek(ctx, "k", r); ok {
		t.Fatal("peek allowed an exhausted key")
	}
	m.Reset(ctx, "k")
	if ok, _, _ := m.Peek(ctx, "k", r); !ok {
		t.Fatal("reset did not clear the key")
	}
}

func TestMemoryZeroAmountDenies(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(nil)
	if ok, retry, _ := m.Hit(ctx, "k", Rate{Amount: 0, Period: time.Minute}); ok || retry != time.Minute {
		t.Fatalf("zero budget: ok=%v retry=%v", ok, retry)
	}
}
