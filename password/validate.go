package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Violation is one password rule that a password breaks. Code and Message are
// exactly those of Django's validator for the rule, so that clients written
// for django-allauth can match on Code and show Message.
type Violation struct {
	// Code is Django's error code, such as "password_too_short".
	Code string
	// Message is Django's English message, such as "This password is too
	// common.".
	Message string
}

// Attrs are the user attributes that the similarity rule compares the
// password with. They are the defaults of Django's
// UserAttributeSimilarityValidator, checked in Django's order: username,
// first name, last name, email. Empty attributes are skipped.
type Attrs struct {
	Username  string
	FirstName string
	LastName  string
	Email     string
}

// Policy selects and tunes the password rules. The zero value turns every
// rule off except the NUL rule, which cannot be. Start from
// [DefaultPolicy].
type Policy struct {
	// MinLength is the minimum number of Unicode code points. A value of 0
	// or less turns the rule off. Django's default is 8.
	MinLength int
	// MaxSimilarity is the similarity (difflib's quick_ratio, from 0 to 1) at
	// or above which the password counts as too similar to an attribute. A
	// value of 0 or less turns the rule off. Django's default is 0.7, and
	// Django refuses values below 0.1.
	MaxSimilarity float64
	// CheckCommon turns on the rule that rejects passwords in the embedded
	// list of common passwords (see [IsCommon]).
	CheckCommon bool
	// CheckNumeric turns on the rule that rejects entirely numeric
	// passwords (Django's NumericPasswordValidator).
	CheckNumeric bool
}

// DefaultPolicy is Django's default AUTH_PASSWORD_VALIDATORS. It rejects
// passwords too similar to the user's attributes (0.7), shorter than 8
// characters, common, or entirely numeric.
var DefaultPolicy = Policy{MinLength: 8, MaxSimilarity: 0.7, CheckCommon: true, CheckNumeric: true}

// Validate returns every rule that plain breaks: first Latch's own rule
// that a password holds no NUL character (U+0000, code
// "password_invalid_character"), then, in the order of Django's default
// validators, similarity, minimum length, common, numeric. Each rule gives
// at most one Violation. A nil result means plain is acceptable. Like
// Django, Validate does not trim plain, except where the common-password
// rule looks it up. The NUL rule cannot be turned off: some hash
// implementations end a password at its first NUL, and no one types one.
func (p Policy) Validate(plain string, a Attrs) []Violation {
	var vs []Violation
	if strings.ContainsRune(plain, 0) {
		vs = append(vs, Violation{
			Code:    "password_invalid_character",
			Message: "This password contains a null character (U+0000), which is not allowed.",
		})
	}
	if p.MaxSimilarity > 0 {
		if name, similar := tooSimilar(plain, a, p.MaxSimilarity); similar {
			vs = append(vs, Violation{
				Code:    "password_too_similar",
				Message: "The password is too similar to the " + name + ".",
			})
		}
	}
	if p.MinLength > 0 && utf8.RuneCountInString(plain) < p.MinLength {
		unit := "characters"
		if p.MinLength == 1 {
			unit = "character"
		}
		vs = append(vs, Violation{
			Code:    "password_too_short",
			Message: fmt.Sprintf("This password is too short. It must contain at least %d %s.", p.MinLength, unit),
		})
	}
	if p.CheckCommon && IsCommon(plain) {
		vs = append(vs, Violation{Code: "password_too_common", Message: "This password is too common."})
	}
	if p.CheckNumeric && isDigits(plain) {
		vs = append(vs, Violation{Code: "password_entirely_numeric", Message: "This password is entirely numeric."})
	}
	return vs
}

// tooSimilar is Django's UserAttributeSimilarityValidator. It returns the
// verbose name of the first attribute that plain is too similar to.
func tooSimilar(plain string, a Attrs, maxSimilarity float64) (verboseName string, similar bool) {
	pw := []rune(pyLower(plain))
	attrs := [...]struct{ value, verboseName string }{
		{a.Username, "username"},
		{a.FirstName, "first name"},
		{a.LastName, "last name"},
		{a.Email, "email address"},
	}
	for _, attr := range attrs {
		if attr.value == "" {
			continue
		}
		lower := pyLower(attr.value)
		parts := append(splitNonWord(lower), lower)
		for _, part := range parts {
			v := []rune(part)
			if exceedsMaximumLengthRatio(len(pw), maxSimilarity, len(v)) {
				continue
			}
			if quickRatio(pw, v) >= maxSimilarity {
				return attr.verboseName, true
			}
		}
	}
	return "", false
}

// exceedsMaximumLengthRatio is Django's shortcut: when the password is at
// least ten times longer than the value, quick_ratio cannot reach the
// threshold, so the comparison is skipped.
func exceedsMaximumLengthRatio(pwdLen int, maxSimilarity float64, valueLen int) bool {
	lengthBoundSimilarity := maxSimilarity / 2 * float64(pwdLen)
	return pwdLen >= 10*valueLen && float64(valueLen) < lengthBoundSimilarity
}

// quickRatio is Python's difflib.SequenceMatcher(a=a, b=b).quick_ratio():
// 2*M/T, where M is the size of the multiset intersection of the characters
// of a and b, and T is the total number of characters. It is 1 when both are
// empty.
func quickRatio(a, b []rune) float64 {
	total := len(a) + len(b)
	if total == 0 {
		return 1
	}
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			avail[r]--
			matches++
		}
	}
	return 2 * float64(matches) / float64(total)
}

// splitNonWord is Python's re.split(r'\W+', s) for a str pattern. Word
// characters are letters, numbers and "_". Like Python, it returns empty
// strings for leading and trailing separators.
func splitNonWord(s string) []string {
	var parts []string
	start := 0
	inSep := false
	for i, r := range s {
		word := isWordRune(r)
		switch {
		case !word && !inSep:
			parts = append(parts, s[start:i])
			inSep = true
		case word && inSep:
			start = i
			inSep = false
		}
	}
	if inSep {
		return append(parts, "")
	}
	return append(parts, s[start:])
}

// isWordRune is Python's Unicode \w: str.isalnum() or "_".
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// pyLower is Python's str.lower() for our purposes. Go's simple case mapping
// agrees with it except for U+0130 (İ), which Python lowers to "i" plus a
// combining dot. It still differs for Python's final-sigma rule.
func pyLower(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// pyStrip is Python's str.strip() with no arguments. Python's whitespace is
// Unicode's White_Space plus the information separators U+001C to U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}

// isDigits is Python's str.isdigit(), which Django's NumericPasswordValidator
// uses. It is true when s is not empty and every character has
// Numeric_Type=Decimal (Go's unicode.Digit) or Numeric_Type=Digit (such as
// superscripts and circled digits).
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) && !unicode.Is(numericTypeDigit, r) {
			return false
		}
	}
	return true
}

// numericTypeDigit are the characters with Numeric_Type=Digit, which
// Python's str.isdigit() accepts but which are not decimal digits (Nd).
// Generated from Python 3.11's unicodedata (Unicode 14.0).
var numericTypeDigit = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x00b2, Hi: 0x00b3, Stride: 1},
		{Lo: 0x00b9, Hi: 0x00b9, Stride: 1},
		{Lo: 0x1369, Hi: 0x1371, Stride: 1},
		{Lo: 0x19da, Hi: 0x19da, Stride: 1},
		{Lo: 0x2070, Hi: 0x2070, Stride: 1},
		{Lo: 0x2074, Hi: 0x2079, Stride: 1},
		{Lo: 0x2080, Hi: 0x2089, Stride: 1},
		{Lo: 0x2460, Hi: 0x2468, Stride: 1},
		{Lo: 0x2474, Hi: 0x247c, Stride: 1},
		{Lo: 0x2488, Hi: 0x2490, Stride: 1},
		{Lo: 0x24ea, Hi: 0x24ea, Stride: 1},
		{Lo: 0x24f5, Hi: 0x24fd, Stride: 1},
		{Lo: 0x24ff, Hi: 0x24ff, Stride: 1},
		{Lo: 0x2776, Hi: 0x277e, Stride: 1},
		{Lo: 0x2780, Hi: 0x2788, Stride: 1},
		{Lo: 0x278a, Hi: 0x2792, Stride: 1},
	},
	R32: []unicode.Range32{
		{Lo: 0x10a40, Hi: 0x10a43, Stride: 1},
		{Lo: 0x10e60, Hi: 0x10e68, Stride: 1},
		{Lo: 0x11052, Hi: 0x1105a, Stride: 1},
		{Lo: 0x1f100, Hi: 0x1f10a, Stride: 1},
	},
	LatinOffset: 2,
}

// commonPasswordsGz is the gzipped list of common passwords, one per line,
// lower-case. See common-passwords.NOTICE for where it comes from.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords loads the embedded list into a set on first use.
var commonPasswords = sync.OnceValue(func() *wordSet {
	set, err := loadCommonPasswords(commonPasswordsGz)
	if err != nil {
		// The list is compiled into the binary, so this is a build defect,
		// not bad input. Failing open would silently drop the rule.
		panic(err)
	}
	return set
})

// wordSet is a set of strings with no pointer per word: the words sorted
// and joined in one string, and where each ends. A map of 30,000 strings
// is 30,000 objects the garbage collector marks in every cycle, for the
// life of the process; this is one string and one pointer-free slice.
type wordSet struct {
	text string
	ends []uint32 // word i is text[ends[i-1]:ends[i]] (ends[-1] = 0)
}

func newWordSet(words []string) *wordSet {
	slices.Sort(words)
	words = slices.Compact(words)
	var b strings.Builder
	ends := make([]uint32, len(words))
	for i, w := range words {
		b.WriteString(w)
		ends[i] = uint32(b.Len())
	}
	return &wordSet{text: b.String(), ends: ends}
}

func (s *wordSet) word(i int) string {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.text[start:s.ends[i]]
}

func (s *wordSet) contains(w string) bool {
	i := sort.Search(len(s.ends), func(i int) bool { return s.word(i) >= w })
	return i < len(s.ends) && s.word(i) == w
}

func loadCommonPasswords(gz []byte) (*wordSet, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("password: reading embedded common-password list: %w", err)
	}
	words := make([]string, 0, 32768)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := pyStrip(sc.Text()); w != "" {
			words = append(words, w)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("password: reading embedded common-password list: %w", err)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("password: reading embedded common-password list: %w", err)
	}
	return newWordSet(words), nil
}

// IsCommon reports whether plain, lower-cased and with surrounding
// whitespace trimmed as Django does, is in the embedded list of 30,000
// common passwords. The list is loaded on first use.
func IsCommon(plain string) bool {
	return commonPasswords().contains(pyStrip(pyLower(plain)))
}
