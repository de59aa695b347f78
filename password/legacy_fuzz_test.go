package password

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// FuzzDjangoHash formats a hash the way Django's hashers do (PBKDF2-SHA256,
// PBKDF2-SHA1, bcrypt, bcrypt-SHA256, Argon2) of an arbitrary password with
// an arbitrary salt and cost, and checks the parser against it: the hash
// verifies the password it was made from (format → parse round trip, the
// Argon2 parameters parsing back to what was written), asks for a rehash
// (it is not Latch's own format), and never verifies another password —
// the same one with a byte added, except past bcrypt's 72 bytes, which
// every bcrypt ignores.
func FuzzDjangoHash(f *testing.F) {
	for i, s := range []string{horse, "", "pässwörd", "ﬃ", strings.Repeat("x", 72), strings.Repeat("é", 40), "$", "a\x00b"} {
		for v := range byte(5) {
			f.Add(s, "seasalt"+fmt.Sprint(i), uint16(i*97), v)
		}
	}
	h := NewHasher(TestParams)
	h.limits = limits{argon2Memory: 1024, argon2Time: 4, pbkdf2Iter: 20_000, bcryptCost: 6}

	f.Fuzz(func(t *testing.T, plain, salt string, cost uint16, variant byte) {
		if salt == "" || strings.ContainsRune(salt, '$') {
			salt = "s" + strings.ReplaceAll(salt, "$", "")
		}
		encoded, truncates := djangoFormat(t, variant, plain, salt, cost)
		ok, rehash, err := h.Verify(encoded, plain)
		if err != nil || !ok || !rehash {
			t.Fatalf("Verify(%q, %q) = %v, %v, %v; want true, true, nil", encoded, plain, ok, rehash, err)
		}
		other := plain + "\x01"
		if truncates && len(plain) >= bcryptMaxPassword {
			return
		}
		if ok, _, err := h.Verify(encoded, other); ok || err != nil {
			t.Fatalf("Verify(%q, %q) = %v, %v: another password verifies", encoded, other, ok, err)
		}
	})
}

// djangoFormat returns the Django hash of plain for variant, and whether the
// algorithm reads only the first 72 bytes of the password.
func djangoFormat(t *testing.T, variant byte, plain, salt string, cost uint16) (string, bool) {
	t.Helper()
	switch variant % 5 {
	case 0, 1:
		name, newHash, size := "pbkdf2_sha256", sha256.New, sha256.Size
		if variant%5 == 1 {
			name, newHash, size = "pbkdf2_sha1", sha1.New, sha1.Size
		}
		iter := 1 + int(cost)%2000
		key, err := pbkdf2.Key(newHash, plain, []byte(salt), iter, size)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s$%d$%s$%s", name, iter, salt, base64.StdEncoding.EncodeToString(key)), false
	case 2, 3:
		pw, prefix := []byte(plain), "bcrypt$"
		if variant%5 == 3 {
			pw, prefix = sha256Hex(plain), "bcrypt_sha256$"
		}
		if len(pw) > bcryptMaxPassword {
			pw = pw[:bcryptMaxPassword]
		}
		b, err := bcrypt.GenerateFromPassword(pw, bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return prefix + string(b), variant%5 == 2
	default:
		m, tm, p := uint32(8+cost%57), uint32(1+cost%2), uint8(1)
		params := fmt.Sprintf("m=%d,t=%d,p=%d", m, tm, p)
		if gm, gt, gp, err := parseArgon2Params(params); err != nil || gm != m || gt != tm || gp != p {
			t.Fatalf("parseArgon2Params(%q) = %d, %d, %d, %v", params, gm, gt, gp, err)
		}
		s := []byte(salt)
		for len(s) < minSaltLen {
			s = append(s, '.')
		}
		if len(s) > maxSaltLen {
			s = s[:maxSaltLen]
		}
		key := argon2.IDKey([]byte(plain), s, tm, m, p, 32)
		return fmt.Sprintf("argon2$argon2id$v=19$%s$%s$%s", params,
			base64.RawStdEncoding.EncodeToString(s), base64.RawStdEncoding.EncodeToString(key)), false
	}
}
