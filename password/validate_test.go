package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestValidateDjango checks DefaultPolicy against Django. The expected
// violations were produced by Django 3.2's four default validators (run with
// this package's common-password list) on an unsaved django.contrib.auth
// User with the given attributes.
func TestValidateDjango(t *testing.T) {
	tests := []struct {
		name, plain string
		attrs       Attrs
		want        []Violation
	}{
		{"similar to username", "johnsmith1", Attrs{Username: "johnsmith"}, []Violation{{"password_too_similar", "The password is too similar to the username."}}},
		{"similar to part of email", "wonderland", Attrs{Email: "alice.wonder@example.com"}, []Violation{{"password_too_similar", "The password is too similar to the email address."}}},
		{"not similar to email", "wonderful-tuesday", Attrs{Email: "alice.wonder@example.com"}, nil},
		{"similar to first name", "jonathanx1", Attrs{FirstName: "Jonathan"}, []Violation{{"password_too_similar", "The password is too similar to the first name."}}},
		{"similar to last name", "Zimmermann7", Attrs{LastName: "Zimmermann"}, []Violation{{"password_too_similar", "The password is too similar to the last name."}}},
		{"first matching attribute wins", "alice2024", Attrs{Username: "alice", FirstName: "Alice", Email: "alice@example.com"}, []Violation{{"password_too_similar", "The password is too similar to the username."}}},
		{"email split on non-word characters", "builder99", Attrs{Email: "bob_the-builder@example.com"}, []Violation{{"password_too_similar", "The password is too similar to the email address."}}},
		{"email part containing underscore", "bobthe12", Attrs{Email: "bob_the-builder@example.com"}, []Violation{{"password_too_similar", "The password is too similar to the email address."}}},
		{"unicode lower-casing", "ÇAĞLAYAN123", Attrs{Username: "çağlayan"}, []Violation{{"password_too_similar", "The password is too similar to the username."}}},
		{"anagram counts as similar (quick_ratio)", "htimsnhoj", Attrs{Username: "johnsmith"}, []Violation{{"password_too_similar", "The password is too similar to the username."}}},
		{"exactly at threshold", "abcdefgxyz123", Attrs{Username: "abcdefg"}, []Violation{{"password_too_similar", "The password is too similar to the username."}}},
		{"just below threshold", "abcdefgxyz1234", Attrs{Username: "abcdefg"}, nil},
		{"long password skips short parts", "the quick brown fox jumps over it", Attrs{Username: "ox"}, nil},
		{"empty password vs separator-edged username", "", Attrs{Username: "x."}, []Violation{{"password_too_similar", "The password is too similar to the username."}, {"password_too_short", "This password is too short. It must contain at least 8 characters."}}},
		{"empty password", "", Attrs{}, []Violation{{"password_too_short", "This password is too short. It must contain at least 8 characters."}}},
		{"too short", "Zq9#", Attrs{}, []Violation{{"password_too_short", "This password is too short. It must contain at least 8 characters."}}},
		{"seven code points", "äöüßéèç", Attrs{}, []Violation{{"password_too_short", "This password is too short. It must contain at least 8 characters."}}},
		{"eight code points", "äöüßéèçà", Attrs{}, nil},
		{"common", "password", Attrs{}, []Violation{{"password_too_common", "This password is too common."}}},
		{"common after lower and strip", "  PassWord\t", Attrs{}, []Violation{{"password_too_common", "This password is too common."}}},
		{"common and numeric", "12345678", Attrs{}, []Violation{{"password_too_common", "This password is too common."}, {"password_entirely_numeric", "This password is entirely numeric."}}},
		{"short common numeric", "1234", Attrs{}, []Violation{{"password_too_short", "This password is too short. It must contain at least 8 characters."}, {"password_too_common", "This password is too common."}, {"password_entirely_numeric", "This password is entirely numeric."}}},
		{"numeric only", "90817263544", Attrs{}, []Violation{{"password_entirely_numeric", "This password is entirely numeric."}}},
		{"arabic-indic digits", "١٢٣٤٥٦٧٨٩", Attrs{}, []Violation{{"password_entirely_numeric", "This password is entirely numeric."}}},
		{"superscript digits", "¹²³⁴⁵⁶⁷⁸⁹", Attrs{}, []Violation{{"password_entirely_numeric", "This password is entirely numeric."}}},
		{"circled digits", "①②③④⑤⑥⑦⑧", Attrs{}, []Violation{{"password_entirely_numeric", "This password is entirely numeric."}}},
		{"vulgar fraction is not a digit", "1234567½", Attrs{}, nil},
		{"strong", "correct horse battery staple", Attrs{Username: "alice", FirstName: "Alice", LastName: "Liddell", Email: "alice@example.com"}, nil},
		{"all four rules", "1234", Attrs{Username: "1234"}, []Violation{{"password_too_similar", "The password is too similar to the username."}, {"password_too_short", "This password is too short. It must contain at least 8 characters."}, {"password_too_common", "This password is too common."}, {"password_entirely_numeric", "This password is entirely numeric."}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultPolicy.Validate(tt.plain, tt.attrs)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate(%q, %+v) =\n%q\nwant\n%q", tt.plain, tt.attrs, got, tt.want)
			}
		})
	}
}

func TestValidatePolicyKnobs(t *testing.T) {
	short1 := Violation{"password_too_short", "This password is too short. It must contain at least 1 character."}
	short12 := Violation{"password_too_short", "This password is too short. It must contain at least 12 characters."}
	similar := Violation{"password_too_similar", "The password is too similar to the username."}
	common := Violation{"password_too_common", "This password is too common."}
	numeric := Violation{"password_entirely_numeric", "This password is entirely numeric."}
	tests := []struct {
		name   string
		policy Policy
		plain  string
		attrs  Attrs
		want   []Violation
	}{
		{"singular character", Policy{MinLength: 1}, "", Attrs{}, []Violation{short1}},
		{"MinLength 1 met", Policy{MinLength: 1}, "a", Attrs{}, nil},
		{"plural characters", Policy{MinLength: 12}, "elevenchars", Attrs{}, []Violation{short12}},
		{"MinLength 12 met", Policy{MinLength: 12}, "twelve chars", Attrs{}, nil},
		{"zero policy checks nothing", Policy{}, "1234", Attrs{Username: "1234"}, nil},
		{"numeric rule on", Policy{CheckNumeric: true}, "1234", Attrs{Username: "1234"}, []Violation{numeric}},
		{"numeric rule off", Policy{MinLength: 8, MaxSimilarity: 0.7, CheckCommon: true}, "90817263", Attrs{}, nil},
		{"common rule off", Policy{MinLength: 8, MaxSimilarity: 0.7}, "password", Attrs{}, nil},
		{"common rule on", Policy{CheckCommon: true}, "password", Attrs{}, []Violation{common}},
		{"similarity off", Policy{}, "johnsmith1", Attrs{Username: "johnsmith"}, nil},
		{"stricter similarity", Policy{MaxSimilarity: 0.5}, "john-the-great", Attrs{Username: "johnsmith"}, []Violation{similar}},
		{"laxer similarity", Policy{MaxSimilarity: 0.95}, "johnsmith1", Attrs{Username: "johnsmith"}, nil},
		{"similarity 1 needs equal multisets", Policy{MaxSimilarity: 1}, "htimsnhoj", Attrs{Username: "JohnSmith"}, []Violation{similar}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Validate(tt.plain, tt.attrs); !slices.Equal(got, tt.want) {
				t.Errorf("%+v.Validate(%q, %+v) = %q, want %q", tt.policy, tt.plain, tt.attrs, got, tt.want)
			}
		})
	}
}

// TestQuickRatio checks quickRatio against Python's
// difflib.SequenceMatcher(a=a, b=b).quick_ratio().
func TestQuickRatio(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"", "", 1},
		{"a", "", 0},
		{"", "a", 0},
		{"abc", "abc", 1},
		{"abc", "cba", 1},
		{"abcd", "bcde", 0.75},
		{"aab", "abb", 2.0 / 3},
		{"johnsmith1", "johnsmith", 18.0 / 19},
		{"wonderland", "wonder", 0.75},
		{"a", "aaaaaaaaaa", 2.0 / 11},
		{"çağ", "ÇAĞ", 0}, // case-sensitive: Validate lower-cases first
	}
	for _, tt := range tests {
		got := quickRatio([]rune(tt.a), []rune(tt.b))
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("quickRatio(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestSplitNonWord checks splitNonWord against Python's re.split(r'\W+', s).
func TestSplitNonWord(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"abc", []string{"abc"}},
		{"alice.wonder@example.com", []string{"alice", "wonder", "example", "com"}},
		{"bob_the-builder@example.com", []string{"bob_the", "builder", "example", "com"}},
		{".x", []string{"", "x"}},
		{"x.", []string{"x", ""}},
		{"...", []string{"", ""}},
		{"a  b", []string{"a", "b"}},
		{"çağlayan+tag@exämple.org", []string{"çağlayan", "tag", "exämple", "org"}},
		{"日本語 テキスト", []string{"日本語", "テキスト"}},
		{"x²y", []string{"x²y"}},
	}
	for _, tt := range tests {
		if got := splitNonWord(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitNonWord(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsCommon(t *testing.T) {
	tests := []struct {
		plain string
		want  bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{" password\n", true},
		{"123456", true},
		{"qwerty", true},
		{"iloveyou", true},
		{"trustno1", true},
		{"pass word", false},
		{"", false},
		{"Vq3#xLr9!mZp2@Wd", false},
		{"correct horse battery staple", false},
	}
	for _, tt := range tests {
		if got := IsCommon(tt.plain); got != tt.want {
			t.Errorf("IsCommon(%q) = %v, want %v", tt.plain, got, tt.want)
		}
	}
	// A fresh random string is never common.
	if u := Unusable()[1:]; IsCommon(u) {
		t.Errorf("IsCommon(%q) = true", u)
	}
}

func TestCommonPasswordList(t *testing.T) {
	set := commonPasswords()
	if len(set.ends) < 20000 {
		t.Fatalf("common-password list has %d entries, want at least 20000", len(set.ends))
	}
	// Every line of the embedded file must be usable as is: lower-case,
	// trimmed, unique and non-empty, as Django requires of its list.
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for i := range set.ends {
		listed[set.word(i)] = true
	}
	lines := 0
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		w := sc.Text()
		lines++
		if w == "" || w != pyStrip(pyLower(w)) {
			t.Errorf("line %d %q is not a lower-case, trimmed password", lines, w)
		}
		// Every word is in the set, and its neighbours in sort order
		// (a prefix, a longer word, the next byte) only if listed too.
		if !set.contains(w) {
			t.Errorf("line %d %q not in the set", lines, w)
		}
		for _, near := range []string{w[:len(w)-1], w + "\x00", w + "~", w[:len(w)-1] + string(w[len(w)-1]+1)} {
			if set.contains(near) != listed[near] {
				t.Errorf("near %q: contains %v, listed %v", near, set.contains(near), listed[near])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != len(set.ends) {
		t.Errorf("file has %d lines but %d distinct entries", lines, len(set.ends))
	}
	if _, err := loadCommonPasswords([]byte("not gzip")); err == nil {
		t.Error("loadCommonPasswords accepted a corrupt list")
	}
}

func TestIsDigits(t *testing.T) {
	for s, want := range map[string]bool{
		"":           false,
		"0":          true,
		"0123456789": true,
		"١٢٣":        true, // Arabic-Indic
		"२०२४":       true, // Devanagari
		"²³¹":        true, // superscripts: Numeric_Type=Digit
		"①":          true,
		"½":          false, // Numeric_Type=Numeric
		"Ⅻ":          false, // Roman numeral, letter number
		"一二三":        false, // CJK numerals are letters
		"12 34":      false,
		"-1234":      false,
		"1.5":        false,
	} {
		if got := isDigits(s); got != want {
			t.Errorf("isDigits(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestPyLowerStrip(t *testing.T) {
	if got, want := pyLower("İSTANBUL"), "i\u0307stanbul"; got != want {
		t.Errorf("pyLower = %q, want %q", got, want)
	}
	if got, want := pyStrip("\x1c\u00a0\u2003 pw \t\n\x1f"), "pw"; got != want {
		t.Errorf("pyStrip = %q, want %q", got, want)
	}
}

func BenchmarkValidateDefault(b *testing.B) {
	a := Attrs{Username: "alice", FirstName: "Alice", LastName: "Liddell", Email: "alice.liddell@example.com"}
	commonPasswords() // load the list outside the timing
	b.ReportAllocs()
	for b.Loop() {
		DefaultPolicy.Validate(strings.Repeat("x", 8)+"correct horse", a)
	}
}
