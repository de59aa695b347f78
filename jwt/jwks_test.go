package jwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// RFC 7638 §3.1's example RSA key and its thumbprint.
const (
	rfc7638N          = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
)

// RFC 8037 appendix A's Ed25519 key (A.1) and its thumbprint (A.3).
const (
	rfc8037D          = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037X          = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

func TestThumbprintVectors(t *testing.T) {
	tests := []struct {
		name, jwks, want string
	}{
		{"RFC 7638 RSA", `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB"}]}`, rfc7638Thumbprint},
		{"RFC 7638 RSA, other members ignored", `{"keys":[{"e":"AQAB","n":"` + rfc7638N + `","kty":"RSA","alg":"RS256","use":"sig","x5t":"abc"}]}`, rfc7638Thumbprint},
		{"RFC 8037 Ed25519", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037X + `"}]}`, rfc8037Thumbprint},
	}
	for _, tt := range tests {
		ks, err := ParseJWKS([]byte(tt.jwks))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		keys := ks.Keys()
		if len(keys) != 1 || keys[0].ID != tt.want {
			t.Errorf("%s: keys %+v, want kid %s", tt.name, keys, tt.want)
		}
	}

	// The kid of a loaded private key is its thumbprint too.
	seed, _ := b64.DecodeString(rfc8037D)
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(EdDSA, der)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != rfc8037Thumbprint {
		t.Errorf("RFC 8037 private key: kid %s, want %s", k.ID, rfc8037Thumbprint)
	}
}

// Each generated key's kid is the RFC 7638 thumbprint of its JWK, computed
// here independently from the JWKS members.
func TestKIDIsThumbprint(t *testing.T) {
	for _, alg := range algorithms {
		k := testKey(t, alg)
		var doc struct{ Keys []map[string]string }
		if err := json.Unmarshal(NewKeySet(k.Public()).JWKS(), &doc); err != nil {
			t.Fatal(err)
		}
		m := doc.Keys[0]
		required := map[string][]string{"OKP": {"crv", "kty", "x"}, "RSA": {"e", "kty", "n"}, "EC": {"crv", "kty", "x", "y"}}[m["kty"]]
		var parts []string
		for _, name := range required {
			parts = append(parts, `"`+name+`":"`+m[name]+`"`)
		}
		sum := sha256.Sum256([]byte("{" + strings.Join(parts, ",") + "}"))
		if want := b64.EncodeToString(sum[:]); k.ID != want || m["kid"] != want {
			t.Errorf("%s: kid %s, JWKS kid %s, want %s", alg, k.ID, m["kid"], want)
		}
	}
}

func TestJWKSRoundTrip(t *testing.T) {
	var pubs []PublicKey
	for _, alg := range algorithms {
		pubs = append(pubs, testKey(t, alg).Public())
	}
	ks := NewKeySet(pubs...)
	doc := ks.JWKS()

	var parsed struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("JWKS is not JSON: %v\n%s", err, doc)
	}
	wantMembers := map[Algorithm][]string{
		EdDSA: {"kty=OKP", "crv=Ed25519", "x", "kid", "alg=EdDSA", "use=sig"},
		RS256: {"kty=RSA", "n", "e=AQAB", "kid", "alg=RS256", "use=sig"},
		ES256: {"kty=EC", "crv=P-256", "x", "y", "kid", "alg=ES256", "use=sig"},
	}
	for i, alg := range algorithms {
		m := parsed.Keys[i]
		if len(m) != len(wantMembers[alg]) {
			t.Errorf("%s: JWK %v", alg, m)
		}
		for _, w := range wantMembers[alg] {
			name, value, fixed := strings.Cut(w, "=")
			if m[name] == "" || fixed && m[name] != value {
				t.Errorf("%s: JWK %v, want %s", alg, m, w)
			}
		}
	}

	ks2, err := ParseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := ks2.JWKS(); string(got) != string(doc) {
		t.Errorf("JWKS changed by a round trip:\n%s\n%s", doc, got)
	}
	keys := ks2.Keys()
	if len(keys) != len(algorithms) {
		t.Fatalf("%d keys", len(keys))
	}
	for i, alg := range algorithms {
		if keys[i].ID != pubs[i].ID || keys[i].Alg != alg {
			t.Errorf("key %d: %s %s, want %s %s", i, keys[i].ID, keys[i].Alg, pubs[i].ID, alg)
		}
		tok, err := Sign(testKey(t, alg), testClaims())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ks2.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
			t.Errorf("%s: token by the original key: %v", alg, err)
		}
	}

	// The results are copies.
	ks2.JWKS()[0] = 'x'
	ks2.Keys()[0].ID = "x"
	if string(ks2.JWKS()) != string(doc) || ks2.Keys()[0].ID != pubs[0].ID {
		t.Error("JWKS or Keys exposes the key set's state")
	}
}

func TestNewKeySet(t *testing.T) {
	ed, rs := testKey(t, EdDSA), testKey(t, RS256)
	confused := ed.Public()
	confused.Alg = RS256 // an Ed25519 key claiming RS256
	ks := NewKeySet(PublicKey{}, ed.Public(), confused, ed.Public(), rs.Public())
	if keys := ks.Keys(); len(keys) != 2 || keys[0].ID != ed.ID || keys[1].ID != rs.ID {
		t.Errorf("keys %+v", keys)
	}
	if got := string(NewKeySet().JWKS()); got != `{"keys":[]}` {
		t.Errorf("empty JWKS %s", got)
	}
	var nilSet *KeySet
	if got := string(nilSet.JWKS()); got != `{"keys":[]}` || nilSet.Keys() != nil {
		t.Errorf("nil key set: %s %v", got, nilSet.Keys())
	}
}

func TestParseJWKS(t *testing.T) {
	ed, es := testKey(t, EdDSA), testKey(t, ES256)
	edX := b64.EncodeToString(ed.Public().ed)
	pt, _ := es.Public().ec.Bytes()
	ecX, ecY := b64.EncodeToString(pt[1:33]), b64.EncodeToString(pt[33:])
	badY := []byte(pt[33:])
	badY[31] ^= 1
	small, err := rsa.GenerateKey(nil, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallN := b64.EncodeToString(small.N.Bytes())
	hugeN := b64.EncodeToString(new(big.Int).Lsh(big.NewInt(1), 8200).Bytes()) // even, too large
	okp := func(extra string) string {
		return `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + edX + `"` + extra + `}]}`
	}

	tests := []struct {
		name    string
		jwks    string
		keys    int
		wantErr bool
	}{
		{"empty set", `{"keys":[]}`, 0, false},
		{"Ed25519", okp(""), 1, false},
		{"Ed25519 with kid", okp(`,"kid":"my-key"`), 1, false},
		{"P-256", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + ecX + `","y":"` + ecY + `"}]}`, 1, false},
		{"RSA", `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB","alg":"RS256"}]}`, 1, false},
		{"use sig", okp(`,"use":"sig"`), 1, false},
		{"key_ops verify", okp(`,"key_ops":["verify"]`), 1, false},
		{"private members ignored", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","d":"` + rfc8037D + `"}]}`, 1, false},

		{"skip oct", `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, 0, false},
		{"skip X25519", `{"keys":[{"kty":"OKP","crv":"X25519","x":"` + edX + `"}]}`, 0, false},
		{"skip P-384", `{"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]}`, 0, false},
		{"skip unknown kty", `{"keys":[{"kty":"AKP","pub":"AA"}]}`, 0, false},
		{"skip use enc", okp(`,"use":"enc"`), 0, false},
		{"skip key_ops encrypt", okp(`,"key_ops":["encrypt"]`), 0, false},
		{"skip RS512", `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB","alg":"RS512"}]}`, 0, false},
		{"skip HS256", okp(`,"alg":"HS256"`), 0, false},
		{"skip some, keep others", `{"keys":[{"kty":"oct","k":"AA"},` + strings.TrimPrefix(okp(""), `{"keys":[`), 1, false},

		{"not JSON", `keys`, 0, true},
		{"no keys", `{}`, 0, true},
		{"keys null", `{"keys":null}`, 0, true},
		{"keys not an array", `{"keys":{}}`, 0, true},
		{"key not an object", `{"keys":["x"]}`, 0, true},
		{"no kty", `{"keys":[{"crv":"Ed25519","x":"` + edX + `"}]}`, 0, true},
		{"alg of another type", okp(`,"alg":"RS256"`), 0, true},
		{"Ed25519 no x", `{"keys":[{"kty":"OKP","crv":"Ed25519"}]}`, 0, true},
		{"Ed25519 short x", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`, 0, true},
		{"Ed25519 bad base64", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + edX[:42] + `+"}]}`, 0, true},
		{"Ed25519 padded base64", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + edX + `="}]}`, 0, true},
		{"P-256 off the curve", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + ecX + `","y":"` + b64.EncodeToString(badY) + `"}]}`, 0, true},
		{"P-256 no y", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + ecX + `"}]}`, 0, true},
		{"P-256 short x", `{"keys":[{"kty":"EC","crv":"P-256","x":"` + ecX[:40] + `","y":"` + ecY + `"}]}`, 0, true},
		{"RSA 1024", `{"keys":[{"kty":"RSA","n":"` + smallN + `","e":"AQAB"}]}`, 0, true},
		{"RSA too large", `{"keys":[{"kty":"RSA","n":"` + hugeN + `","e":"AQAB"}]}`, 0, true},
		{"RSA no e", `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `"}]}`, 0, true},
		{"RSA e even", `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAA"}]}`, 0, true},
		{"RSA e 1", `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `","e":"AQ"}]}`, 0, true},
		{"RSA e too large", `{"keys":[{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAAAAAB"}]}`, 0, true},
		{"repeated kid", `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + edX + `","kid":"a"},{"kty":"RSA","n":"` + rfc7638N + `","e":"AQAB","kid":"a"}]}`, 0, true},
	}
	for _, tt := range tests {
		ks, err := ParseJWKS([]byte(tt.jwks))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if err == nil && len(ks.Keys()) != tt.keys {
			t.Errorf("%s: %d keys, want %d", tt.name, len(ks.Keys()), tt.keys)
		}
	}
}

// A JWKS naming its key with another kid verifies tokens with that kid.
func TestParseJWKSKeepsKID(t *testing.T) {
	k := testKey(t, ES256)
	pt, _ := k.Public().ec.Bytes()
	doc := `{"keys":[{"kty":"EC","crv":"P-256","kid":"2026-01","x":"` + b64.EncodeToString(pt[1:33]) + `","y":"` + b64.EncodeToString(pt[33:]) + `"}]}`
	ks, err := ParseJWKS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	renamed := *k
	renamed.ID = "2026-01"
	tok, err := Sign(&renamed, testClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); err != nil {
		t.Fatal(err)
	}
	tok, _ = Sign(k, testClaims())
	if _, err := ks.Verify(tok, testNow, 0, testIssuer, testAudience); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("thumbprint kid: %v", err)
	}
}

func TestParsePrivateKey(t *testing.T) {
	ed, rs, es := testKey(t, EdDSA), testKey(t, RS256), testKey(t, ES256)
	der := func(k *Key) []byte {
		b, err := k.MarshalPrivate()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	small, _ := rsa.GenerateKey(nil, 1024)
	smallDER, _ := x509.MarshalPKCS8PrivateKey(small)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), nil)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	tests := []struct {
		name string
		alg  Algorithm
		der  []byte
		ok   bool
	}{
		{"EdDSA", EdDSA, der(ed), true},
		{"RS256", RS256, der(rs), true},
		{"ES256", ES256, der(es), true},
		{"Ed25519 as RS256", RS256, der(ed), false},
		{"RSA as ES256", ES256, der(rs), false},
		{"P-256 as EdDSA", EdDSA, der(es), false},
		{"RSA 1024", RS256, smallDER, false},
		{"P-384", ES256, p384DER, false},
		{"garbage", EdDSA, []byte("not DER"), false},
		{"unsupported alg", "HS256", der(ed), false},
	}
	for _, tt := range tests {
		k, err := ParsePrivateKey(tt.alg, tt.der)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
		if err == nil && k.Alg != tt.alg {
			t.Errorf("%s: Alg %s", tt.name, k.Alg)
		}
	}
}
