package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/latchauth/latch"
)

// Device tokens are OWASP's device-cookie defence against lockout: a
// browser or app that has logged in to an account before gets a token
// naming that account, signed with Config.DeviceSecret. Its failed logins
// are counted for that device alone, and the per-account ceiling that
// strangers can exhaust does not apply to it. A token holds a random nonce
// (the device's identity in the budgets) and a MAC over the nonce and the
// user's public id; it reveals nothing about the account.
const deviceNonceLen, deviceMACLen = 16, 16

// deviceKey signs device tokens (Config.DeviceSecret); empty: none are
// issued and every client counts as unknown.
type deviceKey []byte

// newDeviceToken returns a fresh device token for user.
func (k deviceKey) newToken(user *latch.User) string {
	b := make([]byte, deviceNonceLen, deviceNonceLen+deviceMACLen)
	rand.Read(b)
	b = append(b, k.mac(b, user)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (k deviceKey) mac(nonce []byte, user *latch.User) []byte {
	m := hmac.New(sha256.New, k)
	m.Write(nonce)
	m.Write([]byte{0})
	m.Write([]byte(user.PublicID))
	return m.Sum(nil)[:deviceMACLen]
}

// knownDevice returns the device identity in token when it is a valid
// device token for user, else "".
func (k deviceKey) known(token string, user *latch.User) string {
	if user == nil || len(k) == 0 || len(token) != base64.RawURLEncoding.EncodedLen(deviceNonceLen+deviceMACLen) {
		return ""
	}
	// Strictly: the unused bits of the last character must be zero, so that
	// a token has the one spelling it was issued in.
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != deviceNonceLen+deviceMACLen {
		return ""
	}
	if subtle.ConstantTimeCompare(b[deviceNonceLen:], k.mac(b[:deviceNonceLen], user)) != 1 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b[:deviceNonceLen])
}
