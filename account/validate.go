package account

import (
	"github.com/latchauth/latch"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	maxEmailLength    = 254
	maxUsernameLength = 150
)

// normalizeEmail trims and lower-cases an address, as allauth stores them.
func normalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
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

// validEmail reports whether s is a plain address (no display name) with a
// dotted domain or localhost, close to what Django's EmailValidator accepts.
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
	if local == "" || len(local) > 64 || domain == "" {
		return false
	}
	if domain == "localhost" {
		return true
	}
	labels := strings.Split(domain, ".")
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

// validUsername applies Django's UnicodeUsernameValidator: letters, digits
// and @ . + - _ only.
func validUsername(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || strings.ContainsRune("@.+-", r)) {
			return false
		}
	}
	return s != ""
}

func usernameTooLong(s string) bool { return utf8.RuneCountInString(s) > maxUsernameLength }

// unixFloat is allauth's timestamp format: seconds since the epoch, as a float.
func unixFloat(t time.Time) float64 {
	return float64(t.UnixMicro()) / 1e6
}
