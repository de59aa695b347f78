package account

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/latchauth/latch"
)

// FuzzNormalizeEmail: normalizeEmail never panics and is idempotent, and an
// address requireEmail accepts is its own normal form, within the length
// limits (254 bytes, a 64-byte local part), and accepted again as it is.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"Alice@Example.COM", "  bob@example.com\t", "bob@ｅｘａｍｐｌｅ.com", "bob@example。com", "bob@xn--bcher-kva.de",
		"jose\u0301@example.com", "ｖｉｃｔｉｍ@example.com", "a@b@c.de", "@", "a@", "\xff@example.com", "a@xn--",
		"İ@example.com", "a@ＸＮ--bcher-kva.de", "ǅ@example.com", "a@\u0130.com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeEmail(s)
		if again := normalizeEmail(n); again != n {
			t.Fatalf("normalizeEmail(%q) = %q, but normalizeEmail(%q) = %q", s, n, n, again)
		}
		got, err := requireEmail(s)
		if err != nil {
			return
		}
		at := strings.LastIndexByte(got, '@')
		switch {
		case got != n:
			t.Fatalf("requireEmail(%q) = %q, not its normal form %q", s, got, n)
		case len(got) > maxEmailLength || at < 1 || at > 64:
			t.Fatalf("requireEmail(%q) accepted %q (%d bytes, local part %d)", s, got, len(got), at)
		case !utf8.ValidString(got):
			t.Fatalf("requireEmail(%q) accepted invalid UTF-8 %q", s, got)
		}
		if again, err := requireEmail(got); err != nil || again != got {
			t.Fatalf("requireEmail(%q) = %q, but requireEmail(%q) = %q, %v", s, got, got, again, err)
		}
	})
}

// FuzzNormalizeUsername: normalizeUsername and latch.UsernameKey never panic
// and are idempotent; an accepted username is at most 150 characters, valid
// UTF-8 and valid, and the key a login looks it up by (of the typed name,
// trimmed) is the key signup stored (of its normal form).
func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{
		"ann", " ａｄｍｉｎ ", "Zoë", "ǅungla", "\u00a8x", "x\u00a8", "ﷺ", "ß", "İstanbul", "\u0345", "ΐ", "ﬃ", "a\u200db",
		"аdmin", "日本語ユーザー", "\xff", strings.Repeat("a", 151), strings.Repeat("ﷺ", 10), "\u2000a\u3000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeUsername(s)
		if again := normalizeUsername(n); again != n {
			t.Fatalf("normalizeUsername(%q) = %q, but normalizeUsername(%q) = %q", s, n, n, again)
		}
		key := latch.UsernameKey(s)
		if again := latch.UsernameKey(key); again != key {
			t.Fatalf("UsernameKey(%q) = %q, but UsernameKey(%q) = %q", s, key, key, again)
		}
		if n == "" || usernameProblem(n) != nil {
			return
		}
		switch {
		case utf8.RuneCountInString(n) > maxUsernameLength:
			t.Fatalf("accepted %q of %d characters", n, utf8.RuneCountInString(n))
		case !utf8.ValidString(n) || !validUsername(n):
			t.Fatalf("accepted %q", n)
		case latch.UsernameKey(n) != latch.UsernameKey(strings.TrimSpace(s)):
			t.Fatalf("the keys of %q and its normal form %q differ", s, n)
		}
	})
}

// FuzzNormalizeCode: normalizeCode never panics, is idempotent, keeps only
// upper-case ASCII letters and digits, and codeHash depends only on the
// normal form; a code newCode makes survives its own normalisation.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"BCDF-GHJK", "bcdf ghjk", " B-C-D-F-G-H-J-K ", "ǅ", "ı", "ſ", "K", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeCode(s)
		if normalizeCode(n) != n || len(n) > len(s) {
			t.Fatalf("normalizeCode(%q) = %q, again %q", s, n, normalizeCode(n))
		}
		for i := 0; i < len(n); i++ {
			if c := n[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				t.Fatalf("normalizeCode(%q) = %q", s, n)
			}
		}
		if codeHash(1, codeLogin, s) != codeHash(1, codeLogin, n) {
			t.Fatalf("codeHash differs for %q and its normal form %q", s, n)
		}
		code := newCode()
		if normalizeCode(code) != strings.ReplaceAll(code, "-", "") || normalizeCode(strings.ToLower(code)) != normalizeCode(code) {
			t.Fatalf("code %q normalises to %q", code, normalizeCode(code))
		}
	})
}

const b64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// FuzzOpaqueTokens parses arbitrary strings as the opaque tokens the core
// reads itself (the others — session keys, refresh tokens, link keys — are
// only ever hashed and looked up): the sid claim of an access token and
// device tokens. Neither parser panics; a sid of the encrypted form names a
// session only in its one canonical spelling, a decimal sid only as a
// positive number, and an id's sid reads back as the id; a device token is
// known only in the spelling it was issued in, for the user it was issued
// to.
func FuzzOpaqueTokens(f *testing.F) {
	sids := newSIDCipher([]byte("fuzz sid secret"))
	devices := deviceKey("fuzz device secret")
	user := &latch.User{PublicID: "usr_fuzz"}
	f.Add(sids.encode(1), int64(1))
	f.Add(sids.encode(1<<40), int64(-1))
	f.Add("42", int64(0))
	f.Add("+42", int64(1<<62))
	f.Add("AAAAAAAAAAAAAAAAAAAAAA", int64(7))
	tok := devices.newToken(user)
	f.Add(tok, int64(2))
	// The same bytes with the unused low bits of the last character set.
	f.Add(tok[:len(tok)-1]+string(b64URL[strings.IndexByte(b64URL, tok[len(tok)-1])|3]), int64(2))
	f.Add(strings.Repeat("_", 43), int64(3))
	f.Fuzz(func(t *testing.T, s string, id int64) {
		if got, ok := sids.decode(s); ok {
			switch {
			case got <= 0:
				t.Fatalf("sid %q names session %d", s, got)
			case len(s) == sidLen && sids.encode(got) != s:
				t.Fatalf("sid %q names session %d, whose sid is %q", s, got, sids.encode(got))
			case len(s) != sidLen && strconv.FormatInt(got, 10) != strings.TrimLeft(strings.TrimPrefix(s, "+"), "0"):
				t.Fatalf("decimal sid %q names session %d", s, got)
			}
		}
		if id > 0 {
			if got, ok := sids.decode(sids.encode(id)); !ok || got != id {
				t.Fatalf("the sid of %d reads as %d, %v", id, got, ok)
			}
		}

		if d := devices.known(s, user); d != "" {
			b, _ := base64.RawURLEncoding.DecodeString(s)
			if base64.RawURLEncoding.EncodeToString(b) != s {
				t.Fatalf("device token %q is known in a spelling it was not issued in", s)
			}
			if devices.known(s, &latch.User{PublicID: user.PublicID + "x"}) != "" {
				t.Fatalf("device token %q is known for another user", s)
			}
		}
		tok := devices.newToken(user)
		if devices.known(tok, user) == "" || devices.known(tok, &latch.User{PublicID: s + "\x00"}) != "" {
			t.Fatalf("device token %q: issued for %q, known for %q", tok, user.PublicID, s)
		}
	})
}
