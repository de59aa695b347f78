package jwt

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/latchauth/latch/internal/jsonstr"
)

// FuzzVerify checks that Verify never panics, and that whatever it accepts
// is a well-formed token whose claims encoding/json reads the same way.
func FuzzVerify(f *testing.F) {
	var keys []PublicKey
	for _, alg := range algorithms {
		k := testKey(f, alg)
		keys = append(keys, k.Public())
		tok, err := Sign(k, testClaims())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + ".." + parts[2])
		f.Add(signParts(f, k, `{"alg":"`+string(alg)+`","kid":"`+k.ID+`","crit":["x"]}`, `{}`))
		f.Add(signParts(f, k, `{"alg":"`+string(alg)+`","kid":"`+k.ID+`"}`, `{"iss":"\ud800\u00e9","aud":["a",{"b":[1e5,-0.5]}],"exp":1}`))
	}
	f.Add("")
	f.Add("..")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	ks := NewKeySet(keys...)

	f.Fuzz(func(t *testing.T, token string) {
		c, err := ks.Verify(token, testNow, 0, testIssuer, testAudience)
		if (c == nil) == (err == nil) {
			t.Fatalf("claims %v and error %v", c, err)
		}
		if err != nil {
			return
		}
		parts := strings.Split(token, ".")
		payload, err := b64.DecodeString(parts[1])
		if err != nil || !json.Valid(payload) {
			t.Fatalf("accepted a token with payload %q", payload)
		}
		if c.Issuer != testIssuer || c.Audience != testAudience {
			t.Fatalf("accepted claims %+v", c)
		}
	})
}

// FuzzParseClaims compares the claims scanner with encoding/json: what the
// scanner accepts is valid JSON, and its string and number claims are what
// encoding/json reads.
func FuzzParseClaims(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"iss":"a","exp":1,"iat":2}`, `{"iss":"\u00e9\ud83d\ude00\ud800x","sub":"\"\\\/\b\f\n\r\t","exp":1,"iat":1}`,
		`{"aud":["x","y"],"exp":-1,"iat":9223372036854775807,"is_staff":true,"email":null}`,
		`{"x":{"y":[1,2.5,-0e+3,true,false,null,"s",{}]},"exp":1,"iat":1}`, ` { "exp" : 1 , "iat" : 1 } `,
		`{"exp":1,"iat":1,}`, `{"exp":01,"iat":1}`, `{"exp":1.0,"iat":1}`, `{"exp":1,"iat":1}x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // Verify refuses invalid UTF-8 before parsing
		}
		var c Claims
		if _, err := parseClaims(s, "y", &c); err != nil {
			return // stricter than encoding/json: typed, unrepeated claims

		}
		if !json.Valid([]byte(s)) {
			t.Fatalf("accepted invalid JSON %q", s)
		}
		// Claim names are case-sensitive (RFC 7519 section 4), so claims are
		// read from a map of raw values, not through a struct, which
		// encoding/json matches case-insensitively ("eXp" would fill Exp). Raw
		// values also keep numbers such as 1e700 that a float64 cannot hold.
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			t.Fatalf("encoding/json: %v for %q", err, s)
		}
		for name, got := range map[string]string{"iss": c.Issuer, "sub": c.Subject, "sid": c.SessionID, "jti": c.ID, "email": c.Email, "preferred_username": c.Username} {
			var want string
			if v, ok := raw[name]; ok && v[0] == '"' {
				if err := json.Unmarshal(v, &want); err != nil {
					t.Fatalf("%s: encoding/json %v, in %q", name, err, s)
				}
			}
			if got != want {
				t.Fatalf("%s: scanner %q, encoding/json %q, in %q", name, got, want, s)
			}
		}
		for name, got := range map[string]int64{"exp": c.Expires, "iat": c.IssuedAt} {
			var want int64
			if err := json.Unmarshal(raw[name], &want); err != nil || want != got {
				t.Fatalf("%s: scanner %d, encoding/json %d (%v), in %q", name, got, want, err, s)
			}
		}
	})
}

// FuzzJSONString checks jsonstr.Append (as used here) against encoding/json, and reads
// its output back with the scanner.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "a", `"\`, "\x00\x1f\x7f", "<&>", "\u2028\u2029", "\xff", "é🎉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := jsonstr.Append(nil, s, false)
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if string(got)+"\n" != want.String() {
			t.Fatalf("%q: got %s want %s", s, got, want.String())
		}
		var fromJSON string
		if err := json.Unmarshal(got, &fromJSON); err != nil {
			t.Fatal(err)
		}
		d := scanner{s: string(got)}
		back, ok := d.str()
		if !ok || !d.end() || back != fromJSON {
			t.Fatalf("%q: read back %q, %v; encoding/json %q", s, back, ok, fromJSON)
		}
	})
}
