package latchauth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// credentialKind says where a session credential came from, and so how it
// is presented to Latch.
type credentialKind byte

const (
	kindCookie credentialKind = 'c' // the browser client's sessionid cookie
	kindToken  credentialKind = 't' // the app client's X-Session-Token
)

// verifyAtLatch asks Latch's forward-auth endpoint about a session
// credential. It returns the user, nil (and no error) when Latch refuses the
// credential, or an error when Latch gave no verdict. The credential goes to
// Latch's URL and nowhere else: the client follows no redirect.
func (a *Auth) verifyAtLatch(ctx context.Context, kind credentialKind, cred string) (*User, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/auth/verify", nil)
	if err != nil {
		return nil, err
	}
	if kind == kindCookie {
		req.Header.Set("Cookie", sessionCookie+"="+cred)
	} else {
		req.Header.Set(tokenHeader, cred)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "latchauth")
	res, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() {
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
	}()
	switch res.StatusCode {
	case http.StatusOK:
		h := res.Header
		u := &User{ID: h.Get("X-Latch-User-Id"), Email: h.Get("X-Latch-User-Email"), Username: h.Get("X-Latch-Username")}
		if u.ID == "" {
			return nil, fmt.Errorf("%s/auth/verify answered 200 without X-Latch-User-Id", a.base)
		}
		for role := range strings.SplitSeq(h.Get("X-Latch-Roles"), ",") {
			switch strings.TrimSpace(role) {
			case "staff":
				u.Staff = true
			case "superuser":
				u.Superuser = true
			}
		}
		return u, nil
	case http.StatusUnauthorized:
		return nil, nil
	default:
		return nil, fmt.Errorf("%s/auth/verify answered %s", a.base, res.Status)
	}
}

// cacheKey identifies a credential in the cache without keeping it.
func cacheKey(kind credentialKind, cred string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte{byte(kind), 0})
	h.Write([]byte(cred))
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// sessionCache remembers Latch's verdicts on session credentials for a
// short time: the user, or nil for a refusal. It holds at most limit
// entries.
type sessionCache struct {
	ttl   time.Duration
	limit int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]verdict
}

type verdict struct {
	user    *User // nil: refused; shared, never modified
	expires time.Time
}

func newSessionCache(ttl time.Duration, limit int) *sessionCache {
	return &sessionCache{ttl: ttl, limit: limit, entries: make(map[[sha256.Size]byte]verdict)}
}

// get returns the cached verdict on a credential and reports whether there
// is one still fresh at now.
func (c *sessionCache) get(key [sha256.Size]byte, now time.Time) (*User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if !now.Before(v.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return v.user, true
}

// put records a verdict. When the cache is full it drops the expired
// entries, and if none had expired, arbitrary ones (map order is random),
// so that a flood of made-up credentials cannot grow it.
func (c *sessionCache) put(key [sha256.Size]byte, u *User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.limit {
		for k, v := range c.entries {
			if !now.Before(v.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.limit {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = verdict{user: u, expires: now.Add(c.ttl)}
}

// size returns the number of entries, expired or not.
func (c *sessionCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
