package latchauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/latchauth/latch/jwt"
)

// maxJWKSBytes bounds the JWKS response read: a handful of keys take a few
// kilobytes; anything near this is not Latch's.
const maxJWKSBytes = 256 << 10

// fetchTimeout bounds one JWKS fetch, whatever the client's timeout.
const fetchTimeout = 10 * time.Second

// keyCache holds Latch's public keys, fetched from its JWKS. A fetched set
// is used for maxAge, then fetched again (keeping the old set while Latch
// does not answer); a failed fetch is retried, but not within minInterval
// of the last attempt, so that neither a failure nor a flood of tokens with
// made-up kids is remembered forever or turns into a flood of fetches.
type keyCache struct {
	url         string
	client      *http.Client
	minInterval time.Duration
	maxAge      time.Duration

	fetching sync.Mutex // held during a fetch: one at a time

	mu      sync.Mutex
	set     *jwt.KeySet // nil until the first successful fetch
	fetched time.Time   // when set was fetched
	tried   time.Time   // when the last fetch started
	err     error       // of the last fetch, if it failed
}

// get returns the key set to verify with at now: the cached one, refreshed
// first when there is none yet or it is older than maxAge. It returns nil
// (and the reason) only when no set could ever be fetched.
func (c *keyCache) get(ctx context.Context, now time.Time) (*jwt.KeySet, error) {
	c.mu.Lock()
	set, fetched := c.set, c.fetched
	c.mu.Unlock()
	if set != nil && now.Sub(fetched) < c.maxAge {
		return set, nil
	}
	// With a set in hand, a request does not wait for another's refresh.
	fresh, err := c.refresh(ctx, set, now, set == nil)
	if fresh == nil {
		return set, err
	}
	return fresh, nil
}

// refresh fetches the JWKS again, unless the set has changed from had in
// the meantime (another request refreshed it: that set is returned) or the
// last attempt was less than minInterval ago. When wait is false and
// another fetch is under way, it returns at once. It returns the newest set
// (nil if none was ever fetched) and the error of the last fetch, if that
// failed.
func (c *keyCache) refresh(ctx context.Context, had *jwt.KeySet, now time.Time, wait bool) (*jwt.KeySet, error) {
	if wait {
		c.fetching.Lock()
	} else if !c.fetching.TryLock() {
		return had, nil
	}
	defer c.fetching.Unlock()

	c.mu.Lock()
	set, tried, lastErr := c.set, c.tried, c.err
	c.mu.Unlock()
	if set != had {
		return set, nil
	}
	if !tried.IsZero() && now.Sub(tried) < c.minInterval {
		return set, lastErr
	}

	ks, err := c.fetch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tried, c.err = now, err
	if err == nil {
		c.set, c.fetched = ks, now
	}
	return c.set, err
}

// fetch downloads and parses the JWKS. It is not bound to the request that
// asked for it: one client going away must not cost everyone a fetch.
func (c *keyCache) fetch(ctx context.Context) (*jwt.KeySet, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	req.Header.Set("User-Agent", "latchauth")
	res, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", c.url, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", c.url, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("GET %s: JWKS larger than %d bytes", c.url, maxJWKSBytes)
	}
	ks, err := jwt.ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", c.url, err)
	}
	if len(ks.Keys()) == 0 {
		// Latch with access tokens off serves no JWKS at all; an empty
		// set is a misconfiguration worth retrying soon, not keeping.
		return nil, errors.New("GET " + c.url + ": the JWKS holds no usable key")
	}
	return ks, nil
}
