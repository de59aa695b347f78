package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// KeySet verifies tokens against a set of public keys, found by kid. It is
// immutable once made, so it is safe for concurrent use; to rotate keys,
// make a new KeySet and swap it in (for instance with an atomic.Pointer).
//
// A KeySet remembers the last few thousand tokens whose signature it
// verified, with their claims, and skips the signature check and the
// reading of the claims when they come again (the claims are still checked
// against every call's time, issuer and audience). The memory is the
// KeySet's: a new KeySet starts empty, and the old one's goes with it on
// rotation.
type KeySet struct {
	keys  []PublicKey
	byKID map[string]*PublicKey
	jwks  []byte
	// verified holds tokens whose signature verified with these keys, and
	// their claims.
	verified sigCache
}

// NewKeySet makes a key set of keys. A key that is not usable (the zero
// PublicKey, or one whose Alg does not fit its type) is left out, as is a
// key whose ID repeats an earlier key's.
func NewKeySet(keys ...PublicKey) *KeySet {
	ks := &KeySet{byKID: make(map[string]*PublicKey, len(keys))}
	for _, k := range keys {
		if !k.usable() {
			continue
		}
		if _, dup := ks.byKID[k.ID]; dup {
			continue
		}
		ks.keys = append(ks.keys, k)
		ks.byKID[k.ID] = nil
	}
	for i := range ks.keys {
		ks.byKID[ks.keys[i].ID] = &ks.keys[i]
	}
	ks.jwks = ks.marshal()
	return ks
}

// usable reports whether the key holds a crypto key of its Alg and a kid.
func (p *PublicKey) usable() bool {
	if p.ID == "" {
		return false
	}
	switch p.Alg {
	case EdDSA:
		return len(p.ed) == ed25519.PublicKeySize && p.rsa == nil && p.ec == nil
	case RS256:
		return p.rsa != nil && p.ed == nil && p.ec == nil
	case ES256:
		return p.ec != nil && p.ed == nil && p.rsa == nil
	}
	return false
}

// Keys returns the keys of the set, in the order they were given.
func (ks *KeySet) Keys() []PublicKey {
	if ks == nil {
		return nil
	}
	return slices.Clone(ks.keys)
}

// jwk is a JSON Web Key (RFC 7517, RFC 7518 §6, RFC 8037 §2), public
// members only.
type jwk struct {
	Kty    string   `json:"kty"`
	Crv    string   `json:"crv,omitempty"`
	X      string   `json:"x,omitempty"`
	Y      string   `json:"y,omitempty"`
	N      string   `json:"n,omitempty"`
	E      string   `json:"e,omitempty"`
	Kid    string   `json:"kid,omitempty"`
	Alg    string   `json:"alg,omitempty"`
	Use    string   `json:"use,omitempty"`
	KeyOps []string `json:"key_ops,omitempty"`
}

// JWKS returns the key set as an RFC 7517 JSON Web Key Set,
// {"keys":[…]}, to serve to resource servers: for each key its kty and
// public members (OKP: crv Ed25519, x; RSA: n, e; EC: crv P-256, x, y), its
// kid and alg, and use "sig".
func (ks *KeySet) JWKS() []byte {
	if ks == nil || ks.jwks == nil {
		return []byte(`{"keys":[]}`)
	}
	return slices.Clone(ks.jwks)
}

// marshal encodes the key set as a JWKS.
func (ks *KeySet) marshal() []byte {
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(ks.keys))}
	for i := range ks.keys {
		k := &ks.keys[i]
		kty, crv, x, y, n, e, err := k.jwkMembers()
		if err != nil {
			continue // not reached: NewKeySet keeps usable keys only
		}
		doc.Keys = append(doc.Keys, jwk{
			Kty: kty, Crv: crv, X: x, Y: y, N: n, E: e,
			Kid: k.ID, Alg: string(k.Alg), Use: "sig",
		})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("jwt: encoding JWKS: " + err.Error()) // not reached: plain strings only
	}
	return b
}

// ParseJWKS makes a key set from a JSON Web Key Set, such as one served by
// [KeySet.JWKS].
//
// Keys Latch cannot verify with are skipped: other key types and curves,
// algorithms other than EdDSA, RS256 and ES256, keys whose "use" is not
// "sig" or whose "key_ops" lacks "verify". A key's alg, when absent, is
// implied by its type, and its kid, when absent, is its thumbprint.
// Malformed keys are refused with an error: missing or badly encoded
// members, points not on the curve, an alg that does not fit the key type,
// RSA keys of fewer than 2048 (or more than 8192) bits, repeated kids.
func ParseJWKS(data []byte) (*KeySet, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("jwt: parsing JWKS: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`jwt: parsing JWKS: no "keys" array`)
	}
	keys := make([]PublicKey, 0, len(*doc.Keys))
	seen := make(map[string]bool, len(*doc.Keys))
	for i, raw := range *doc.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("jwt: parsing JWKS key %d: %w", i, err)
		}
		k, ok, err := j.publicKey()
		if err != nil {
			return nil, fmt.Errorf("jwt: parsing JWKS key %d: %w", i, err)
		}
		if !ok {
			continue
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("jwt: parsing JWKS key %d: repeated kid %q", i, k.ID)
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	return NewKeySet(keys...), nil
}

// publicKey converts a JWK. It returns ok=false, without an error, for a
// well-formed key Latch does not verify with.
func (j *jwk) publicKey() (k PublicKey, ok bool, err error) {
	if j.Use != "" && j.Use != "sig" {
		return PublicKey{}, false, nil
	}
	if j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
		return PublicKey{}, false, nil
	}
	var alg Algorithm
	switch j.Kty {
	case "":
		return PublicKey{}, false, errors.New("no kty")
	case "OKP":
		if j.Crv != "Ed25519" {
			return PublicKey{}, false, nil
		}
		alg = EdDSA
	case "RSA":
		alg = RS256
	case "EC":
		if j.Crv != "P-256" {
			return PublicKey{}, false, nil
		}
		alg = ES256
	default:
		return PublicKey{}, false, nil
	}
	if j.Alg != "" && j.Alg != string(alg) {
		if Algorithm(j.Alg).valid() {
			return PublicKey{}, false, fmt.Errorf("alg %s does not fit a %s key", j.Alg, j.Kty)
		}
		return PublicKey{}, false, nil // e.g. RS512 or PS256
	}

	switch alg {
	case EdDSA:
		x, err := decodeMember("x", j.X, ed25519.PublicKeySize)
		if err != nil {
			return PublicKey{}, false, err
		}
		k, err = newPublicKey(alg, ed25519.PublicKey(x))
		if err != nil {
			return PublicKey{}, false, err
		}
	case RS256:
		n, err := decodeMember("n", j.N, 0)
		if err != nil {
			return PublicKey{}, false, err
		}
		e, err := decodeMember("e", j.E, 0)
		if err != nil {
			return PublicKey{}, false, err
		}
		if len(e) > 4 {
			return PublicKey{}, false, errors.New("RSA exponent too large")
		}
		var ev int
		for _, b := range e {
			ev = ev<<8 | int(b)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: ev}
		if k, err = newPublicKey(alg, pub); err != nil {
			return PublicKey{}, false, err
		}
	case ES256:
		x, err := decodeMember("x", j.X, 32)
		if err != nil {
			return PublicKey{}, false, err
		}
		y, err := decodeMember("y", j.Y, 32)
		if err != nil {
			return PublicKey{}, false, err
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return PublicKey{}, false, errors.New("invalid P-256 point")
		}
		if k, err = newPublicKey(alg, pub); err != nil {
			return PublicKey{}, false, err
		}
	}
	if j.Kid != "" {
		k.ID = j.Kid
	}
	return k, true, nil
}

// decodeMember decodes a base64url member of a JWK, which must be present
// and, when size is not 0, decode to exactly size bytes.
func decodeMember(name, v string, size int) ([]byte, error) {
	if v == "" {
		return nil, fmt.Errorf("missing %q", name)
	}
	b, err := b64s.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("invalid base64url in %q", name)
	}
	if size != 0 && len(b) != size {
		return nil, fmt.Errorf("%q is %d bytes, want %d", name, len(b), size)
	}
	return b, nil
}
