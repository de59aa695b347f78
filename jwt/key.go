package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
)

const (
	rsaGenerateBits = 2048 // size of the RSA keys GenerateKey makes
	rsaMinBits      = 2048 // smallest RSA key accepted anywhere
	rsaMaxBits      = 8192 // largest RSA key accepted anywhere
)

var b64 = base64.RawURLEncoding

// Key is a signing key pair. ID is its "kid": the RFC 7638 JWK SHA-256
// thumbprint of the public key, base64url without padding. Alg is the
// algorithm the key signs with; it must not be changed.
type Key struct {
	ID  string
	Alg Algorithm

	priv crypto.Signer // ed25519.PrivateKey, *rsa.PrivateKey or *ecdsa.PrivateKey
	pub  PublicKey
}

// PublicKey is a verification key: the public half of a [Key], or a key read
// from a JWKS. ID is its "kid" and Alg the only algorithm it verifies.
// The zero PublicKey is not usable.
type PublicKey struct {
	ID  string
	Alg Algorithm

	ed     ed25519.PublicKey // when Alg is EdDSA
	rsa    *rsa.PublicKey    // when Alg is RS256
	ec     *ecdsa.PublicKey  // when Alg is ES256
	sigLen int               // exact signature length in bytes
}

// GenerateKey makes a new random key pair for alg: an Ed25519 key, a
// 2048-bit RSA key or a P-256 key.
func GenerateKey(alg Algorithm) (*Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaGenerateBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("jwt: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("jwt: generating %s key: %w", alg, err)
	}
	return newKey(alg, priv)
}

// ParsePrivateKey reads a private key stored by [Key.MarshalPrivate]
// (PKCS #8 DER) for alg. The key's type must fit alg: Ed25519 for EdDSA,
// RSA of at least 2048 bits for RS256, P-256 for ES256.
func ParsePrivateKey(alg Algorithm, der []byte) (*Key, error) {
	if !alg.valid() {
		return nil, fmt.Errorf("jwt: unsupported algorithm %q", alg)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("jwt: parsing private key: %w", err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("jwt: unsupported private key type %T", parsed)
	}
	return newKey(alg, priv)
}

// newKey checks that priv suits alg and builds the Key, with its kid.
func newKey(alg Algorithm, priv crypto.Signer) (*Key, error) {
	var pub PublicKey
	var err error
	switch p := priv.(type) {
	case ed25519.PrivateKey:
		if alg == EdDSA {
			pub, err = newPublicKey(alg, p.Public())
		}
	case *rsa.PrivateKey:
		if alg == RS256 {
			pub, err = newPublicKey(alg, &p.PublicKey)
		}
	case *ecdsa.PrivateKey:
		if alg == ES256 {
			pub, err = newPublicKey(alg, &p.PublicKey)
		}
	}
	if err != nil {
		return nil, err
	}
	if pub.Alg == "" {
		return nil, fmt.Errorf("jwt: a %T cannot sign %s", priv, alg)
	}
	return &Key{ID: pub.ID, Alg: alg, priv: priv, pub: pub}, nil
}

// newPublicKey checks that pub suits alg and builds the PublicKey, with its
// kid set to the key's thumbprint.
func newPublicKey(alg Algorithm, pub crypto.PublicKey) (PublicKey, error) {
	k := PublicKey{Alg: alg}
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if alg != EdDSA || len(p) != ed25519.PublicKeySize {
			return PublicKey{}, errors.New("jwt: invalid Ed25519 public key")
		}
		k.ed, k.sigLen = p, ed25519.SignatureSize
	case *rsa.PublicKey:
		if alg != RS256 {
			return PublicKey{}, fmt.Errorf("jwt: an RSA key cannot verify %s", alg)
		}
		if err := checkRSA(p); err != nil {
			return PublicKey{}, err
		}
		k.rsa, k.sigLen = p, p.Size()
	case *ecdsa.PublicKey:
		if alg != ES256 || p.Curve != elliptic.P256() {
			return PublicKey{}, errors.New("jwt: ES256 needs a P-256 key")
		}
		k.ec, k.sigLen = p, 64
	default:
		return PublicKey{}, fmt.Errorf("jwt: unsupported public key type %T", pub)
	}
	tp, err := k.thumbprint()
	if err != nil {
		return PublicKey{}, err
	}
	k.ID = tp
	return k, nil
}

// checkRSA refuses RSA public keys Latch will not verify with.
func checkRSA(p *rsa.PublicKey) error {
	if p.N == nil || p.N.Sign() <= 0 || p.N.Bit(0) == 0 {
		return errors.New("jwt: invalid RSA modulus")
	}
	if n := p.N.BitLen(); n < rsaMinBits || n > rsaMaxBits {
		return fmt.Errorf("jwt: RSA key of %d bits (want %d to %d)", n, rsaMinBits, rsaMaxBits)
	}
	if p.E < 3 || p.E&1 == 0 || p.E > 1<<31-1 {
		return errors.New("jwt: invalid RSA public exponent")
	}
	return nil
}

// Public returns the key's public half, with the same ID and Alg.
func (k *Key) Public() PublicKey {
	p := k.pub
	p.ID, p.Alg = k.ID, k.Alg
	return p
}

// MarshalPrivate returns the private key as PKCS #8 DER, for storage. The
// result is secret: encrypt it (see [Seal]) before storing it.
func (k *Key) MarshalPrivate() ([]byte, error) {
	if k == nil || k.priv == nil {
		return nil, errors.New("jwt: no private key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("jwt: marshaling private key: %w", err)
	}
	return der, nil
}

// jwkMembers returns the public JWK members of the key, other than kty:
// crv and x (and y) for OKP and EC keys, n and e for RSA keys.
func (p *PublicKey) jwkMembers() (kty, crv, x, y, n, e string, err error) {
	switch {
	case p.ed != nil:
		return "OKP", "Ed25519", b64.EncodeToString(p.ed), "", "", "", nil
	case p.rsa != nil:
		eb := big.NewInt(int64(p.rsa.E)).Bytes()
		return "RSA", "", "", "", b64.EncodeToString(p.rsa.N.Bytes()), b64.EncodeToString(eb), nil
	case p.ec != nil:
		pt, err := p.ec.Bytes() // 0x04 || X || Y
		if err != nil || len(pt) != 65 {
			return "", "", "", "", "", "", errors.New("jwt: invalid P-256 public key")
		}
		return "EC", "P-256", b64.EncodeToString(pt[1:33]), b64.EncodeToString(pt[33:]), "", "", nil
	}
	return "", "", "", "", "", "", errors.New("jwt: empty public key")
}

// thumbprint computes the RFC 7638 JWK SHA-256 thumbprint of the key: the
// hash of its required members, in lexicographic order, without
// whitespace. The member values are base64url or fixed names, which never
// need escaping in JSON.
func (p *PublicKey) thumbprint() (string, error) {
	kty, crv, x, y, n, e, err := p.jwkMembers()
	if err != nil {
		return "", err
	}
	var s string
	switch kty {
	case "OKP":
		s = `{"crv":"` + crv + `","kty":"OKP","x":"` + x + `"}`
	case "RSA":
		s = `{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`
	case "EC":
		s = `{"crv":"` + crv + `","kty":"EC","x":"` + x + `","y":"` + y + `"}`
	}
	sum := sha256.Sum256([]byte(s))
	return b64.EncodeToString(sum[:]), nil
}
