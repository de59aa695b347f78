package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"testing"
	"time"
)

var algorithms = []Algorithm{EdDSA, RS256, ES256}

var (
	testKeysOnce sync.Once
	testKeys     map[Algorithm]*Key
)

// testKey returns a key for alg, generated once per test binary (RSA keys
// are slow to make).
func testKey(tb testing.TB, alg Algorithm) *Key {
	tb.Helper()
	testKeysOnce.Do(func() {
		testKeys = make(map[Algorithm]*Key)
		for _, a := range algorithms {
			k, err := GenerateKey(a)
			if err != nil {
				panic(err)
			}
			testKeys[a] = k
		}
	})
	return testKeys[alg]
}

const (
	testIssuer   = "https://auth.example.com"
	testAudience = "https://api.example.com"
)

var testNow = time.Unix(1_750_000_000, 0)

// testClaims returns typical claims, valid at testNow for five minutes.
func testClaims() *Claims {
	return &Claims{
		Issuer:    testIssuer,
		Subject:   "usr_01HZX3J8Q4W5E6R7T8Y9U0I1O2",
		Audience:  testAudience,
		SessionID: "ses_6bq0cN8kz2H1vQ3LmR7tYw",
		IssuedAt:  testNow.Unix(),
		Expires:   testNow.Add(5 * time.Minute).Unix(),
		ID:        "Jx3rT9vQmW2pLs8kHd4fNa",
		Email:     "ada@example.com",
		Username:  "ada",
		Staff:     true,
	}
}

// signParts signs an arbitrary header and payload (JSON text) with k, the
// way Sign does, so that tests can forge tokens with any content.
func signParts(tb testing.TB, k *Key, header, payload string) string {
	tb.Helper()
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	return input + "." + b64.EncodeToString(rawSign(tb, k, []byte(input)))
}

// rawSign signs input with k's algorithm.
func rawSign(tb testing.TB, k *Key, input []byte) []byte {
	tb.Helper()
	var sig []byte
	var err error
	switch p := k.priv.(type) {
	case ed25519.PrivateKey:
		sig = ed25519.Sign(p, input)
	case *rsa.PrivateKey:
		sum := sha256.Sum256(input)
		sig, err = rsa.SignPKCS1v15(nil, p, crypto.SHA256, sum[:])
	case *ecdsa.PrivateKey:
		sum := sha256.Sum256(input)
		sig, err = signES256(p, sum[:])
	}
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}
