package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TOTP as RFC 6238 defines it and every authenticator app implements it:
// HMAC-SHA-1, 6 digits, 30-second steps from the Unix epoch. A code is
// accepted for its own step and one step either side (clock drift), and
// only for a step later than the last one accepted, so a code cannot be
// used twice, even inside its window.
const (
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1
	// totpSecretBytes is the secret's length: 160 bits, RFC 4226's
	// recommendation for HMAC-SHA-1.
	totpSecretBytes = 20
)

// totpEncoding is how secrets are shown: base32 without padding, as the
// otpauth:// URI format and authenticator apps expect.
var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a fresh random secret.
func newTOTPSecret() []byte {
	b := make([]byte, totpSecretBytes)
	rand.Read(b)
	return b
}

// hotp is RFC 4226's HOTP value of counter, as a digits-long decimal string.
func hotp(secret []byte, counter uint64, digits int) string {
	m := hmac.New(sha1.New, secret)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	s := strconv.FormatUint(uint64(v%mod), 10)
	return strings.Repeat("0", digits-len(s)) + s
}

// totpStep is the time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// totpCode is the code of secret for step.
func totpCode(secret []byte, step int64) string {
	return hotp(secret, uint64(step), totpDigits)
}

// totpCheck returns the step code belongs to when it is right at now (its
// own step or one either side) for a step after last, the last step
// accepted; ok is false otherwise. Every candidate is compared in constant
// time.
func totpCheck(secret []byte, code string, now time.Time, last int64) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits {
		return 0, false
	}
	cur := totpStep(now)
	for s := cur - totpSkew; s <= cur+totpSkew; s++ {
		if subtle.ConstantTimeCompare([]byte(totpCode(secret, s)), []byte(code)) == 1 && s > last && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// totpURL is the otpauth:// URI an authenticator app reads from a QR code:
// the label "issuer:account", the secret, and the issuer again as a
// parameter (the form Google Authenticator documents).
func totpURL(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", totpEncoding.EncodeToString(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", strconv.Itoa(totpDigits))
	q.Set("period", strconv.Itoa(totpPeriod))
	return "otpauth://totp/" + label + "?" + q.Encode()
}
