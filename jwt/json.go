package jwt

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small strict JSON reader for token headers and claims, and a writer for
// claims. Reading a token is on the hot path of every API request of a
// resource server, so it avoids encoding/json's reflection: the scanner
// works on a string and returns substrings of it, so an unescaped string
// value costs no allocation.

// maxDepth bounds the nesting of the values the scanner skips.
const maxDepth = 32

// scanner reads one JSON text. Its methods return false on a syntax error.
type scanner struct {
	s string
	i int
}

// ws skips whitespace.
func (d *scanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, or 0 at the end.
func (d *scanner) peek() byte {
	d.ws()
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// consume skips whitespace and c, reporting whether c was there.
func (d *scanner) consume(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (d *scanner) end() bool {
	d.ws()
	return d.i == len(d.s)
}

// next reads the separator after an object member or array element: it
// returns more=true after a comma, more=false after close, ok=false on
// anything else.
func (d *scanner) next(close byte) (more, ok bool) {
	switch d.peek() {
	case ',':
		d.i++
		return true, true
	case close:
		d.i++
		return false, true
	}
	return false, false
}

// str reads a string. Without escapes the result is a substring of the
// input; with escapes it is decoded into a new string. The input must be
// valid UTF-8 (checked once by the caller).
func (d *scanner) str() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	d.i++
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return d.s[start : d.i-1], true
		case c == '\\':
			return d.strEscaped(start)
		case c < 0x20:
			return "", false
		}
		d.i++
	}
	return "", false
}

// strEscaped finishes reading a string that starts at start and has an
// escape at d.i.
func (d *scanner) strEscaped(start int) (string, bool) {
	var b strings.Builder
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.s) {
			return "", false
		}
		e := d.s[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by an escaped low one is one
				// character; a lone surrogate becomes U+FFFD, as in
				// encoding/json.
				r2 := utf8.RuneError
				if strings.HasPrefix(d.s[d.i:], `\u`) {
					save := d.i
					d.i += 2
					var ok bool
					if r2, ok = d.hex4(); !ok {
						return "", false
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b.WriteRune(dec)
						continue
					}
					d.i = save
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return "", false
}

// hex4 reads the four hex digits of a \u escape.
func (d *scanner) hex4() (rune, bool) {
	if len(d.s)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// number reads a number, returning its text and whether it is an integer
// (no fraction or exponent).
func (d *scanner) number() (text string, integer, ok bool) {
	d.ws()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.digits() == 0:
		return "", false, false
	}
	integer = true
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		integer = false
		if d.digits() == 0 {
			return "", false, false
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		integer = false
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return "", false, false
		}
	}
	return d.s[start:d.i], integer, true
}

// digits skips decimal digits and returns how many there were.
func (d *scanner) digits() int {
	start := d.i
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// int reads an integer number that fits an int64. Numbers with a fraction
// or an exponent are refused.
func (d *scanner) int() (int64, bool) {
	text, integer, ok := d.number()
	if !ok || !integer {
		return 0, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, err == nil
}

// literal reads one of true, false and null.
func (d *scanner) literal(lit string) bool {
	d.ws()
	if strings.HasPrefix(d.s[d.i:], lit) {
		d.i += len(lit)
		return true
	}
	return false
}

// null reads null if it comes next, reporting whether it did.
func (d *scanner) null() bool {
	return d.peek() == 'n' && d.literal("null")
}

// bool reads true or false.
func (d *scanner) bool() (v, ok bool) {
	switch d.peek() {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	}
	return false, false
}

// skip reads and discards any value.
func (d *scanner) skip(depth int) bool {
	switch d.peek() {
	case '"':
		_, ok := d.str()
		return ok
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '[':
		if depth >= maxDepth {
			return false
		}
		d.i++
		if d.consume(']') {
			return true
		}
		for {
			if !d.skip(depth + 1) {
				return false
			}
			more, ok := d.next(']')
			if !ok || !more {
				return ok
			}
		}
	case '{':
		if depth >= maxDepth {
			return false
		}
		d.i++
		if d.consume('}') {
			return true
		}
		for {
			if _, ok := d.str(); !ok || !d.consume(':') || !d.skip(depth+1) {
				return false
			}
			more, ok := d.next('}')
			if !ok || !more {
				return ok
			}
		}
	}
	_, _, ok := d.number()
	return ok
}
