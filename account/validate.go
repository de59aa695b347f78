package account

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

const (
	maxEmailLength    = 254
	maxUsernameLength = 150
)

// normalizeEmail gives an address the one form it is stored and looked up
// in: trimmed and lower-cased, as allauth stores addresses, with the local
// part in Unicode NFC and the domain mapped by IDNA (UTS #46, for lookup)
// to its Unicode form, so that "BÜCHER.de", "xn--bcher-kva.de" and
// "ｂüｃｈｅｒ.de" are one domain. A domain IDNA refuses is left as it is,
// for validEmail to refuse.
func normalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return norm.NFC.String(s)
	}
	local, domain := norm.NFC.String(s[:at]), s[at+1:]
	if d, err := idna.Lookup.ToUnicode(domain); err == nil {
		domain = d
	}
	return local + "@" + domain
}

// requireEmail normalizes a required address field, or reports it missing
// or invalid.
func requireEmail(email string) (string, error) {
	email = normalizeEmail(email)
	switch {
	case email == "":
		return "", latch.Invalid("email", "required", msgRequired)
	case !validEmail(email):
		return "", latch.Invalid("email", "invalid", msgInvalidEmail)
	}
	return email, nil
}

// validEmail reports whether s, an address normalizeEmail has returned, is
// a plain address (no display name) with a dotted domain or localhost,
// close to what Django's EmailValidator accepts. Its domain must pass IDNA
// and have valid DNS labels in its ASCII form, and its local part must hold
// no compatibility characters (anything NFKC would change, such as
// fullwidth letters): "ｖｉｃｔｉｍ@example.com" would otherwise be an
// account of its own that looks like "victim@example.com".
func validEmail(s string) bool {
	if len(s) > maxEmailLength || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 || domain == "" || !norm.NFKC.IsNormalString(local) {
		return false
	}
	if u, err := idna.Lookup.ToUnicode(domain); err != nil || u != domain {
		return false
	}
	if domain == "localhost" {
		return true
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || len(ascii) > 253 {
		return false
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return false
			}
		}
	}
	return true
}

// normalizeUsername gives a username the form it is checked, stored and
// shown in: trimmed, in Unicode NFKC ("ａｄｍｉｎ" is "admin"), and trimmed
// again, since NFKC can put a space at an end ("¨" is a space and a
// combining diaeresis), so that the normal form is its own normal form.
// Case is kept; usernames are compared by latch.UsernameKey, which also
// folds it.
func normalizeUsername(s string) string {
	return strings.TrimSpace(norm.NFKC.String(strings.TrimSpace(s)))
}

// validUsername applies Django's UnicodeUsernameValidator (letters, digits
// and @ . + - _ only) to a username normalizeUsername has returned, and
// PRECIS's IdentifierClass with the UsernameCaseMapped profile (RFC 8265),
// which also refuses unassigned code points, misplaced joiners and
// usernames that break the Bidi rule.
func validUsername(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || strings.ContainsRune("@.+-", r)) {
			return false
		}
	}
	if _, err := precis.UsernameCaseMapped.String(s); err != nil {
		return false
	}
	return s != ""
}

// usernameProblem checks a normalised, non-empty username and returns the
// field error it deserves, or nil.
func usernameProblem(s string) *latch.FieldError {
	switch {
	case usernameTooLong(s):
		return &latch.FieldError{Param: "username", Code: "max_length",
			Message: fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", maxUsernameLength, utf8.RuneCountInString(s))}
	case !validUsername(s):
		return &latch.FieldError{Param: "username", Code: "invalid", Message: msgInvalidUsername}
	case !singleScript(s):
		return &latch.FieldError{Param: "username", Code: "invalid", Message: msgMixedScriptUsername}
	}
	return nil
}

// cjkScripts are the scripts that may be mixed in one username, after UTS
// #39's "Highly Restrictive" level: Latin with Han, Hiragana and Katakana
// (Japanese), with Han and Bopomofo (Chinese), or with Han and Hangul
// (Korean).
var cjkScripts = [...]map[string]bool{
	{"Latin": true, "Han": true, "Hiragana": true, "Katakana": true},
	{"Latin": true, "Han": true, "Bopomofo": true},
	{"Latin": true, "Han": true, "Hangul": true},
}

// singleScript reports whether the characters of s come from one script,
// not counting Common (digits, punctuation) and Inherited (combining
// marks), or from one of the combinations in cjkScripts. It refuses
// look-alikes such as "аdmin" with a Cyrillic "а".
func singleScript(s string) bool {
	seen := map[string]bool{}
	for _, r := range s {
		if name := scriptOf(r); name != "" {
			seen[name] = true
		}
	}
	if len(seen) <= 1 {
		return true
	}
	for _, allowed := range cjkScripts {
		within := true
		for name := range seen {
			within = within && allowed[name]
		}
		if within {
			return true
		}
	}
	return false
}

// frequentScripts are looked at first, before every other script.
var frequentScripts = [...]string{"Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew"}

// scriptOf returns the Unicode Script property of r, or "" for Common,
// Inherited and unassigned code points.
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return ""
	}
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return ""
	}
	for _, name := range frequentScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

func usernameTooLong(s string) bool { return utf8.RuneCountInString(s) > maxUsernameLength }

// unixFloat is allauth's timestamp format: seconds since the epoch, as a float.
func unixFloat(t time.Time) float64 {
	return float64(t.UnixMicro()) / 1e6
}
