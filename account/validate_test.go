package account

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Alice@Example.COM", "alice@example.com"},
		{"  bob@example.com\t", "bob@example.com"},
		{"bob@ｅｘａｍｐｌｅ.com", "bob@example.com"},         // fullwidth domain: IDNA maps it
		{"bob@example。com", "bob@example.com"},         // ideographic full stop
		{"bob@BÜCHER.de", "bob@bücher.de"},             // lower-cased
		{"bob@xn--bcher-kva.de", "bob@bücher.de"},      // A-label: one form, the U-label
		{"bob@bu\u0308cher.de", "bob@bücher.de"},       // decomposed domain: composed
		{"jose\u0301@example.com", "josé@example.com"}, // decomposed local part: NFC
		{"ｖｉｃｔｉｍ@example.com", "ｖｉｃｔｉｍ@example.com"},   // NFC keeps fullwidth; validEmail refuses it
		{"bob@exa_mple.com", "bob@exa_mple.com"},       // IDNA refuses: left for validEmail
		{"no-at-sign", "no-at-sign"},
		{"", ""},
	}
	for _, tt := range tests {
		got := normalizeEmail(tt.in)
		if got != tt.want {
			t.Errorf("normalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := normalizeEmail(got); again != got {
			t.Errorf("normalizeEmail(normalizeEmail(%q)) = %q, not %q", tt.in, again, got)
		}
	}
}

func TestValidEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"alice@example.com", true},
		{"alice@localhost", true},
		{"alice@bücher.de", true},
		{"δοκιμή@παράδειγμα.δοκιμή", true},
		{"josé@example.com", true},
		{"ｖｉｃｔｉｍ@example.com", false},      // fullwidth local part
		{"vic\uff54im@example.com", false}, // one fullwidth letter
		{"ﬁle@example.com", false},         // ligature
		{"x\u00b2@example.com", false},     // superscript two
		{"alice@exa_mple.com", false},
		{"alice@-example.com", false},
		{"alice@example..com", false},
		{"alice@example", false},
		{"alice@xn--zz.com", false},       // bad punycode
		{"alice@xn--bcher-kva.de", false}, // not normalised: the U-label is the stored form
		{"alice@" + strings.Repeat("a", 64) + ".com", false},
		{"alice", false},
		{"@example.com", false},
		{"a b@example.com", false},
	}
	for _, tt := range tests {
		if got := validEmail(tt.in); got != tt.want {
			t.Errorf("validEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeUsername(t *testing.T) {
	tests := []struct{ in, want string }{
		{"admin", "admin"},
		{" Admin ", "Admin"}, // case kept: the key folds it
		{"ａｄｍｉｎ", "admin"},
		{"ＡＤＭＩＮ", "ADMIN"},
		{"jose\u0301", "josé"},
		{"ǅemal", "Džemal"},
		{"ｶﾀｶﾅ", "カタカナ"},
	}
	for _, tt := range tests {
		if got := normalizeUsername(tt.in); got != tt.want {
			t.Errorf("normalizeUsername(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUsernameProblem(t *testing.T) {
	tests := []struct{ in, code string }{
		{"admin", ""},
		{"Alice.Smith+1@x_y-z", ""},
		{"Дмитрий", ""},            // Cyrillic alone
		{"Σοφία2", ""},             // Greek with a digit
		{"josé", ""},               // Latin with a combining mark (Inherited) once decomposed
		{"田中たなか", ""},              // Han + Hiragana
		{"タナカ田中", ""},              // Katakana + Han
		{"김철수金", ""},               // Hangul + Han
		{"tanaka田中", ""},           // Latin + Han (UTS #39 Highly Restrictive)
		{"аdmin", "invalid"},       // Cyrillic а among Latin letters
		{"pаypal", "invalid"},      // same, inside
		{"admin\u03bf", "invalid"}, // Greek omicron
		{"ник_name", "invalid"},    // Cyrillic + Latin around Common _
		{"김철수たなか", "invalid"},      // Hangul + Hiragana
		{"has space", "invalid"},   // Django's character rule
		{"a\u200db", "invalid"},    // a joiner
		{"1שלום", "invalid"},       // Bidi rule
		{strings.Repeat("a", 151), "max_length"},
	}
	for _, tt := range tests {
		got := ""
		if p := usernameProblem(normalizeUsername(tt.in)); p != nil {
			got = p.Code
			if p.Param != "username" {
				t.Errorf("usernameProblem(%q).Param = %q", tt.in, p.Param)
			}
		}
		if got != tt.code {
			t.Errorf("usernameProblem(%q) = %q, want %q", tt.in, got, tt.code)
		}
	}
}
