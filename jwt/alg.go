package jwt

import (
	"fmt"
	"strings"
)

// Algorithm is a JWS algorithm ("alg", RFC 7518) Latch signs with.
type Algorithm string

// The algorithms Latch signs and verifies with.
const (
	// EdDSA is Ed25519 (RFC 8037), the default.
	EdDSA Algorithm = "EdDSA"
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256, with 2048-bit keys.
	RS256 Algorithm = "RS256"
	// ES256 is ECDSA on P-256 with SHA-256; its signature is the JWS raw
	// r||s encoding (64 bytes), not ASN.1.
	ES256 Algorithm = "ES256"
)

// ParseAlgorithm parses the name of an algorithm, for instance from a
// setting. The name is matched case-insensitively and the canonical
// [Algorithm] returned; the empty string yields the default, [EdDSA].
// (Tokens are stricter: their "alg" header must match exactly.)
func ParseAlgorithm(s string) (Algorithm, error) {
	if s == "" {
		return EdDSA, nil
	}
	for _, a := range []Algorithm{EdDSA, RS256, ES256} {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("jwt: unsupported algorithm %q (want EdDSA, RS256 or ES256)", s)
}

// valid reports whether a is one of the supported algorithms.
func (a Algorithm) valid() bool {
	return a == EdDSA || a == RS256 || a == ES256
}
