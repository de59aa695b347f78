package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// The sid claim of an access token names its session without telling how
// many sessions the server has made: the session's row number is encrypted
// as one AES-256 block (eight zero bytes, then the id big-endian) under a
// key derived from Tokens.Secret (itself derived from the master secret),
// and written as 22 base64url characters. AES is a permutation: distinct
// sessions get distinct sids, which look random and keep no order; the zero
// half lets a sid that was not made here be told apart (the token's
// signature already vouches for it). No schema change: every node that
// shares the master secret reads every other's sids.

// sidLen is the length of an encoded sid: one block, base64url unpadded.
const sidLen = 22

// sidEncoding reads sids strictly: one block has one spelling.
var sidEncoding = base64.RawURLEncoding.Strict()

// sidCipher is the block cipher of sids.
type sidCipher struct{ b cipher.Block }

// newSIDCipher returns the cipher of sids for secret.
func newSIDCipher(secret []byte) sidCipher {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("latch access-token sid"))
	b, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic("account: sid cipher: " + err.Error()) // a 32-byte key cannot fail
	}
	return sidCipher{b}
}

// encodeSID returns the sid claim for session id.
func (c sidCipher) encode(id int64) string {
	var blk [aes.BlockSize]byte
	binary.BigEndian.PutUint64(blk[8:], uint64(id))
	c.b.Encrypt(blk[:], blk[:])
	return sidEncoding.EncodeToString(blk[:])
}

// decodeSID returns the session id a sid claim names. A decimal sid — what
// Latch wrote before sids were encrypted — is read as it is, so that access
// tokens issued by a node not yet upgraded keep working during a rolling
// upgrade; they live minutes, and like any claim it is vouched for by the
// token's signature.
func (c sidCipher) decode(sid string) (int64, bool) {
	if len(sid) != sidLen {
		id, err := strconv.ParseInt(sid, 10, 64)
		return id, err == nil && id > 0
	}
	var src [sidLen]byte
	var blk [aes.BlockSize]byte
	copy(src[:], sid)
	if n, err := sidEncoding.Decode(blk[:], src[:]); err != nil || n != len(blk) {
		return 0, false
	}
	c.b.Decrypt(blk[:], blk[:])
	if binary.BigEndian.Uint64(blk[:8]) != 0 {
		return 0, false
	}
	id := int64(binary.BigEndian.Uint64(blk[8:]))
	return id, id > 0
}
