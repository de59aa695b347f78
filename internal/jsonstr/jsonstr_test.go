package jsonstr

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// tricky are strings encoding/json escapes in every way it has.
var tricky = []string{
	"", "ann", "ann@bench.example", `O"Brien`, `back\slash`, "<script>alert('x')</script>", "a&b>c<d",
	"Zoë_ü", "日本語", "emoji 😀", "tab\there", "new\nline\r", "\b\f\x00\x01\x1f\x7f", "\u2028\u2029",
	"bad \xff utf-8", "cut \xe2\x82", "\xed\xa0\x80 surrogate", "é\u0301", `"quoted" <and> & 'single'`,
}

// encode is encoding/json's answer, without the Encoder's newline.
func encode(t *testing.T, s string, escapeHTML bool) string {
	t.Helper()
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(out.String(), "\n")
}

func check(t *testing.T, s string) {
	t.Helper()
	for _, html := range []bool{true, false} {
		if got, want := string(Append([]byte("prefix"), s, html)), "prefix"+encode(t, s, html); got != want {
			t.Errorf("%q (escapeHTML %v): got %s, want %s", s, html, got, want)
		}
	}
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	cases := append([]string{}, tricky...)
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ09 \"\\<>&\n\t\x00\x7féü日😀\u2028\u2029")
	for range 2000 {
		r := make([]rune, rng.IntN(12))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(r)
		if rng.IntN(4) == 0 && len(s) > 0 {
			s = s[:rng.IntN(len(s))] // may cut a rune: invalid UTF-8
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		check(t, s)
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(check)
}
