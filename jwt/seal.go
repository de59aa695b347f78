package jwt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// sealInfo is the HKDF info string that separates the key Seal derives from
// any other key derived from the master secret.
const sealInfo = "latch signing key v1"

// errOpen is returned by Open for every failure to decrypt, whatever the
// cause, so that it reveals nothing about the data.
var errOpen = errors.New("jwt: cannot open sealed data: wrong secret or corrupted data")

// Seal encrypts data (typically a private key from [Key.MarshalPrivate])
// under the master secret, for storage. The key is derived with
// HKDF-SHA256 from the secret (no salt, info "latch signing key v1") and the
// data encrypted with AES-256-GCM; the result is the random 12-byte nonce
// followed by the ciphertext and its 16-byte tag.
func Seal(secret string, data []byte) ([]byte, error) {
	aead, err := sealAEAD(secret)
	if err != nil {
		return nil, err
	}
	return aead.Seal(nil, nil, data, nil), nil
}

// Open decrypts what [Seal] produced with the same secret. It fails if the
// secret is wrong or the sealed data was modified.
func Open(secret string, sealed []byte) ([]byte, error) {
	aead, err := sealAEAD(secret)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.Overhead() {
		return nil, errOpen
	}
	data, err := aead.Open(nil, nil, sealed, nil)
	if err != nil {
		return nil, errOpen
	}
	return data, nil
}

// sealAEAD derives the AES-256-GCM cipher (random nonces, prepended) from
// the master secret.
func sealAEAD(secret string) (cipher.AEAD, error) {
	if secret == "" {
		return nil, errors.New("jwt: empty secret")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("jwt: deriving key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("jwt: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("jwt: %w", err)
	}
	return aead, nil
}
