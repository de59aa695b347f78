package latch_test

import (
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

func TestUsernameKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"admin", "admin"},
		{"ADMIN", "admin"},
		{"Admin", "admin"},
		{"ａｄｍｉｎ", "admin"},        // fullwidth
		{"ＡＤＭＩＮ", "admin"},        // fullwidth capitals
		{"ad\u2006min", "ad min"}, // six-per-em space: NFKC makes it a space
		{"ǅemal", "džemal"},       // titlecase digraph: NFKC splits it, then lower
		{"Ｊｏｓé", "josé"},
		{"jose\u0301", "josé"},   // decomposed: composed
		{"ﬁle", "file"},          // ligature
		{"ｶﾀｶﾅ", "カタカナ"},         // halfwidth katakana
		{"аdmin", "аdmin"},       // Cyrillic а stays Cyrillic: refused at validation, not here
		{"Straße", "straße"},     // lower-cased, as before, not case-folded
		{"İstanbul", "istanbul"}, // Go's simple case mapping, as stored keys were made
		{"", ""},
	}
	for _, tt := range tests {
		got := latch.UsernameKey(tt.in)
		if got != tt.want {
			t.Errorf("UsernameKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := latch.UsernameKey(got); again != got {
			t.Errorf("UsernameKey(UsernameKey(%q)) = %q, not %q", tt.in, again, got)
		}
	}
	// For a username already in NFKC, the key is what stores kept before
	// (strings.ToLower), so existing rows still match.
	for _, u := range []string{"Alice", "bob.smith+1@x", "ÇAĞLAYAN", "ΣΟΦΙΑ", "Дмитрий", "田中"} {
		if got := latch.UsernameKey(u); got != strings.ToLower(u) {
			t.Errorf("UsernameKey(%q) = %q, want the old key %q", u, got, strings.ToLower(u))
		}
	}
}
