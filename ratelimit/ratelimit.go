// Package ratelimit counts actions per key in sliding windows, the way
// allauth's rate limits work: a request is allowed while fewer than Amount
// requests were recorded for the key in the last Period.
//
// Memory is the in-process implementation for a single node; a Redis-backed
// implementation shares the counts between nodes.
package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is a budget: at most Amount actions per Period, counted Per "ip",
// "user" or "key".
type Rate struct {
	Amount int
	Period time.Duration
	Per    string
}

func (r Rate) String() string {
	return fmt.Sprintf("%d/%s/%s", r.Amount, r.Period, r.Per)
}

// ParseRates parses allauth's notation: comma-separated "amount/period[/per]",
// period being a number and a unit (s, m, h, d; a bare unit means 1 of it)
// and per being ip (the default), user or key. An empty string means no limit.
func ParseRates(s string) ([]Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var rates []Rate
	for _, part := range strings.Split(s, ",") {
		fields := strings.Split(strings.TrimSpace(part), "/")
		if len(fields) < 2 || len(fields) > 3 {
			return nil, fmt.Errorf("rate %q: want amount/period[/per]", part)
		}
		amount, err := strconv.Atoi(fields[0])
		if err != nil || amount < 0 {
			return nil, fmt.Errorf("rate %q: bad amount", part)
		}
		period, err := parsePeriod(fields[1])
		if err != nil {
			return nil, fmt.Errorf("rate %q: %w", part, err)
		}
		per := "ip"
		if len(fields) == 3 {
			per = fields[2]
		}
		switch per {
		case "ip", "user", "key":
		default:
			return nil, fmt.Errorf("rate %q: per must be ip, user or key", part)
		}
		rates = append(rates, Rate{Amount: amount, Period: period, Per: per})
	}
	return rates, nil
}

func parsePeriod(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty period")
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("period %q: unit must be s, m, h or d", s)
	}
	n := 1
	if len(s) > 1 {
		var err error
		if n, err = strconv.Atoi(s[:len(s)-1]); err != nil || n <= 0 {
			return 0, fmt.Errorf("period %q: bad number", s)
		}
	}
	return time.Duration(n) * unit, nil
}

const shards = 32

// Memory is an in-process sliding-window limiter, safe for concurrent use.
// Keys are spread over shards so that no single lock serialises all requests.
type Memory struct {
	seed   maphash.Seed
	shards [shards]shard
	now    func() time.Time
}

type shard struct {
	mu      sync.Mutex
	windows map[string][]time.Time
	ops     int
}

// NewMemory returns an empty limiter reading the clock from now (time.Now if nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{seed: maphash.MakeSeed(), now: now}
	for i := range m.shards {
		m.shards[i].windows = make(map[string][]time.Time)
	}
	return m
}

func (m *Memory) shard(key string) *shard {
	return &m.shards[maphash.String(m.seed, key)%shards]
}

// Hit records one action for key if the budget allows it, and reports whether
// it did; when it did not, it also returns how long until it would.
func (m *Memory) Hit(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
	ok, retry := m.do(key, r, true)
	return ok, retry, nil
}

// Peek reports whether one more action for key would be allowed, without
// recording anything.
func (m *Memory) Peek(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
	ok, retry := m.do(key, r, false)
	return ok, retry, nil
}

// Refund gives back the newest action recorded for key, as if it had not
// been taken: a credential attempt is charged before it is checked and
// refunded when it turns out right.
func (m *Memory) Refund(_ context.Context, key string, _ Rate) error {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.windows[key]; len(w) > 1 {
		s.windows[key] = w[:len(w)-1]
	} else {
		delete(s.windows, key)
	}
	return nil
}

// Reset forgets every action recorded for key.
func (m *Memory) Reset(_ context.Context, key string) error {
	s := m.shard(key)
	s.mu.Lock()
	delete(s.windows, key)
	s.mu.Unlock()
	return nil
}

func (m *Memory) do(key string, r Rate, record bool) (bool, time.Duration) {
	now := m.now()
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops++
	if s.ops%1024 == 0 {
		s.sweep(now)
	}
	w := trim(s.windows[key], now, r.Period)
	if len(w) >= r.Amount {
		s.windows[key] = w
		if len(w) == 0 {
			return false, r.Period
		}
		return false, w[len(w)-r.Amount].Add(r.Period).Sub(now)
	}
	if record {
		w = append(w, now)
	}
	if len(w) == 0 {
		delete(s.windows, key)
	} else {
		s.windows[key] = w
	}
	return true, 0
}

// trim drops the entries older than period. Windows are kept in time order.
func trim(w []time.Time, now time.Time, period time.Duration) []time.Time {
	cut := now.Add(-period)
	i := 0
	for i < len(w) && !w[i].After(cut) {
		i++
	}
	return w[i:]
}

// sweep drops keys whose newest entry is older than a day, the longest period
// anyone configures, so idle keys do not accumulate.
func (s *shard) sweep(now time.Time) {
	for k, w := range s.windows {
		if len(w) == 0 || now.Sub(w[len(w)-1]) > 24*time.Hour {
			delete(s.windows, k)
		}
	}
}
