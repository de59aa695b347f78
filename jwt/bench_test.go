package jwt

import "testing"

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

func BenchmarkVerify(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(string(alg), func(b *testing.B) {
			k := testKey(b, alg)
			tok, err := Sign(k, testClaims())
			if err != nil {
				b.Fatal(err)
			}
			ks := NewKeySet(testKey(b, EdDSA).Public(), testKey(b, RS256).Public(), testKey(b, ES256).Public())
			b.SetBytes(int64(len(tok)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
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
