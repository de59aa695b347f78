package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/latchauth/latch"
)

// limit consumes one unit of every budget of action and returns a
// *latch.RateLimitError when one is exhausted. key is the subject of "key"
// budgets (an address, a username); it is hashed before use.
func (s *Service) limit(ctx context.Context, action string, st *State, key string) error {
	return s.rate(ctx, action, st, key, true)
}

// limitPeek reports, as limit does, whether any budget of action is exhausted,
// without consuming anything.
func (s *Service) limitPeek(ctx context.Context, action string, st *State, key string) error {
	return s.rate(ctx, action, st, key, false)
}

func (s *Service) rate(ctx context.Context, action string, st *State, key string, hit bool) error {
	var worst time.Duration
	limited := false
	for _, r := range s.cfg.RateLimits[action] {
		k := limitKey(action, r.Per, st, key)
		if k == "" {
			continue
		}
		check := s.limiter.Peek
		if hit {
			check = s.limiter.Hit
		}
		ok, retry, err := check(ctx, k, r)
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", action, err)
		}
		if !ok {
			limited = true
			worst = max(worst, retry)
			break
		}
	}
	if limited {
		s.event(ctx, st, EventRateLimitHit, nil, "action", action)
		return &latch.RateLimitError{Action: action, RetryAfter: worst}
	}
	return nil
}

func limitKey(action, per string, st *State, key string) string {
	switch per {
	case "ip":
		if st == nil || st.Client.IP == "" {
			return ""
		}
		return action + ":ip:" + st.Client.IP
	case "user":
		if st == nil || st.User == nil {
			return ""
		}
		return action + ":user:" + strconv.FormatInt(st.User.ID, 10)
	default:
		if key == "" {
			return ""
		}
		h := sha256.Sum256([]byte(key))
		return action + ":key:" + hex.EncodeToString(h[:16])
	}
}
