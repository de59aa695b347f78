package jwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch/internal/jsonstr"
)

// MaxTokenSize is the length, in bytes, of the longest token [KeySet.Verify]
// reads and [Sign] produces.
const MaxTokenSize = 8 << 10

// Errors returned by [KeySet.Verify]. ErrInvalid and ErrUnknownKey are
// wrapped with the reason; test them with errors.Is. An expired token yields
// ErrExpired itself, and only when it is otherwise valid.
var (
	// ErrInvalid: the token is malformed, its signature does not verify or
	// a claim is wrong.
	ErrInvalid = errors.New("jwt: invalid token")
	// ErrExpired: the token is valid but expired.
	ErrExpired = errors.New("jwt: token expired")
	// ErrUnknownKey: the token's kid is not in the key set. The key set
	// may be stale: refetch the JWKS (at a limited rate) and try again.
	ErrUnknownKey = errors.New("jwt: unknown signing key")
)

// invalid returns ErrInvalid wrapped with a reason. The rejection reasons
// are made once, so rejecting a token costs no allocation.
func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalid, reason) }

var (
	errTooLarge    = invalid("token too large")
	errSegments    = invalid("not three dot-separated segments")
	errEncoding    = invalid("invalid base64url encoding")
	errHeader      = invalid("malformed header")
	errAlg         = invalid("unsupported algorithm")
	errNoKID       = invalid("no kid in header")
	errAlgMismatch = invalid("algorithm does not match the key's")
	errCrit        = invalid("unsupported critical header")
	errTyp         = invalid("unexpected token type")
	errSignature   = invalid("signature verification failed")
	errClaims      = invalid("malformed claims")
	errNoExpiry    = invalid("no expiry")
	errNoIssued    = invalid("no issue time")
	errFuture      = invalid("issued in the future")
	errNotYet      = invalid("not valid yet")
	errIssuer      = invalid("wrong issuer")
	errAudience    = invalid("wrong audience")
	errNoKeySet    = invalid("no key set")
)

// Claims are the claims of a Latch access token.
type Claims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"` // the user's public id
	Audience  string `json:"aud"`
	SessionID string `json:"sid"` // opaque: the session, encrypted by Latch (never its row number)
	IssuedAt  int64  `json:"iat"` // seconds since the Unix epoch
	Expires   int64  `json:"exp"` // seconds since the Unix epoch
	ID        string `json:"jti"`
	// Optional conveniences for resource servers (omitted when empty/false):
	Email     string `json:"email,omitempty"`
	Username  string `json:"preferred_username,omitempty"`
	Staff     bool   `json:"is_staff,omitempty"`
	Superuser bool   `json:"is_superuser,omitempty"`
}

// Sign returns c as a compact JWS signed with k: the base64url (no padding)
// header {"alg":…,"kid":…,"typ":"JWT"}, the base64url claims and the
// base64url signature, joined by dots. The claims are written in the order
// of the Claims fields, optional ones only when set.
func Sign(k *Key, c *Claims) (string, error) {
	if k == nil || k.priv == nil {
		return "", errors.New("jwt: no signing key")
	}
	if c == nil {
		return "", errors.New("jwt: no claims")
	}
	if k.Alg != k.pub.Alg {
		return "", fmt.Errorf("jwt: key of type %s cannot sign %q", k.pub.Alg, k.Alg)
	}

	var scratch [512]byte
	hdr := append(scratch[:0], `{"alg":"`...)
	hdr = append(hdr, k.Alg...)
	hdr = append(hdr, `","kid":`...)
	hdr = jsonstr.Append(hdr, k.ID, false)
	hdr = append(hdr, `,"typ":"JWT"}`...)
	pay := appendClaims(hdr[len(hdr):], c)
	hdr = hdr[:len(hdr):len(hdr)]

	n := b64.EncodedLen(len(hdr)) + 1 + b64.EncodedLen(len(pay)) + 1 + b64.EncodedLen(k.pub.sigLen)
	if n > MaxTokenSize {
		return "", fmt.Errorf("jwt: token of %d bytes is over the %d-byte limit", n, MaxTokenSize)
	}
	tok := make([]byte, 0, n)
	tok = b64.AppendEncode(tok, hdr)
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, pay)
	input := tok

	var sig []byte
	var err error
	switch k.Alg {
	case EdDSA:
		sig = ed25519.Sign(k.priv.(ed25519.PrivateKey), input)
	case RS256:
		sum := sha256.Sum256(input)
		sig, err = rsa.SignPKCS1v15(nil, k.priv.(*rsa.PrivateKey), crypto.SHA256, sum[:])
	case ES256:
		sum := sha256.Sum256(input)
		sig, err = signES256(k.priv.(*ecdsa.PrivateKey), sum[:])
	}
	if err != nil {
		return "", fmt.Errorf("jwt: signing: %w", err)
	}
	if len(sig) != k.pub.sigLen {
		return "", errors.New("jwt: unexpected signature length")
	}
	tok = append(tok, '.')
	tok = b64.AppendEncode(tok, sig)
	return string(tok), nil
}

// signES256 signs a SHA-256 hash with a P-256 key and returns the JWS
// signature: r and s as 32-byte big-endian numbers (RFC 7518 §3.4).
func signES256(priv *ecdsa.PrivateKey, hash []byte) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, priv, hash)
	if err != nil {
		return nil, err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// appendClaims appends the claims as JSON.
func appendClaims(b []byte, c *Claims) []byte {
	b = append(b, `{"iss":`...)
	b = jsonstr.Append(b, c.Issuer, false)
	b = append(b, `,"sub":`...)
	b = jsonstr.Append(b, c.Subject, false)
	b = append(b, `,"aud":`...)
	b = jsonstr.Append(b, c.Audience, false)
	b = append(b, `,"sid":`...)
	b = jsonstr.Append(b, c.SessionID, false)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, c.Expires, 10)
	b = append(b, `,"jti":`...)
	b = jsonstr.Append(b, c.ID, false)
	if c.Email != "" {
		b = append(b, `,"email":`...)
		b = jsonstr.Append(b, c.Email, false)
	}
	if c.Username != "" {
		b = append(b, `,"preferred_username":`...)
		b = jsonstr.Append(b, c.Username, false)
	}
	if c.Staff {
		b = append(b, `,"is_staff":true`...)
	}
	if c.Superuser {
		b = append(b, `,"is_superuser":true`...)
	}
	return append(b, '}')
}

// isB64URL marks the bytes of the base64url alphabet.
var isB64URL = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = true
	}
	return t
}()

// Verify checks a token and returns its claims.
//
// The token must be a compact JWS of at most [MaxTokenSize] bytes, in
// unpadded base64url. Its header must name, by kid, a key of the set and
// carry exactly that key's algorithm ("none", HMAC and any algorithm other
// than the key's are refused); a "crit" header is refused, and a "typ"
// header, if present, must be "JWT". The signature must verify.
//
// The claims must then have iss equal to issuer and aud equal to audience,
// or be an array containing it (Claims.Audience is then set to audience);
// both must be non-empty. The token must not be issued ("iat", required) or
// become valid ("nbf", optional) more than leeway after now, and must
// expire ("exp", required) less than leeway before now; times are integer
// seconds since the Unix epoch.
//
// The error is ErrUnknownKey (wrapped) when the kid is not in the set,
// ErrExpired when the token has expired, and ErrInvalid (wrapped) in every
// other case.
//
// A token whose signature the set has verified before skips the signature
// check, which costs tens of microseconds, and the decoding and reading of
// its header and claims, which depend on the token alone; its times, issuer
// and audience are checked anew against each call's arguments. The claims
// returned are the caller's own.
func (ks *KeySet) Verify(token string, now time.Time, leeway time.Duration, issuer, audience string) (*Claims, error) {
	var c Claims
	if err := ks.VerifyInto(&c, token, now, leeway, issuer, audience); err != nil {
		return nil, err
	}
	out := c // on the heap, and so allocated, only for an accepted token
	return &out, nil
}

// VerifyInto is [KeySet.Verify] storing the claims in *c rather than in a
// new Claims, so that a caller who needs them only briefly can keep them on
// its stack: a token verified before then costs no allocation. On error,
// *c holds nothing of use.
func (ks *KeySet) VerifyInto(c *Claims, token string, now time.Time, leeway time.Duration, issuer, audience string) error {
	if ks == nil {
		return errNoKeySet
	}
	if len(token) > MaxTokenSize {
		return errTooLarge
	}
	// Only tokens whose signature verified are in the cache, so a hit
	// needs none of the checks of the token's form either.
	sig := token[strings.LastIndexByte(token, '.')+1:]
	v := ks.verified.lookup(token, sig)
	if v == nil || v.audience != audience {
		var err error
		if v, err = ks.verifyFull(token, audience, v != nil); err != nil {
			return err
		}
	}
	if v.err != nil {
		return v.err
	}
	if err := checkClaims(&v.claims, v.nbf, now, leeway, issuer, audience); err != nil {
		return err
	}
	*c = v.claims
	return nil
}

// verifyFull checks the form, header and (unless signed is true: the cache
// holds the token) signature of a token, and reads its claims for
// audience. A token whose signature verifies is cached with what was
// read, even if its claims could not be read: that does not change either.
func (ks *KeySet) verifyFull(token, audience string, signed bool) (*verifiedToken, error) {
	dot1, dot2 := -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		if c == '.' {
			switch {
			case dot1 < 0:
				dot1 = i
			case dot2 < 0:
				dot2 = i
			default:
				return nil, errSegments
			}
			continue
		}
		if !isB64URL[c] {
			return nil, errEncoding
		}
	}
	if dot2 < 0 {
		return nil, errSegments
	}
	if dot1 == 0 || dot2 == dot1+1 || dot2 == len(token)-1 {
		return nil, errSegments // an empty header, payload or signature
	}

	// One buffer, on the stack for common tokens, holds a copy of the
	// token (the crypto functions and the base64 decoder take bytes), then
	// the decoded header and payload, then the decoded signature.
	hLen, pLen, sLen := dot1, dot2-dot1-1, len(token)-dot2-1
	need := len(token) + b64.DecodedLen(hLen) + b64.DecodedLen(pLen) + b64.DecodedLen(sLen)
	var stack [2048]byte
	buf := stack[:]
	if need > len(buf) {
		buf = make([]byte, need)
	}
	tok := buf[:copy(buf, token)]
	dec := buf[len(tok):]
	hn, err := b64s.Decode(dec, tok[:dot1])
	if err != nil {
		return nil, errEncoding
	}
	pn, err := b64s.Decode(dec[hn:], tok[dot1+1:dot2])
	if err != nil {
		return nil, errEncoding
	}
	sigBuf := dec[hn+pn:]

	// The header and claims are read as one string, so that the claims'
	// strings are substrings of it: a single allocation.
	text := string(dec[:hn+pn])
	if !utf8.ValidString(text) {
		return nil, errEncoding
	}
	hdr, payload := text[:hn], text[hn:]

	alg, kid, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	if !Algorithm(alg).valid() {
		return nil, errAlg
	}
	if kid == "" {
		return nil, errNoKID
	}
	key := ks.byKID[kid]
	if key == nil {
		return nil, errUnknownKID
	}
	if alg != string(key.Alg) {
		return nil, errAlgMismatch
	}

	if b64.DecodedLen(sLen) != key.sigLen {
		return nil, errSignature
	}
	if !signed {
		sn, err := b64s.Decode(sigBuf, tok[dot2+1:])
		if err != nil {
			return nil, errEncoding
		}
		if !key.verify(tok[:dot2], sigBuf[:sn]) {
			return nil, errSignature
		}
	}

	v := &verifiedToken{audience: audience}
	v.nbf, v.err = parseClaims(payload, audience, &v.claims)
	if !signed {
		// A token string seen before with a valid signature has one
		// still: the kid, alg, signed input and signature are all in the
		// string, and the set's keys do not change.
		ks.verified.add(token, token[dot2+1:], v)
	}
	return v, nil
}

// checkClaims checks claims read from a token whose signature verified
// (with nbf its nbf claim, 0 if absent) against a call of Verify.
func checkClaims(c *Claims, nbf int64, now time.Time, leeway time.Duration, issuer, audience string) error {
	if c.Issuer == "" || c.Issuer != issuer {
		return errIssuer
	}
	if c.Audience == "" || c.Audience != audience {
		return errAudience
	}
	leeway = max(leeway, 0)
	late := now.Add(leeway).Unix() // latest acceptable iat and nbf
	if c.IssuedAt > late {
		return errFuture
	}
	if nbf > late {
		return errNotYet
	}
	// Expired when now - leeway >= exp; with exp an integer, that is when
	// the whole seconds of now - leeway reach it.
	if now.Add(-leeway).Unix() >= c.Expires {
		return ErrExpired
	}
	return nil
}

// b64s decodes unpadded base64url strictly: the unused bits of the last
// character must be zero, so each encoded value has one encoding. (Verify
// checks the alphabet first, which rules out the line breaks the decoder
// would skip.)
var b64s = b64.Strict()

var errUnknownKID = fmt.Errorf("%w: kid not in the key set", ErrUnknownKey)

// verify reports whether sig is a valid signature of input by the key.
func (p *PublicKey) verify(input, sig []byte) bool {
	switch p.Alg {
	case EdDSA:
		return p.ed != nil && ed25519.Verify(p.ed, input, sig)
	case RS256:
		sum := sha256.Sum256(input)
		return p.rsa != nil && rsa.VerifyPKCS1v15(p.rsa, crypto.SHA256, sum[:], sig) == nil
	case ES256:
		if p.ec == nil || len(sig) != 64 {
			return false
		}
		sum := sha256.Sum256(input)
		var der [72]byte
		return ecdsa.VerifyASN1(p.ec, sum[:], rawToASN1(der[:0], sig))
	}
	return false
}

// rawToASN1 appends the ASN.1 DER encoding of a JWS ECDSA P-256 signature
// (r||s, 32 bytes each): SEQUENCE { INTEGER r, INTEGER s }.
func rawToASN1(b, sig []byte) []byte {
	r, s := derInt(sig[:32]), derInt(sig[32:])
	b = append(b, 0x30, byte(4+len(r)+len(s)+pad(r)+pad(s)))
	b = appendDERInt(b, r)
	return appendDERInt(b, s)
}

// derInt strips the leading zeros of a big-endian unsigned number, keeping
// one byte for zero.
func derInt(v []byte) []byte {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	return v
}

// pad is 1 when a DER INTEGER of v needs a leading zero to stay positive.
func pad(v []byte) int {
	if v[0]&0x80 != 0 {
		return 1
	}
	return 0
}

// appendDERInt appends a DER INTEGER holding the unsigned number v.
func appendDERInt(b, v []byte) []byte {
	b = append(b, 0x02, byte(len(v)+pad(v)))
	if pad(v) == 1 {
		b = append(b, 0)
	}
	return append(b, v...)
}

// parseHeader reads the protected header, returning its alg and kid. The
// header must be a JSON object without "crit" and with alg and kid strings
// (checked by the caller); a typ, if present, must be "JWT" in any case.
// Other members are ignored; a repeated alg, kid or typ is refused.
func parseHeader(s string) (alg, kid string, err error) {
	d := scanner{s: s}
	if !d.consume('{') {
		return "", "", errHeader
	}
	var seenAlg, seenKID, seenTyp bool
	if !d.consume('}') {
		for {
			name, ok := d.str()
			if !ok || !d.consume(':') {
				return "", "", errHeader
			}
			switch name {
			case "alg":
				if seenAlg {
					return "", "", errHeader
				}
				seenAlg = true
				if alg, ok = d.str(); !ok {
					return "", "", errHeader
				}
			case "kid":
				if seenKID {
					return "", "", errHeader
				}
				seenKID = true
				if kid, ok = d.str(); !ok {
					return "", "", errHeader
				}
			case "typ":
				if seenTyp {
					return "", "", errHeader
				}
				seenTyp = true
				typ, ok := d.str()
				if !ok {
					return "", "", errHeader
				}
				if !strings.EqualFold(typ, "JWT") {
					return "", "", errTyp
				}
			case "crit":
				return "", "", errCrit
			default:
				if !d.skip(0) {
					return "", "", errHeader
				}
			}
			more, ok := d.next('}')
			if !ok {
				return "", "", errHeader
			}
			if !more {
				break
			}
		}
	}
	if !d.end() {
		return "", "", errHeader
	}
	return alg, kid, nil
}

// Claim bits, to refuse repeated claims and to require some.
const (
	seenIss = 1 << iota
	seenSub
	seenAud
	seenSid
	seenIat
	seenExp
	seenNbf
	seenJti
	seenEmail
	seenUsername
	seenStaff
	seenSuperuser
)

// parseClaims reads the claims into c. An aud array sets c.Audience to
// audience if it holds it, and leaves it empty otherwise. A claim of the
// wrong type or repeated is refused, as is a token without exp or iat; null
// stands for an absent claim; unknown claims are ignored.
func parseClaims(s, audience string, c *Claims) (nbf int64, err error) {
	d := scanner{s: s}
	if !d.consume('{') {
		return 0, errClaims
	}
	var seen uint
	if !d.consume('}') {
		for {
			name, ok := d.str()
			if !ok || !d.consume(':') {
				return 0, errClaims
			}
			var bit uint
			switch name {
			case "iss":
				bit, ok = seenIss, d.optStr(&c.Issuer)
			case "sub":
				bit, ok = seenSub, d.optStr(&c.Subject)
			case "aud":
				bit, ok = seenAud, d.aud(audience, &c.Audience)
			case "sid":
				bit, ok = seenSid, d.optStr(&c.SessionID)
			case "iat":
				bit, ok = seenIat, d.optInt(&c.IssuedAt)
			case "exp":
				bit, ok = seenExp, d.optInt(&c.Expires)
			case "nbf":
				bit, ok = seenNbf, d.optInt(&nbf)
			case "jti":
				bit, ok = seenJti, d.optStr(&c.ID)
			case "email":
				bit, ok = seenEmail, d.optStr(&c.Email)
			case "preferred_username":
				bit, ok = seenUsername, d.optStr(&c.Username)
			case "is_staff":
				bit, ok = seenStaff, d.optBool(&c.Staff)
			case "is_superuser":
				bit, ok = seenSuperuser, d.optBool(&c.Superuser)
			default:
				ok = d.skip(0)
			}
			if !ok || seen&bit != 0 {
				return 0, errClaims
			}
			seen |= bit
			more, ok := d.next('}')
			if !ok {
				return 0, errClaims
			}
			if !more {
				break
			}
		}
	}
	if !d.end() {
		return 0, errClaims
	}
	if c.Expires == 0 {
		return 0, errNoExpiry
	}
	if c.IssuedAt == 0 {
		return 0, errNoIssued
	}
	return nbf, nil
}

// optStr reads a string or null (leaving *v alone).
func (d *scanner) optStr(v *string) bool {
	if d.null() {
		return true
	}
	s, ok := d.str()
	*v = s
	return ok
}

// optInt reads an integer or null (leaving *v alone).
func (d *scanner) optInt(v *int64) bool {
	if d.null() {
		return true
	}
	n, ok := d.int()
	*v = n
	return ok
}

// optBool reads a boolean or null (leaving *v alone).
func (d *scanner) optBool(v *bool) bool {
	if d.null() {
		return true
	}
	b, ok := d.bool()
	*v = b
	return ok
}

// aud reads the aud claim: a string, stored in *v, or an array of strings,
// in which case *v is set to want if the array holds it.
func (d *scanner) aud(want string, v *string) bool {
	if d.peek() != '[' {
		return d.optStr(v)
	}
	d.i++
	if d.consume(']') {
		return true
	}
	for {
		s, ok := d.str()
		if !ok {
			return false
		}
		if s == want {
			*v = want
		}
		more, ok := d.next(']')
		if !ok || !more {
			return ok
		}
	}
}
