package password

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptMaxPassword is the number of password bytes bcrypt uses. Every
// implementation ignores bytes past it.
const bcryptMaxPassword = 72

// verifyBcrypt checks a bare bcrypt hash, $2a$, $2b$ or $2y$ followed by a
// two-digit cost, "$", and 53 characters of bcrypt base64 (22 of salt and 31
// of hash), 60 bytes in all.
func (h *Hasher) verifyBcrypt(encoded string, pw []byte) (bool, error) {
	if len(encoded) != 60 || encoded[0] != '$' || encoded[1] != '2' ||
		(encoded[2] != 'a' && encoded[2] != 'b' && encoded[2] != 'y') ||
		encoded[3] != '$' || encoded[6] != '$' {
		return false, unknown("bcrypt: malformed hash")
	}
	if !isDigit(encoded[4]) || !isDigit(encoded[5]) {
		return false, unknown("bcrypt: malformed cost")
	}
	cost := int(encoded[4]-'0')*10 + int(encoded[5]-'0')
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return false, unknown("bcrypt: cost out of range")
	}
	if cost > h.limits.bcryptCost {
		return false, unknown("bcrypt: cost above safety limit")
	}
	for i := 7; i < len(encoded); i++ {
		if !isBcryptBase64(encoded[i]) {
			return false, unknown("bcrypt: malformed salt or hash")
		}
	}
	// Truncate explicitly so that the behaviour does not depend on the
	// library: the hashes we verify were made by implementations that only
	// read the first 72 bytes.
	if len(pw) > bcryptMaxPassword {
		pw = pw[:bcryptMaxPassword]
	}
	err := bcrypt.CompareHashAndPassword([]byte(encoded), pw)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, unknownCause("bcrypt", err)
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isBcryptBase64 reports whether c is in bcrypt's base64 alphabet
// (./A-Za-z0-9).
func isBcryptBase64(c byte) bool {
	return c == '.' || c == '/' || isDigit(c) || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
}

// sha256Hex returns the lower-case hex of SHA-256(plain), which Django's
// BCryptSHA256PasswordHasher hashes with bcrypt instead of the password. The
// digest avoids bcrypt's 72-byte truncation.
func sha256Hex(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	dst := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(dst, sum[:])
	return dst
}

// pbkdf2Algo is one of Django's PBKDF2 hashers.
type pbkdf2Algo struct {
	name    string
	newHash func() hash.Hash
	size    int // Django uses the digest size as the key length.
}

var (
	pbkdf2SHA256 = pbkdf2Algo{"pbkdf2_sha256", sha256.New, sha256.Size}
	pbkdf2SHA1   = pbkdf2Algo{"pbkdf2_sha1", sha1.New, sha1.Size}
)

// verifyPBKDF2 checks the part of a Django PBKDF2 hash after the algorithm,
// "<iterations>$<salt>$<base64 key>". The salt is used as is: its bytes, not
// a decoding of them. The key is padded standard base64 of digest-size bytes.
func (h *Hasher) verifyPBKDF2(a pbkdf2Algo, rest, plain string) (bool, error) {
	parts := strings.SplitN(rest, "$", 4)
	if len(parts) != 3 {
		return false, unknown(a.name + ": wrong number of fields")
	}
	iter, err := strconv.Atoi(parts[0])
	if err != nil || iter < 1 || parts[0][0] == '+' || parts[0][0] == '-' {
		return false, unknown(a.name + ": bad iteration count")
	}
	if iter > h.limits.pbkdf2Iter {
		return false, unknown(a.name + ": iteration count above safety limit")
	}
	salt := parts[1]
	if salt == "" {
		return false, unknown(a.name + ": empty salt")
	}
	want, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(want) != a.size {
		return false, unknown(a.name + ": bad key")
	}
	got, err := pbkdf2.Key(a.newHash, plain, []byte(salt), iter, a.size)
	if err != nil {
		// Only FIPS 140-3 mode refuses these inputs.
		return false, unknownCause(a.name, err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
