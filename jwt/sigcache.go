package jwt

import (
	"strings"
	"sync"
)

// Bounds of a KeySet's cache of verified tokens.
const (
	sigCacheShardBits = 4
	sigCacheShards    = 1 << sigCacheShardBits
	sigCacheSize      = 4096 // tokens in all, at most
	sigCacheShardSize = sigCacheSize / sigCacheShards
)

// verifiedToken is what Verify learnt, once and for all, about a token
// whose signature verified: everything that depends on the token alone and
// not on Verify's other arguments, so that the token coming again costs a
// lookup and the time, issuer and audience checks. It is immutable once in
// the cache.
type verifiedToken struct {
	// audience is the audience the claims were read for: it decides
	// Claims.Audience when the aud claim is an array. A call with another
	// audience reads the claims again.
	audience string
	claims   Claims // valid when err is nil
	nbf      int64  // the nbf claim, 0 when absent
	err      error  // why the claims could not be read, if they could not
}

// sigCache is a bounded map from tokens whose signature verified with a
// KeySet to what Verify learnt about them (a verifiedToken), so that a
// token presented again skips the signature check, most of Verify's cost,
// and the decoding and parsing of its header and claims. Its zero value is
// an empty cache, safe for concurrent use; it is sharded so that
// concurrent Verify calls seldom share a lock. A typical Latch access token
// takes about 1.2 KB in it (the token, its decoded header and claims, the
// entry), so a full cache holds about 5 MB.
type sigCache struct {
	shards [sigCacheShards]sigShard
}

// sigShard is one shard of a sigCache, of at most sigCacheShardSize tokens.
type sigShard struct {
	mu sync.RWMutex
	m  map[string]*verifiedToken // made on the first add
	_  [32]byte                  // pads the shard to a cache line
}

// shard returns the shard of a token whose signature segment is sig. The
// signature's leading bytes, mixed, spread tokens evenly over the shards.
func (c *sigCache) shard(sig string) *sigShard {
	var x uint64
	for i := 0; i < 8 && i < len(sig); i++ {
		x = x<<8 | uint64(sig[i])
	}
	return &c.shards[(x*0x9e3779b97f4a7c15)>>(64-sigCacheShardBits)]
}

// lookup returns what the cache holds for token, whose signature segment is
// sig, or nil when the token is not in the cache. It does not allocate.
func (c *sigCache) lookup(token, sig string) *verifiedToken {
	s := c.shard(sig)
	s.mu.RLock()
	v := s.m[token]
	s.mu.RUnlock()
	return v
}

// add puts a copy of token, whose signature segment is sig, in the cache
// with v, which must not change afterwards; a token already there keeps
// what it has. When the token's shard is full, it first drops an arbitrary
// token.
func (c *sigCache) add(token, sig string, v *verifiedToken) {
	s := c.shard(sig)
	token = strings.Clone(token) // the caller's token may be part of a request buffer
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[token]; ok {
		return
	}
	if s.m == nil {
		s.m = make(map[string]*verifiedToken)
	}
	if len(s.m) >= sigCacheShardSize {
		for k := range s.m { // map iteration starts at a random entry
			delete(s.m, k)
			break
		}
	}
	s.m[token] = v
}
