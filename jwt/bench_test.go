package jwt

import (
	"strconv"
	"testing"
)

func BenchmarkSign(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(string(alg), func(b *testing.B) {
			k := testKey(b, alg)
			c := testClaims()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Sign(k, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify measures Verify of a token seen before, whose signature
// check the key set's cache skips (hit), and of a new one (miss: the token
// is dropped from the cache before each call).
func BenchmarkVerify(b *testing.B) {
	for _, alg := range algorithms {
		k := testKey(b, alg)
		tok, err := Sign(k, testClaims())
		if err != nil {
			b.Fatal(err)
		}
		for _, hit := range []bool{true, false} {
			name := string(alg) + "/miss"
			if hit {
				name = string(alg) + "/hit"
			}
			b.Run(name, func(b *testing.B) {
				ks := NewKeySet(testKey(b, EdDSA).Public(), testKey(b, RS256).Public(), testKey(b, ES256).Public())
				b.SetBytes(int64(len(tok)))
				b.ReportAllocs()
				for b.Loop() {
					if !hit {
						ks.verified.forget(tok)
					}
					if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkVerifyHitParallel measures cache hits from all Ps at once, over
// tokens that spread across the cache's shards.
func BenchmarkVerifyHitParallel(b *testing.B) {
	k := testKey(b, EdDSA)
	ks := NewKeySet(k.Public())
	toks := make([]string, 64)
	for i := range toks {
		c := testClaims()
		c.ID = strconv.Itoa(i) // Ed25519 signatures are deterministic
		tok, err := Sign(k, c)
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = tok
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := ks.Verify(toks[i%len(toks)], testNow, 0, testIssuer, testAudience); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkVerifyReject measures the rejection of a malformed token, which
// costs no signature check.
func BenchmarkVerifyReject(b *testing.B) {
	ks := NewKeySet(testKey(b, EdDSA).Public())
	tok := "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); err == nil {
			b.Fatal("accepted")
		}
	}
}
