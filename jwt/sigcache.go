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

// sigCache is a bounded set of tokens whose signature verified with a
// KeySet, so that a token presented again skips the signature check, most
// of Verify's cost. Its zero value is an empty cache, safe for concurrent
// use; it is sharded so that concurrent Verify calls seldom share a lock.
type sigCache struct {
	shards [sigCacheShards]sigShard
}

// sigShard is one shard of a sigCache, of at most sigCacheShardSize tokens.
type sigShard struct {
	mu sync.RWMutex
	m  map[string]struct{} // made on the first add
	_  [32]byte            // pads the shard to a cache line
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

// contains reports whether token, whose signature segment is sig, is in
// the cache. It does not allocate.
func (c *sigCache) contains(token, sig string) bool {
	s := c.shard(sig)
	s.mu.RLock()
	_, ok := s.m[token]
	s.mu.RUnlock()
	return ok
}

// add puts a copy of token, whose signature segment is sig, in the cache;
// when the token's shard is full, it first drops an arbitrary token.
func (c *sigCache) add(token, sig string) {
	s := c.shard(sig)
	token = strings.Clone(token) // the caller's token may be part of a request buffer
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[token]; ok {
		return
	}
	if s.m == nil {
		s.m = make(map[string]struct{})
	}
	if len(s.m) >= sigCacheShardSize {
		for k := range s.m { // map iteration starts at a random entry
			delete(s.m, k)
			break
		}
	}
	s.m[token] = struct{}{}
}
