package jwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// The JWT codec is differential-fuzzed against go-jose (v4), a widely used
// implementation: on every token, for the algorithms Latch supports, Latch
// accepts exactly when go-jose accepts (signature, alg, kid, iss, aud, exp,
// nbf, iat validated the same way) and none of Latch's documented
// stricter rules applies; when both accept, the claims are the same.
//
// Latch is stricter than go-jose on purpose (latchOnly names each rule):
//
//   - size: tokens over MaxTokenSize (8 KiB) are refused before any work.
//   - encoding: only canonical unpadded base64url (no "=", unused bits zero),
//     so that a token has one spelling (go-jose strips padding and ignores
//     the unused bits); header and claims must be valid UTF-8 (go-jose's
//     JSON reader replaces invalid bytes with U+FFFD).
//   - header: a kid is required (Latch's keys are chosen by kid, never by
//     trying each); typ, if present, must be "JWT"; any crit is refused
//     (Latch understands no extension); a repeated alg, kid or typ is
//     refused (a JSON reader that took the first would see another token).
//   - claims: exp and iat are required and must be non-zero integers that
//     fit an int64 (go-jose reads any number and truncates); a repeated
//     registered claim is refused; values nest at most 32 deep.
//   - expiry: a token is expired at exp itself (RFC 7519 §4.1.4, "on or
//     after"); go-jose only after it.
//
// go-jose is stricter than Latch in one respect (joseOnly): it parses
// header members that Latch ignores (jwk, x5c, b64, …) and refuses a token
// whose member is malformed. Latch never takes a key or an option from a
// token, so it ignores them; the fuzz target checks that removing such a
// member does not change Latch's answer.

// FuzzVerifyDifferential signs header and payload (JSON text; "@kid" in the
// header stands for the key's kid) with the key mode%3 picks, spoils the
// token as the mode's other bits say, and compares Latch with go-jose.
func FuzzVerifyDifferential(f *testing.F) {
	claims := `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","iat":1750000000,"exp":1750000300`
	for i, alg := range algorithms {
		hdr := `{"alg":"` + string(alg) + `","kid":"@kid"`
		for _, s := range [][2]string{
			{hdr + `,"typ":"JWT"}`, claims + `,"sub":"usr_1","sid":"s","jti":"j","email":"a@b.c","preferred_username":"ann","is_staff":true}`},
			{hdr + `}`, claims + `}`},
			{hdr + `,"typ":"jwt","x":[1,{"y":null}]}`, claims + `,"aud":["x","` + testAudience + `"],"nbf":1749999999}`},
			{hdr + `,"crit":["exp"]}`, claims + `}`},
			{hdr + `,"crit":["b64"],"b64":true}`, claims + `}`}, // go-jose understands b64
			{hdr + `,"alg":"` + string(alg) + `"}`, claims + `}`},
			{hdr + `,"jwk":1}`, claims + `}`},
			{hdr + `}`, claims + `,"iss":"` + testIssuer + `"}`},
			{hdr + `}`, `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","iat":1750000000,"exp":1750000000}`},
			{hdr + `}`, `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","iat":1.75e9,"exp":1750000300.5}`},
			{hdr + `}`, `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":1750000300}`},
			{`{"alg":"none","kid":"@kid"}`, claims + `}`},
			{`{"alg":"HS256","kid":"@kid"}`, claims + `}`},
			{hdr + `,"typ":"JOSE"}`, claims + `,"email":"\u00e9\ud800"}`},
		} {
			for _, mode := range []byte{0, 3, 6, 9, 12, 15} {
				f.Add(s[0], s[1], byte(i)+mode)
			}
		}
	}
	var keys []PublicKey
	for _, alg := range algorithms {
		keys = append(keys, testKey(f, alg).Public())
	}
	ks := NewKeySet(keys...)

	f.Fuzz(func(t *testing.T, header, payload string, mode byte) {
		k := testKey(t, algorithms[int(mode)%len(algorithms)])
		token := spoil(signParts(t, k, strings.ReplaceAll(header, "@kid", k.ID), payload), mode/3)
		compareWithJose(t, ks, token)
	})
}

// FuzzVerifyDifferentialRaw compares Latch with go-jose on arbitrary token
// strings (mostly unsigned: the parsers' refusals).
func FuzzVerifyDifferentialRaw(f *testing.F) {
	for _, alg := range algorithms {
		k := testKey(f, alg)
		tok, err := Sign(k, testClaims())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		f.Add(tok + "=")
		f.Add(strings.Replace(tok, ".", "=.", 1))
	}
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	var keys []PublicKey
	for _, alg := range algorithms {
		keys = append(keys, testKey(f, alg).Public())
	}
	ks := NewKeySet(keys...)
	f.Fuzz(func(t *testing.T, token string) { compareWithJose(t, ks, token) })
}

// spoil changes a signed token as the bits of m say: 1 pads the header
// with "=", 2 flips the low bit of the signature's last character, 4 swaps
// the payload for an encoding with nonzero unused bits when it has one.
func spoil(token string, m byte) string {
	parts := strings.SplitN(token, ".", 3)
	if m&1 != 0 {
		parts[0] += "="
	}
	if m&2 != 0 && parts[2] != "" {
		last := []byte(parts[2])
		last[len(last)-1] ^= 1
		parts[2] = string(last)
	}
	if m&4 != 0 && len(parts[1])%4 != 0 {
		p := []byte(parts[1])
		i := strings.IndexByte(b64chars, p[len(p)-1])
		p[len(p)-1] = b64chars[i|1]
		parts[1] = string(p)
	}
	return strings.Join(parts, ".")
}

const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// compareWithJose verifies token with Latch and go-jose and fails the test
// unless their answers agree as the rules above say.
func compareWithJose(t *testing.T, ks *KeySet, token string) {
	t.Helper()
	got, err := ks.Verify(token, testNow, 0, testIssuer, testAudience)
	latchOK := err == nil
	want, joseErr := joseVerify(ks, token)
	strict := latchOnly(token)
	if ignored := joseOnly(token); joseErr != nil && latchOK && ignored != nil {
		// go-jose may have refused a header member Latch ignores: without
		// them, both accept.
		checkIgnored(t, ks, token, ignored)
		return
	}
	switch {
	case latchOK && joseErr != nil:
		t.Fatalf("Latch accepts what go-jose refuses (%v): %q", joseErr, token)
	case latchOK && strict != "":
		t.Fatalf("Latch accepts a token its rule %q refuses: %q", strict, token)
	case !latchOK && joseErr == nil && strict == "":
		t.Fatalf("Latch refuses (%v) what go-jose accepts, with no rule of Latch's to refuse it: %q", err, token)
	case latchOK && *got != *want:
		t.Fatalf("claims differ:\nLatch   %+v\ngo-jose %+v\ntoken %q", *got, *want, token)
	}
}

// extraClaims are Latch's claims that go-jose's Claims lack.
type extraClaims struct {
	SessionID string `json:"sid"`
	Email     string `json:"email"`
	Username  string `json:"preferred_username"`
	Staff     bool   `json:"is_staff"`
	Superuser bool   `json:"is_superuser"`
}

// joseVerify is Verify written with go-jose.
func joseVerify(ks *KeySet, token string) (*Claims, error) {
	tok, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA, jose.RS256, jose.ES256})
	if err != nil {
		return nil, err
	}
	h := tok.Headers[0]
	key := ks.byKID[h.KeyID]
	if key == nil || string(key.Alg) != h.Algorithm {
		return nil, errors.New("no key of that kid and alg")
	}
	var pub any
	switch key.Alg {
	case EdDSA:
		pub = key.ed
	case RS256:
		pub = key.rsa
	case ES256:
		pub = key.ec
	}
	var std josejwt.Claims
	var extra extraClaims
	if err := tok.Claims(pub, &std, &extra); err != nil {
		return nil, err
	}
	if err := std.ValidateWithLeeway(josejwt.Expected{Issuer: testIssuer, AnyAudience: josejwt.Audience{testAudience}, Time: testNow}, 0); err != nil {
		return nil, err
	}
	c := &Claims{Issuer: std.Issuer, Subject: std.Subject, Audience: testAudience, ID: std.ID,
		SessionID: extra.SessionID, Email: extra.Email, Username: extra.Username, Staff: extra.Staff, Superuser: extra.Superuser}
	if std.IssuedAt != nil {
		c.IssuedAt = int64(*std.IssuedAt)
	}
	if std.Expiry != nil {
		c.Expires = int64(*std.Expiry)
	}
	return c, nil
}

// latchOnly returns the rule of Latch's, stricter than go-jose, that refuses
// token, or "" when none does.
func latchOnly(token string) string {
	if len(token) > MaxTokenSize {
		return "size"
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "" // go-jose refuses these too
	}
	var dec [3][]byte
	for i, p := range parts {
		d, err := b64.Strict().DecodeString(p)
		if err != nil || p == "" || strings.ContainsAny(p, "=\r\n") {
			return "encoding"
		}
		dec[i] = d
	}
	if !utf8.Valid(dec[0]) || !utf8.Valid(dec[1]) {
		return "encoding"
	}
	if r := headerRule(dec[0]); r != "" {
		return r
	}
	return claimsRule(dec[1])
}

// headerRule applies Latch's header rules to a header that go-jose reads.
func headerRule(h []byte) string {
	members, ok := topMembers(h)
	if !ok {
		return "" // not an object: go-jose refuses it too
	}
	if depth(h) > maxDepth+1 {
		return "header: nesting"
	}
	if len(members["crit"]) > 0 {
		return "header: crit"
	}
	for _, name := range []string{"alg", "kid", "typ"} {
		if len(members[name]) > 1 {
			return "header: repeated " + name
		}
	}
	var kid, typ string
	if v := members["kid"]; len(v) == 0 || json.Unmarshal(v[0], &kid) != nil || kid == "" {
		return "header: kid"
	}
	if v := members["typ"]; len(v) == 1 && (json.Unmarshal(v[0], &typ) != nil || !strings.EqualFold(typ, "JWT")) {
		return "header: typ"
	}
	return ""
}

// claimsRule applies Latch's claim rules to claims that go-jose reads.
func claimsRule(p []byte) string {
	members, ok := topMembers(p)
	if !ok {
		return ""
	}
	if depth(p) > maxDepth+1 {
		return "claims: nesting"
	}
	for _, name := range []string{"iss", "sub", "aud", "sid", "iat", "exp", "nbf", "jti", "email", "preferred_username", "is_staff", "is_superuser"} {
		if len(members[name]) > 1 {
			return "claims: repeated " + name
		}
	}
	for _, name := range []string{"iat", "exp", "nbf"} {
		v := members[name]
		if len(v) == 0 || string(v[0]) == "null" {
			if name != "nbf" {
				return "claims: no " + name
			}
			continue
		}
		n, err := strconv.ParseInt(string(v[0]), 10, 64)
		if err != nil && bytes.ContainsAny(v[0], ".eE") {
			return "claims: " + name + " not an integer"
		}
		if err != nil {
			return "claims: " + name + " out of range"
		}
		if n == 0 && name != "nbf" {
			return "claims: no " + name
		}
		if name == "exp" && n <= testNow.Unix() {
			return "expiry: at exp"
		}
	}
	return ""
}

// topMembers returns the values of a JSON object's members by name, every
// occurrence of a repeated one; ok is false for anything but a JSON object.
func topMembers(b []byte) (map[string][]json.RawMessage, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	out := map[string][]json.RawMessage{}
	for d.More() {
		name, err := d.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
		out[name.(string)] = append(out[name.(string)], v)
	}
	return out, true
}

// depth returns the deepest nesting of arrays and objects in JSON text.
func depth(b []byte) int {
	d, deepest, inStr, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			d++
			deepest = max(deepest, d)
		case c == ']' || c == '}':
			d--
		}
	}
	return deepest
}

// joseParsed are the header members go-jose parses (and refuses a token
// for when malformed) and Latch ignores.
var joseParsed = []string{"jwk", "x5c", "x5t", "x5t#S256", "x5u", "jku", "b64", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c", "nonce", "url", "cty", "zip", "enc"}

// joseOnly returns the members of joseParsed in token's header.
func joseOnly(token string) []string {
	hdr, _, _ := strings.Cut(token, ".")
	h, err := b64.DecodeString(hdr)
	if err != nil {
		return nil
	}
	members, _ := topMembers(h)
	var out []string
	for _, name := range joseParsed {
		if members[name] != nil {
			out = append(out, name)
		}
	}
	return out
}

// checkIgnored re-signs token, which Latch accepts and go-jose refuses,
// without the header members Latch ignores, and checks that both accept that.
func checkIgnored(t *testing.T, ks *KeySet, token string, members []string) {
	t.Helper()
	parts := strings.Split(token, ".")
	hdr, err := b64.DecodeString(parts[0])
	if err != nil {
		t.Fatalf("accepted token with a bad header: %q", token)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(hdr, &m) != nil {
		t.Fatalf("accepted token with a header encoding/json refuses: %q", hdr)
	}
	for _, name := range members {
		delete(m, name)
	}
	clean, _ := json.Marshal(m)
	payload, _ := b64.DecodeString(parts[1])
	var alg Algorithm
	if json.Unmarshal(m["alg"], &alg) != nil {
		t.Fatalf("accepted token without a readable alg: %q", hdr)
	}
	resigned := signParts(t, testKey(t, alg), string(clean), string(payload))
	if _, err := ks.Verify(resigned, testNow, 0, testIssuer, testAudience); err != nil {
		t.Fatalf("accepted %q with %v, but refuses it without (%v): %q", hdr, members, err, clean)
	}
	if _, err := joseVerify(ks, resigned); err != nil {
		t.Fatalf("go-jose refuses %q for more than %v: %v", clean, members, err)
	}
}

// FuzzParseJWKS reads arbitrary JSON Web Key Sets, such as a resource
// server fetches: ParseJWKS never panics, and a set it makes round-trips
// through JWKS: the document it serves parses back to the same keys, and
// serves the same document again. Each key it keeps is one go-jose reads
// too, with the same kid, algorithm and public key.
func FuzzParseJWKS(f *testing.F) {
	var keys []PublicKey
	for _, alg := range algorithms {
		keys = append(keys, testKey(f, alg).Public())
	}
	doc := NewKeySet(keys...).JWKS()
	f.Add(doc)
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","use":"enc"},{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RS256"}]}`))
	f.Add(bytes.Replace(doc, []byte(`"use":"sig"`), []byte(`"use":"sig","key_ops":["verify"]`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := ParseJWKS(data)
		if err != nil {
			return
		}
		served := ks.JWKS()
		again, err := ParseJWKS(served)
		if err != nil {
			t.Fatalf("ParseJWKS(%s) serves %s, which it refuses: %v", data, served, err)
		}
		if !bytes.Equal(again.JWKS(), served) {
			t.Fatalf("JWKS round trip: %s, then %s", served, again.JWKS())
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(served, &set); err != nil {
			t.Fatalf("go-jose refuses the served JWKS %s: %v", served, err)
		}
		got := ks.Keys()
		if len(set.Keys) != len(got) {
			t.Fatalf("go-jose reads %d keys of %s, Latch %d", len(set.Keys), served, len(got))
		}
		for i, k := range got {
			j := set.Keys[i]
			var same bool
			switch k.Alg {
			case EdDSA:
				same = k.ed.Equal(j.Key)
			case RS256:
				same = k.rsa.Equal(j.Key)
			case ES256:
				same = k.ec.Equal(j.Key)
			}
			if j.KeyID != k.ID || j.Algorithm != string(k.Alg) || !same {
				t.Fatalf("key %d: go-jose reads %s %s %T, Latch %s %s", i, j.KeyID, j.Algorithm, j.Key, k.ID, k.Alg)
			}
		}
	})
}
