package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/ratelimit"
)

// budget charges rate-limited actions to their budgets (Config.RateLimits).
type budget struct {
	limiter Limiter
	rates   map[string][]ratelimit.Rate
	log     *slog.Logger
	// hit is told of every refusal, for the rate_limit.hit event.
	hit func(ctx context.Context, st *State, action string)
}

// limit consumes one unit of every budget of action and returns a
// *latch.RateLimitError when one is exhausted. key is the subject of "key"
// budgets (an address, a username); it is hashed before use.
func (b *budget) limit(ctx context.Context, action string, st *State, key string) error {
	return b.rate(ctx, action, st, key, true)
}

// limitPeek reports, as limit does, whether any budget of action is exhausted,
// without consuming anything.
func (b *budget) peek(ctx context.Context, action string, st *State, key string) error {
	return b.rate(ctx, action, st, key, false)
}

func (b *budget) rate(ctx context.Context, action string, st *State, key string, hit bool) error {
	var worst time.Duration
	limited := false
	for _, r := range b.rates[action] {
		k := limitKey(action, r.Per, st, key)
		if k == "" {
			continue
		}
		check := b.limiter.Peek
		if hit {
			check = b.limiter.Hit
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
		b.hit(ctx, st, action)
		return &latch.RateLimitError{Action: action, RetryAfter: worst}
	}
	return nil
}

// charge is one unit taken from one budget, kept so that it can be given back.
type charge struct {
	key  string
	rate ratelimit.Rate
}

// take consumes one unit of every budget of action, all or nothing, before
// the check it pays for: when one budget is exhausted, the units already
// taken are given back and a *latch.RateLimitError is returned. Each unit
// is taken atomically by the limiter, so N concurrent callers take N units
// and at most the budget gets through.
func (b *budget) take(ctx context.Context, action string, st *State, key string) ([]charge, error) {
	var taken []charge
	for _, r := range b.rates[action] {
		k := limitKey(action, r.Per, st, key)
		if k == "" {
			continue
		}
		ok, retry, err := b.limiter.Hit(ctx, k, r)
		if err != nil {
			b.refund(ctx, taken)
			return nil, fmt.Errorf("rate limit %s: %w", action, err)
		}
		if !ok {
			b.refund(ctx, taken)
			b.hit(ctx, st, action)
			return nil, &latch.RateLimitError{Action: action, RetryAfter: retry}
		}
		taken = append(taken, charge{k, r})
	}
	return taken, nil
}

// refund gives back units taken by take, when what they paid for succeeded.
func (b *budget) refund(ctx context.Context, taken []charge) {
	for _, c := range taken {
		if err := b.limiter.Refund(ctx, c.key, c.rate); err != nil {
			b.log.Warn("rate limit refund failed", "err", err)
		}
	}
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

// accountSubject names the account a login attempt is against, for its
// budgets: the user's internal id when the identifier is known (so email
// and username share one budget), else the identifier typed.
func accountSubject(user *latch.User, method, ident string) string {
	if user != nil {
		return "user:" + strconv.FormatInt(user.ID, 10)
	}
	return method + ":" + strings.ToLower(ident)
}

// takeLoginAttempt pays for one password check against subject: the
// per-source budgets of login_failed (the source being device, when the
// caller holds one of this account's device tokens, else its address), and
// unless a known device is calling, the per-account ceiling.
func (s *Sessions) takeLoginAttempt(ctx context.Context, st *State, subject, device string) ([]charge, error) {
	source := "ip:" + st.Client.IP
	if device != "" {
		source = "device:" + device
	}
	taken, err := s.budget.take(ctx, "login_failed", st, subject+"\x00"+source)
	if err != nil || device != "" {
		return taken, err
	}
	more, err := s.budget.take(ctx, "login_failed_account", st, subject)
	if err != nil {
		s.budget.refund(ctx, taken)
		return nil, err
	}
	return append(taken, more...), nil
}

// forgiveLoginFailures forgets the failures counted against a user's
// account as a whole and from the caller's source, as allauth does after a
// password reset.
func (s *Passwords) forgiveLoginFailures(ctx context.Context, st *State, user *latch.User) error {
	subject := accountSubject(user, "", "")
	keys := []string{limitKey("login_failed_account", "key", st, subject),
		limitKey("login_failed", "key", st, subject+"\x00ip:"+st.Client.IP)}
	if d := s.devices.known(st.Client.Device, user); d != "" {
		keys = append(keys, limitKey("login_failed", "key", st, subject+"\x00device:"+d))
	}
	for _, k := range keys {
		if err := s.budget.limiter.Reset(ctx, k); err != nil {
			return err
		}
	}
	return nil
}
