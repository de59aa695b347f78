// Package redis keeps Latch's rate-limit counts in Redis, so that every node
// behind a load balancer spends the same budgets. Each key is a sorted set of
// request times (a sliding window, as allauth counts), trimmed and checked
// atomically by a Lua script.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/latchauth/latch/ratelimit"
)

// Limiter is a ratelimit budget counter backed by Redis. It is safe for
// concurrent use and implements the account core's Limiter.
type Limiter struct {
	client *goredis.Client
	prefix string
	now    func() time.Time
}

// Open connects to the Redis at url (redis://[user:pass@]host:port[/db]) and
// checks that it answers.
func Open(ctx context.Context, url, prefix string, now func() time.Time) (*Limiter, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, time.Second, time.Second
	c := goredis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis: connect: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{client: c, prefix: prefix, now: now}, nil
}

// Close closes the connection pool.
func (l *Limiter) Close() error { return l.client.Close() }

// Ping checks that Redis answers, for readiness probes.
func (l *Limiter) Ping(ctx context.Context) error { return l.client.Ping(ctx).Err() }

// window trims entries older than the period, then — if fewer than amount
// remain — records this request when asked to, and answers {allowed,
// retry_after_ms}. Members are unique (time + random), so equal times count
// twice.
var window = goredis.NewScript(`
local key, now, period, amount, record, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == "1", ARGV[5]
redis.call("ZREMRANGEBYSCORE", key, "-inf", now - period)
local n = redis.call("ZCARD", key)
if n >= amount then
  if amount == 0 then return {0, period} end
  local oldest = redis.call("ZRANGE", key, n - amount, n - amount, "WITHSCORES")
  return {0, tonumber(oldest[2]) + period - now}
end
if record then
  redis.call("ZADD", key, now, member)
  redis.call("PEXPIRE", key, period)
end
return {1, 0}
`)

func (l *Limiter) do(ctx context.Context, key string, r ratelimit.Rate, record bool) (bool, time.Duration, error) {
	var b [8]byte
	rand.Read(b[:])
	now := l.now().UnixMilli()
	rec := "0"
	if record {
		rec = "1"
	}
	res, err := window.Run(ctx, l.client, []string{l.prefix + key},
		now, r.Period.Milliseconds(), r.Amount, rec, fmt.Sprintf("%d-%s", now, hex.EncodeToString(b[:]))).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("redis rate limit: %w", err)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}

// Hit records one action for key if the budget allows it, and reports whether it did.
func (l *Limiter) Hit(ctx context.Context, key string, r ratelimit.Rate) (bool, time.Duration, error) {
	return l.do(ctx, key, r, true)
}

// Peek reports whether one more action would be allowed, recording nothing.
func (l *Limiter) Peek(ctx context.Context, key string, r ratelimit.Rate) (bool, time.Duration, error) {
	return l.do(ctx, key, r, false)
}

// Refund gives back the newest action recorded for key.
func (l *Limiter) Refund(ctx context.Context, key string, _ ratelimit.Rate) error {
	return l.client.ZPopMax(ctx, l.prefix+key).Err()
}

// Reset forgets every action recorded for key.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	return l.client.Del(ctx, l.prefix+key).Err()
}
