// Package jsonstr writes JSON strings byte for byte as encoding/json does,
// without reflection or allocation, for the hand-written encoders on hot
// paths (the session answer, JWT headers and claims).
package jsonstr

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// plainText and plainHTML mark the bytes written as they are: ASCII but
// control characters, quotes and backslashes, and, in plainHTML, not <, >
// or &. One table lookup per byte is the common case of the loop.
var plainText, plainHTML = func() (text, html [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		text[c] = c != '"' && c != '\\'
		html[c] = text[c] && c != '<' && c != '>' && c != '&'
	}
	return text, html
}()

// Append appends s to b as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped
// for JavaScript, and, when escapeHTML is set, <, > and & as \u003c, \u003e
// and \u0026 (encoding/json's default; json.Encoder.SetEscapeHTML(false)
// is the other).
func Append(b []byte, s string, escapeHTML bool) []byte {
	plain := &plainText
	if escapeHTML {
		plain = &plainHTML
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
