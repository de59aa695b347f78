package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strings"
)

// Recovery codes: Config.MFA.RecoveryCodes codes of recoveryDigits digits,
// made when a user's first authenticator is activated. Each is stored twice:
// as a keyed hash (HMAC-SHA-256 under the MFA key), which is what a typed
// code is checked against, and inside the sealed list the user may view
// again. Each code works once; a used one is remembered by its index.

// recoveryDigits is the length of a recovery code.
const recoveryDigits = 8

// recoveryData is the Data of a recovery-codes authenticator.
type recoveryData struct {
	// Sealed is the codes, encrypted (mfaKeys.seal), for viewing.
	Sealed string `json:"sealed"`
	// Hashes are the codes' keyed hashes, in the order of the list.
	Hashes []string `json:"hashes"`
	// Used are the indexes of the codes used up.
	Used []int `json:"used,omitempty"`
}

// newRecoveryCodes returns n random codes, each digit uniform.
func newRecoveryCodes(n int) []string {
	codes := make([]string, n)
	ten := big.NewInt(10)
	for i := range codes {
		var b strings.Builder
		for range recoveryDigits {
			d, _ := rand.Int(rand.Reader, ten)
			b.WriteByte(byte('0' + d.Int64()))
		}
		codes[i] = b.String()
	}
	return codes
}

// recoveryHash is the keyed hash under which a code is stored.
func recoveryHash(key []byte, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("latch recovery code\x00"))
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// unused reports whether code i has not been used.
func (d *recoveryData) unused(i int) bool {
	for _, u := range d.Used {
		if u == i {
			return false
		}
	}
	return true
}

// match returns the index of the unused code code is, or -1. Every stored
// hash is compared, in constant time.
func (d *recoveryData) match(key []byte, code string) int {
	code = strings.TrimSpace(code)
	if len(code) != recoveryDigits {
		return -1
	}
	h := []byte(recoveryHash(key, code))
	found := -1
	for i, stored := range d.Hashes {
		if hmac.Equal(h, []byte(stored)) && d.unused(i) && found < 0 {
			found = i
		}
	}
	return found
}
