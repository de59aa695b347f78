package jwt

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseAlgorithm(t *testing.T) {
	tests := []struct {
		in      string
		want    Algorithm
		wantErr bool
	}{
		{"", EdDSA, false},
		{"EdDSA", EdDSA, false},
		{"eddsa", EdDSA, false},
		{"RS256", RS256, false},
		{"rs256", RS256, false},
		{"ES256", ES256, false},
		{"none", "", true},
		{"HS256", "", true},
		{"RS512", "", true},
		{"Ed25519", "", true},
	}
	for _, tt := range tests {
		got, err := ParseAlgorithm(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseAlgorithm(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(string(alg), func(t *testing.T) {
			k := testKey(t, alg)
			if k.Alg != alg || k.Public().Alg != alg || k.Public().ID != k.ID {
				t.Fatalf("key: Alg %q, public %q %q, ID %q", k.Alg, k.Public().Alg, k.Public().ID, k.ID)
			}
			want := testClaims()
			tok, err := Sign(k, want)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(tok, ".") != 2 || strings.ContainsAny(tok, "=+/") {
				t.Fatalf("not a compact JWS: %s", tok)
			}
			hdr, err := b64.DecodeString(tok[:strings.IndexByte(tok, '.')])
			if err != nil {
				t.Fatal(err)
			}
			if wantHdr := `{"alg":"` + string(alg) + `","kid":"` + k.ID + `","typ":"JWT"}`; string(hdr) != wantHdr {
				t.Errorf("header %s, want %s", hdr, wantHdr)
			}

			ks := NewKeySet(k.Public())
			got, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience)
			if err != nil {
				t.Fatal(err)
			}
			if *got != *want {
				t.Errorf("claims\n got %+v\nwant %+v", got, want)
			}

			// The same key stored (sealed) and loaded again signs tokens
			// the original public key verifies.
			der, err := k.MarshalPrivate()
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := Seal("a-master-secret-of-at-least-32-chars", der)
			if err != nil {
				t.Fatal(err)
			}
			opened, err := Open("a-master-secret-of-at-least-32-chars", sealed)
			if err != nil {
				t.Fatal(err)
			}
			k2, err := ParsePrivateKey(alg, opened)
			if err != nil {
				t.Fatal(err)
			}
			if k2.ID != k.ID || k2.Alg != alg {
				t.Fatalf("reloaded key %q %q, want %q %q", k2.ID, k2.Alg, k.ID, alg)
			}
			tok2, err := Sign(k2, want)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ks.Verify(tok2, testNow, 0, testIssuer, testAudience); err != nil {
				t.Fatal(err)
			}

			// Another key of the same algorithm does not verify it.
			other, err := GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			forged := signParts(t, other, string(hdr), `{"iss":"x"}`)
			if _, err := ks.Verify(forged, testNow, 0, testIssuer, testAudience); !errors.Is(err, ErrInvalid) {
				t.Fatalf("token signed by another key: %v", err)
			}
		})
	}
}

func TestMinimalClaims(t *testing.T) {
	k := testKey(t, EdDSA)
	c := &Claims{Issuer: testIssuer, Audience: testAudience, IssuedAt: testNow.Unix(), Expires: testNow.Unix() + 60}
	tok, err := Sign(k, c)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := b64.DecodeString(strings.Split(tok, ".")[1])
	if want := `{"iss":"https://auth.example.com","sub":"","aud":"https://api.example.com","sid":"","iat":1750000000,"exp":1750000060,"jti":""}`; string(payload) != want {
		t.Errorf("payload\n got %s\nwant %s", payload, want)
	}
	got, err := NewKeySet(k.Public()).Verify(tok, testNow, 0, testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *c {
		t.Errorf("got %+v, want %+v", got, c)
	}
}

// The claims Sign writes are what encoding/json writes (without HTML
// escaping), and Verify reads back any string.
func TestClaimsEncoding(t *testing.T) {
	k := testKey(t, EdDSA)
	ks := NewKeySet(k.Public())
	for _, s := range []string{
		"plain", `quote " backslash \ slash /`, "tab\tnewline\ncr\r\b\f\x00\x1f\x7f",
		"<script>&amp;</script>", "ünïcödé 日本語 🎉", "line\u2028para\u2029", "bad utf8 \xff\xfe end",
		"\ud7ff\ue000\uffff",
	} {
		c := testClaims()
		c.Subject, c.Email, c.Username = s, s+"@example.com", s
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		tok, err := Sign(k, c)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := b64.DecodeString(strings.Split(tok, ".")[1])
		if got := string(payload) + "\n"; got != want.String() {
			t.Errorf("%q: payload\n got %s want %s", s, got, want.String())
		}
		got, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var fromJSON Claims
		if err := json.Unmarshal(payload, &fromJSON); err != nil {
			t.Fatal(err)
		}
		if *got != fromJSON {
			t.Errorf("%q: Verify read %+v, encoding/json %+v", s, got, fromJSON)
		}
	}
}

func TestLeeway(t *testing.T) {
	k := testKey(t, EdDSA)
	ks := NewKeySet(k.Public())
	c := testClaims() // iat = now, exp = now + 5m
	tok, err := Sign(k, c)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now    time.Time
		leeway time.Duration
		want   error
	}{
		{testNow, 0, nil},
		{testNow.Add(-time.Second), 0, ErrInvalid},    // issued in the future
		{testNow.Add(-time.Second), time.Second, nil}, // within leeway
		{testNow.Add(-2 * time.Second), time.Second, ErrInvalid},
		{testNow.Add(5*time.Minute - time.Nanosecond), 0, nil},
		{testNow.Add(5 * time.Minute), 0, ErrExpired}, // exp is exclusive
		{testNow.Add(5*time.Minute + 30*time.Second), time.Minute, nil},
		{testNow.Add(6 * time.Minute), time.Minute, ErrExpired},
		{testNow.Add(5 * time.Minute), -time.Minute, ErrExpired}, // negative leeway counts as 0
		{testNow.Add(time.Hour), 0, ErrExpired},
	}
	for _, tt := range tests {
		_, err := ks.Verify(tok, tt.now, tt.leeway, testIssuer, testAudience)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("now %v, leeway %v: %v, want %v", tt.now.Sub(testNow), tt.leeway, err, tt.want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	ed, rs, es := testKey(t, EdDSA), testKey(t, RS256), testKey(t, ES256)
	ks := NewKeySet(ed.Public(), rs.Public(), es.Public())
	now := testNow.Unix()

	good, err := Sign(ed, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	edHeader := `{"alg":"EdDSA","kid":"` + ed.ID + `","typ":"JWT"}`
	claimsJSON := func(f func(m map[string]any)) string {
		m := map[string]any{
			"iss": testIssuer, "sub": "usr_1", "aud": testAudience, "sid": "s",
			"iat": now, "exp": now + 300, "jti": "j",
		}
		if f != nil {
			f(m)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	goodClaims := claimsJSON(nil)
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }
	hs256 := func(key []byte, kid string) string {
		input := enc(`{"alg":"HS256","kid":"`+kid+`","typ":"JWT"}`) + "." + enc(goodClaims)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(input))
		return input + "." + b64.EncodeToString(mac.Sum(nil))
	}
	rsaPKIX, err := x509.MarshalPKIXPublicKey(rs.Public().rsa)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPKIX})
	edSig, _ := b64.DecodeString(parts[2])
	flipped := bytes.Clone(edSig)
	flipped[10] ^= 1
	lastChar := parts[2][:len(parts[2])-1] + map[bool]string{true: "B", false: "A"}[parts[2][len(parts[2])-1] == 'A']
	otherPayload := enc(strings.Replace(string(mustDecode(t, parts[1])), "usr_01", "usr_02", 1))

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"valid", good, nil},
		{"valid forged helper", signParts(t, ed, edHeader, goodClaims), nil},
		{"tampered payload", parts[0] + "." + otherPayload + "." + parts[2], ErrInvalid},
		{"tampered header", enc(`{"alg":"EdDSA","kid":"`+ed.ID+`"}`) + "." + parts[1] + "." + parts[2], ErrInvalid},
		{"tampered signature", parts[0] + "." + parts[1] + "." + b64.EncodeToString(flipped), ErrInvalid},
		{"signature trailing bits", parts[0] + "." + parts[1] + "." + lastChar, ErrInvalid},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4], ErrInvalid},
		{"signature extended", parts[0] + "." + parts[1] + "." + parts[2] + "AAAA", ErrInvalid},
		{"signature empty", parts[0] + "." + parts[1] + ".", ErrInvalid},
		{"alg none, no signature", enc(`{"alg":"none","kid":"`+ed.ID+`"}`) + "." + parts[1] + ".", ErrInvalid},
		{"alg none, with signature", enc(`{"alg":"none","kid":"`+ed.ID+`"}`) + "." + parts[1] + "." + parts[2], ErrInvalid},
		{"alg none, no kid", enc(`{"alg":"none"}`) + "." + parts[1] + ".", ErrInvalid},
		{"alg None", enc(`{"alg":"None","kid":"`+ed.ID+`"}`) + "." + parts[1] + "." + parts[2], ErrInvalid},
		{"alg eddsa (case)", signParts(t, ed, `{"alg":"eddsa","kid":"`+ed.ID+`"}`, goodClaims), ErrInvalid},
		{"HS256 keyed with Ed25519 public key", hs256(ed.Public().ed, ed.ID), ErrInvalid},
		{"HS256 keyed with RSA PKIX DER", hs256(rsaPKIX, rs.ID), ErrInvalid},
		{"HS256 keyed with RSA PEM", hs256(rsaPEM, rs.ID), ErrInvalid},
		{"HS256 keyed with the JWKS", hs256(ks.JWKS(), rs.ID), ErrInvalid},
		{"HS256 keyed with the kid", hs256([]byte(ed.ID), ed.ID), ErrInvalid},
		{"RS256 header with EdDSA kid", signParts(t, rs, `{"alg":"RS256","kid":"`+ed.ID+`"}`, goodClaims), ErrInvalid},
		{"EdDSA header with RS256 kid", signParts(t, ed, `{"alg":"EdDSA","kid":"`+rs.ID+`"}`, goodClaims), ErrInvalid},
		{"ES256 header with EdDSA kid", signParts(t, es, `{"alg":"ES256","kid":"`+ed.ID+`"}`, goodClaims), ErrInvalid},
		{"unknown kid", signParts(t, ed, `{"alg":"EdDSA","kid":"nope"}`, goodClaims), ErrUnknownKey},
		{"no kid", signParts(t, ed, `{"alg":"EdDSA"}`, goodClaims), ErrInvalid},
		{"kid not a string", signParts(t, ed, `{"alg":"EdDSA","kid":1}`, goodClaims), ErrInvalid},
		{"no alg", signParts(t, ed, `{"kid":"`+ed.ID+`"}`, goodClaims), ErrInvalid},
		{"repeated alg", signParts(t, ed, `{"alg":"EdDSA","alg":"EdDSA","kid":"`+ed.ID+`"}`, goodClaims), ErrInvalid},
		{"crit header", signParts(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","crit":["exp"],"exp":1}`, goodClaims), ErrInvalid},
		{"escaped crit header", signParts(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","\u0063rit":["b64"],"b64":false}`, goodClaims), ErrInvalid},
		{"escaped names are read", signParts(t, ed, `{"\u0061lg":"EdDSA","kid":"`+ed.ID+`"}`, goodClaims), nil},
		{"unknown headers ignored", signParts(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","x5t":"abc","jku":"https://evil.example","jwk":{"kty":"oct"},"n":[1,2.5e3,null,true,false,{}]}`, goodClaims), nil},
		{"typ at+jwt", signParts(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"at+jwt"}`, goodClaims), ErrInvalid},
		{"typ jwt", signParts(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"jwt"}`, goodClaims), nil},
		{"header not JSON", signParts(t, ed, `alg=EdDSA`, goodClaims), ErrInvalid},
		{"header JSON array", signParts(t, ed, `["alg","EdDSA"]`, goodClaims), ErrInvalid},
		{"header trailing garbage", signParts(t, ed, edHeader+`x`, goodClaims), ErrInvalid},
		{"header two objects", signParts(t, ed, edHeader+`{}`, goodClaims), ErrInvalid},
		{"header invalid UTF-8", signParts(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","x":"`+"\xff"+`"}`, goodClaims), ErrInvalid},
		{"header trailing comma", signParts(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`",}`, goodClaims), ErrInvalid},
		{"malformed base64, padding", parts[0] + "=." + parts[1] + "." + parts[2], ErrInvalid},
		{"malformed base64, +", parts[0] + "." + parts[1] + "." + parts[2][:5] + "+" + parts[2][6:], ErrInvalid},
		{"malformed base64, /", parts[0] + "." + parts[1][:5] + "/" + parts[1][6:] + "." + parts[2], ErrInvalid},
		{"malformed base64, line break", parts[0] + "." + parts[1][:10] + "\n" + parts[1][10:] + "." + parts[2], ErrInvalid},
		{"malformed base64, length", parts[0] + "." + parts[1] + "A." + parts[2], ErrInvalid},
		{"malformed base64, space", " " + good, ErrInvalid},
		{"one segment", parts[0], ErrInvalid},
		{"two segments", parts[0] + "." + parts[1], ErrInvalid},
		{"four segments", good + "." + parts[2], ErrInvalid},
		{"JWE-like five segments", good + ".." + parts[2], ErrInvalid},
		{"empty header", "." + parts[1] + "." + parts[2], ErrInvalid},
		{"empty payload", parts[0] + ".." + parts[2], ErrInvalid},
		{"empty", "", ErrInvalid},
		{"dots", "..", ErrInvalid},
		{"oversized", parts[0] + "." + parts[1] + strings.Repeat("A", MaxTokenSize) + "." + parts[2], ErrInvalid},
		{"oversized junk", strings.Repeat("A", 1<<20), ErrInvalid},
		{"wrong iss", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["iss"] = "https://evil.example" })), ErrInvalid},
		{"no iss", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { delete(m, "iss") })), ErrInvalid},
		{"iss array", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["iss"] = []string{testIssuer} })), ErrInvalid},
		{"wrong aud", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["aud"] = "https://other.example" })), ErrInvalid},
		{"no aud", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { delete(m, "aud") })), ErrInvalid},
		{"aud array with ours", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["aud"] = []string{"https://other.example", testAudience} })), nil},
		{"aud array without ours", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["aud"] = []string{"https://other.example", "x"} })), ErrInvalid},
		{"aud empty array", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["aud"] = []string{} })), ErrInvalid},
		{"aud array of non-strings", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["aud"] = []any{testAudience, 1} })), ErrInvalid},
		{"aud nested array", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["aud"] = []any{[]string{testAudience}} })), ErrInvalid},
		{"expired", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["iat"], m["exp"] = now-600, now-300 })), ErrExpired},
		{"expires now", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["exp"] = now })), ErrExpired},
		{"no exp", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { delete(m, "exp") })), ErrInvalid},
		{"exp null", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["exp"] = nil })), ErrInvalid},
		{"exp string", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["exp"] = fmt.Sprint(now + 300) })), ErrInvalid},
		{"exp fraction", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["exp"] = float64(now) + 300.5 })), ErrInvalid},
		{"exp overflow", signParts(t, ed, edHeader, strings.Replace(goodClaims, fmt.Sprint(now+300), "99999999999999999999", 1)), ErrInvalid},
		{"exp far future", signParts(t, ed, edHeader, strings.Replace(goodClaims, fmt.Sprint(now+300), "9223372036854775807", 1)), nil},
		{"repeated exp", signParts(t, ed, edHeader, strings.Replace(goodClaims, `"exp":`, `"exp":1,"exp":`, 1)), ErrInvalid},
		{"iat far in the future", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["iat"], m["exp"] = now+86400, now+86700 })), ErrInvalid},
		{"no iat", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { delete(m, "iat") })), ErrInvalid},
		{"nbf in the future", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["nbf"] = now + 60 })), ErrInvalid},
		{"nbf in the past", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["nbf"] = now - 60 })), nil},
		{"sub not a string", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["sub"] = 42 })), ErrInvalid},
		{"is_staff not a bool", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["is_staff"] = "true" })), ErrInvalid},
		{"unknown claims ignored", signParts(t, ed, edHeader, claimsJSON(func(m map[string]any) { m["x"] = map[string]any{"a": []any{1, "b", nil}} })), nil},
		{"claims not JSON", signParts(t, ed, edHeader, `iss=x`), ErrInvalid},
		{"claims JSON array", signParts(t, ed, edHeader, `[`+goodClaims+`]`), ErrInvalid},
		{"claims trailing garbage", signParts(t, ed, edHeader, goodClaims+`]`), ErrInvalid},
		{"claims too deep", signParts(t, ed, edHeader, strings.TrimSuffix(goodClaims, "}")+`,"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ks.Verify(tt.token, testNow, 0, testIssuer, testAudience)
			if tt.want == nil {
				if err != nil || c == nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if c != nil {
				t.Fatalf("claims returned with an error")
			}
			// The three errors are distinct.
			for _, other := range []error{ErrInvalid, ErrExpired, ErrUnknownKey} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("error %v is also %v", err, other)
				}
			}
		})
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := b64.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyEmptyExpectations(t *testing.T) {
	k := testKey(t, EdDSA)
	c := testClaims()
	c.Issuer, c.Audience = "", ""
	tok, err := Sign(k, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewKeySet(k.Public()).Verify(tok, testNow, 0, "", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty iss and aud accepted: %v", err)
	}
	var nilSet *KeySet
	if _, err := nilSet.Verify(tok, testNow, 0, "", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nil key set: %v", err)
	}
}

func TestSignErrors(t *testing.T) {
	k := testKey(t, EdDSA)
	if _, err := Sign(nil, testClaims()); err == nil {
		t.Error("Sign(nil key) succeeded")
	}
	if _, err := Sign(&Key{ID: "x", Alg: EdDSA}, testClaims()); err == nil {
		t.Error("Sign(key without private key) succeeded")
	}
	if _, err := Sign(k, nil); err == nil {
		t.Error("Sign(nil claims) succeeded")
	}
	bad := *k
	bad.Alg = RS256
	if _, err := Sign(&bad, testClaims()); err == nil {
		t.Error("Sign with a changed Alg succeeded")
	}
	big := testClaims()
	big.Email = strings.Repeat("a", MaxTokenSize)
	if _, err := Sign(k, big); err == nil {
		t.Error("Sign of an oversized token succeeded")
	}
	if _, err := GenerateKey("HS256"); err == nil {
		t.Error("GenerateKey(HS256) succeeded")
	}
}

func TestVerifyAllocs(t *testing.T) {
	for _, alg := range algorithms {
		k := testKey(t, alg)
		tok, err := Sign(k, testClaims())
		if err != nil {
			t.Fatal(err)
		}
		ks := NewKeySet(k.Public())
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %v allocs per Verify", alg, allocs)
	}
}

func TestRawToASN1(t *testing.T) {
	type sig struct{ R, S *big.Int }
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(0x7f), big.NewInt(0x80), big.NewInt(0x1234),
		new(big.Int).Lsh(big.NewInt(1), 255), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 247), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 248), big.NewInt(1)),
	}
	for _, r := range vals {
		for _, s := range vals {
			raw := make([]byte, 64)
			r.FillBytes(raw[:32])
			s.FillBytes(raw[32:])
			want, err := asn1.Marshal(sig{r, s})
			if err != nil {
				t.Fatal(err)
			}
			if got := rawToASN1(nil, raw); !bytes.Equal(got, want) {
				t.Errorf("r=%x s=%x: got %x, want %x", r, s, got, want)
			}
		}
	}
}

// Many ES256 signatures, so that r and s with leading zeros or a high bit
// occur, all verify; and Verify is safe for concurrent use.
func TestVerifyConcurrentES256(t *testing.T) {
	k := testKey(t, ES256)
	ks := NewKeySet(testKey(t, EdDSA).Public(), k.Public())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 64 {
				tok, err := Sign(k, testClaims())
				if err == nil {
					_, err = ks.Verify(tok, testNow, 0, testIssuer, testAudience)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
