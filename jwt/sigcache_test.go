package jwt

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// len returns the number of tokens in the cache.
func (c *sigCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// forget removes token from the cache.
func (c *sigCache) forget(token string) {
	s := c.shard(token[strings.LastIndexByte(token, '.')+1:])
	s.mu.Lock()
	delete(s.m, token)
	s.mu.Unlock()
}

// cached reports whether token is in ks's cache of verified tokens.
func cached(ks *KeySet, token string) bool {
	return ks.verified.lookup(token, token[strings.LastIndexByte(token, '.')+1:]) != nil
}

// A cached token skips only the signature check: its claims are checked
// against each call's time, issuer and audience.
func TestVerifyCachedChecksClaims(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			k := testKey(t, alg)
			ks := NewKeySet(k.Public())
			tok, err := Sign(k, testClaims())
			if err != nil {
				t.Fatal(err)
			}
			now := testNow.Unix()
			itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
			nbf := signParts(t, k, `{"alg":"`+string(alg)+`","kid":"`+k.ID+`"}`,
				`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","iat":`+itoa(now)+`,"nbf":`+itoa(now+60)+`,"exp":`+itoa(now+300)+`}`)
			for _, tok := range []string{tok, nbf} {
				if _, err := ks.Verify(tok, testNow.Add(2*time.Minute), 0, testIssuer, testAudience); err != nil {
					t.Fatal(err)
				}
				if !cached(ks, tok) {
					t.Fatal("a verified token is not cached")
				}
			}

			tests := []struct {
				name             string
				tok              string
				now              time.Time
				issuer, audience string
				want             error // nil: accepted
			}{
				{"again", tok, testNow, testIssuer, testAudience, nil},
				{"expired", tok, testNow.Add(5 * time.Minute), testIssuer, testAudience, ErrExpired},
				{"long expired", tok, testNow.Add(time.Hour), testIssuer, testAudience, ErrExpired},
				{"issued in the future", tok, testNow.Add(-time.Minute), testIssuer, testAudience, errFuture},
				{"wrong issuer", tok, testNow, "https://evil.example.com", testAudience, errIssuer},
				{"empty issuer", tok, testNow, "", testAudience, errIssuer},
				{"wrong audience", tok, testNow, testIssuer, "https://other.example.com", errAudience},
				{"empty audience", tok, testNow, testIssuer, "", errAudience},
				{"not valid yet", nbf, testNow, testIssuer, testAudience, errNotYet},
				{"valid now", nbf, testNow.Add(time.Minute), testIssuer, testAudience, nil},
			}
			for _, tt := range tests {
				if !cached(ks, tt.tok) {
					t.Fatalf("%s: token not cached", tt.name)
				}
				c, err := ks.Verify(tt.tok, tt.now, 0, tt.issuer, tt.audience)
				if tt.want == nil && (err != nil || c == nil) || tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
				}
				if tt.want == nil && c != nil && (c.Issuer != testIssuer || c.Audience != testAudience) {
					t.Errorf("%s: claims %+v", tt.name, c)
				}
			}
		})
	}
}

// A token that differs from a cached one in any segment is checked in full,
// fails, and is not cached.
func TestVerifyCacheTampered(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			k := testKey(t, alg)
			ks := NewKeySet(k.Public())
			good, err := Sign(k, testClaims())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ks.Verify(good, testNow, 0, testIssuer, testAudience); err != nil {
				t.Fatal(err)
			}
			p := strings.Split(good, ".")
			other := testClaims()
			other.Superuser = true
			forged, err := Sign(k, other)
			if err != nil {
				t.Fatal(err)
			}
			otherPayload := strings.Split(forged, ".")[1]
			// flip changes the character at i of s to another base64url one.
			flip := func(s string, i int) string {
				c := byte('A')
				if s[i] == 'A' {
					c = 'B'
				}
				return s[:i] + string(c) + s[i+1:]
			}
			otherHeader := b64.EncodeToString([]byte(`{"alg":"` + string(alg) + `","kid":"` + k.ID + `"}`))

			tests := []struct {
				name, tok string
			}{
				{"signature, first byte", p[0] + "." + p[1] + "." + flip(p[2], 0)},
				{"signature, middle byte", p[0] + "." + p[1] + "." + flip(p[2], len(p[2])/2)},
				{"signature, last byte", p[0] + "." + p[1] + "." + flip(p[2], len(p[2])-2)},
				{"payload, one byte", p[0] + "." + flip(p[1], len(p[1])/2) + "." + p[2]},
				{"payload, other claims", p[0] + "." + otherPayload + "." + p[2]},
				{"header, same kid and alg", otherHeader + "." + p[1] + "." + p[2]},
			}
			for _, tt := range tests {
				if tt.tok == good {
					t.Fatalf("%s: not tampered", tt.name)
				}
				before := ks.verified.len()
				if c, err := ks.Verify(tt.tok, testNow, 0, testIssuer, testAudience); !errors.Is(err, errSignature) {
					t.Errorf("%s: %+v, %v; want %v", tt.name, c, err, errSignature)
				}
				if cached(ks, tt.tok) || ks.verified.len() != before {
					t.Errorf("%s: a rejected token was cached", tt.name)
				}
			}
			// The forged token verifies on its own merits, and is then cached.
			if c, err := ks.Verify(forged, testNow, 0, testIssuer, testAudience); err != nil || !c.Superuser {
				t.Errorf("forged: %+v, %v", c, err)
			}
		})
	}
}

// The cache belongs to its KeySet: a new set, here with another key under
// the same kid, checks a token that the old set had cached.
func TestVerifyCachePerKeySet(t *testing.T) {
	k := testKey(t, EdDSA)
	old := NewKeySet(k.Public())
	tok, err := Sign(k, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParseJWKS([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"` + k.ID + `","x":"` + b64.EncodeToString(pub) + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(tok, testNow, 0, testIssuer, testAudience); !errors.Is(err, errSignature) {
		t.Errorf("new key set: %v, want %v", err, errSignature)
	}
	if _, err := old.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
		t.Errorf("old key set: %v", err)
	}
}

// randomToken returns a token-shaped string with a random signature.
func randomToken() string {
	sig := make([]byte, 64)
	rand.Read(sig)
	return "eyJhbGciOiJFZERTQSJ9.e30." + b64.EncodeToString(sig)
}

func TestSigCacheBound(t *testing.T) {
	var c sigCache // the zero value works
	var last string
	for range 3 * sigCacheSize {
		last = randomToken()
		c.add(last, last[strings.LastIndexByte(last, '.')+1:], &verifiedToken{})
		if n := c.len(); n > sigCacheSize {
			t.Fatalf("%d tokens cached, over the %d limit", n, sigCacheSize)
		}
	}
	// Random signatures fill every shard, and none beyond its share.
	for i := range c.shards {
		if n := len(c.shards[i].m); n != sigCacheShardSize {
			t.Errorf("shard %d holds %d tokens, want %d", i, n, sigCacheShardSize)
		}
	}
	if c.lookup(last, last[strings.LastIndexByte(last, '.')+1:]) == nil {
		t.Error("the last token added is not cached")
	}
	// Adding a token already there changes nothing.
	c.add(last, last[strings.LastIndexByte(last, '.')+1:], &verifiedToken{})
	if n := c.len(); n != sigCacheSize {
		t.Errorf("%d tokens cached, want %d", n, sigCacheSize)
	}
}

// The cache keeps a copy of the token, not the caller's memory, which may be
// a request buffer that a zero-copy parser turned into a string.
func TestSigCacheCopies(t *testing.T) {
	k := testKey(t, EdDSA)
	ks := NewKeySet(k.Public())
	tok, err := Sign(k, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "Authorization: Bearer "
	buf := []byte(prefix + tok)
	alias := unsafe.String(&buf[len(prefix)], len(tok))
	if _, err := ks.Verify(alias, testNow, 0, testIssuer, testAudience); err != nil {
		t.Fatal(err)
	}
	s := ks.verified.shard(tok[strings.LastIndexByte(tok, '.')+1:])
	found := false
	for key := range s.m {
		if key == tok {
			found = true
			if unsafe.StringData(key) == &buf[len(prefix)] {
				t.Error("the cache holds the caller's memory")
			}
		}
	}
	if !found {
		t.Error("token not cached")
	}
}

// Concurrent Verify calls, of cached, new and tampered tokens, while the
// cache churns, all get the right answer (run with -race).
func TestVerifyCacheConcurrent(t *testing.T) {
	var tokens []string
	var keys []PublicKey
	for _, alg := range algorithms {
		k := testKey(t, alg)
		keys = append(keys, k.Public())
		for range 4 {
			tok, err := Sign(k, testClaims())
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, tok)
		}
	}
	ks := NewKeySet(keys...)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				tok := tokens[(g+i)%len(tokens)]
				if i%5 == 4 { // tampered signature
					j := len(tok) - 10
					c := byte('A')
					if tok[j] == 'A' {
						c = 'B'
					}
					tok = tok[:j] + string(c) + tok[j+1:]
					if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); !errors.Is(err, errSignature) {
						errs <- err
						return
					}
					continue
				}
				if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
					errs <- err
					return
				}
				if _, err := ks.Verify(tok, testNow.Add(time.Hour), 0, testIssuer, testAudience); err != ErrExpired {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() { // churn: evictions race with the lookups
		for range 2 * sigCacheSize {
			tok := randomToken()
			ks.verified.add(tok, tok[strings.LastIndexByte(tok, '.')+1:], &verifiedToken{})
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := ks.verified.len(); n > sigCacheSize {
		t.Errorf("%d tokens cached, over the %d limit", n, sigCacheSize)
	}
}

// A cache hit allocates only the Claims that Verify returns, and nothing
// through VerifyInto; a miss adds the claims' text, the cache entry and the
// cached copy of the token.
func TestVerifyCacheAllocs(t *testing.T) {
	for _, alg := range algorithms {
		k := testKey(t, alg)
		tok, err := Sign(k, testClaims())
		if err != nil {
			t.Fatal(err)
		}
		ks := NewKeySet(k.Public())
		verify := func() {
			if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
				t.Fatal(err)
			}
		}
		var c Claims
		into := func() {
			if err := ks.VerifyInto(&c, tok, testNow, 0, testIssuer, testAudience); err != nil {
				t.Fatal(err)
			}
		}
		hit := testing.AllocsPerRun(20, verify)
		hitInto := testing.AllocsPerRun(20, into)
		miss := testing.AllocsPerRun(20, func() { ks.verified.forget(tok); verify() })
		t.Logf("%s: %v allocs per hit, %v through VerifyInto, %v per miss", alg, hit, hitInto, miss)
		if hit > 1 {
			t.Errorf("%s: %v allocs per cache hit, want at most 1", alg, hit)
		}
		if hitInto != 0 {
			t.Errorf("%s: %v allocs per cache hit through VerifyInto, want 0", alg, hitInto)
		}
	}
}

// Every call on a token the cache holds answers exactly what the full check
// answers (a fresh key set, which has seen nothing): the same error value,
// the same claims, whatever the time, leeway, issuer and audience; an aud
// array is read again for another audience.
func TestVerifyCacheMatchesFull(t *testing.T) {
	k := testKey(t, EdDSA)
	hdr := `{"alg":"EdDSA","kid":"` + k.ID + `"}`
	now := testNow.Unix()
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	times := `"iat":` + itoa(now) + `,"exp":` + itoa(now+300)
	good, err := Sign(k, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"typical":          good,
		"aud array":        signParts(t, k, hdr, `{"iss":"`+testIssuer+`","sub":"u","aud":["x","`+testAudience+`"],`+times+`}`),
		"aud array, other": signParts(t, k, hdr, `{"iss":"`+testIssuer+`","sub":"u","aud":["x","https://other.example.com"],`+times+`}`),
		"nbf":              signParts(t, k, hdr, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","iat":`+itoa(now-60)+`,"nbf":`+itoa(now+60)+`,"exp":`+itoa(now+300)+`}`),
		"no exp":           signParts(t, k, hdr, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","iat":`+itoa(now)+`}`),
		"malformed claims": signParts(t, k, hdr, `{"iss":"`+testIssuer+`","iss":"`+testIssuer+`",`+times+`}`),
		"no issuer":        signParts(t, k, hdr, `{"aud":"`+testAudience+`",`+times+`}`),
	}
	type call struct {
		now              time.Time
		leeway           time.Duration
		issuer, audience string
	}
	var calls []call
	for _, at := range []time.Duration{-2 * time.Minute, -time.Second, 0, time.Minute, 5*time.Minute - time.Second, 5 * time.Minute, time.Hour} {
		for _, leeway := range []time.Duration{-time.Second, 0, 30 * time.Second, 2 * time.Minute} {
			for _, iss := range []string{testIssuer, "https://evil.example.com", ""} {
				for _, aud := range []string{testAudience, "https://other.example.com", "x", ""} {
					calls = append(calls, call{testNow.Add(at), leeway, iss, aud})
				}
			}
		}
	}
	for name, tok := range tokens {
		warm := NewKeySet(k.Public())
		for _, c := range calls {
			want, wantErr := NewKeySet(k.Public()).Verify(tok, c.now, c.leeway, c.issuer, c.audience)
			got, err := warm.Verify(tok, c.now, c.leeway, c.issuer, c.audience)
			if err != wantErr || (got == nil) != (want == nil) || got != nil && *got != *want {
				t.Fatalf("%s, %+v: %+v, %v; the full check says %+v, %v", name, c, got, err, want, wantErr)
			}
		}
		if !cached(warm, tok) {
			t.Errorf("%s: not cached", name)
		}
	}
}

// The claims Verify returns are the caller's: changing them changes nothing
// that a later call of the same token returns.
func TestVerifyCachedClaimsAreCopies(t *testing.T) {
	k := testKey(t, EdDSA)
	ks := NewKeySet(k.Public())
	tok, err := Sign(k, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		c, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience)
		if err != nil {
			t.Fatal(err)
		}
		if *c != *testClaims() {
			t.Fatalf("claims %+v, want %+v", *c, *testClaims())
		}
		*c = Claims{Subject: "someone else", Superuser: true, Expires: 1 << 62}
		var into Claims
		if err := ks.VerifyInto(&into, tok, testNow, 0, testIssuer, testAudience); err != nil || into != *testClaims() {
			t.Fatalf("VerifyInto: %+v, %v", into, err)
		}
		into.Subject, into.Staff = "someone else", false
	}
}
