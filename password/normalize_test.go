package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii unchanged", "correct horse", "correct horse"},
		{"NFC unchanged", "pässwörd", "pässwörd"},
		{"NFD composed", "pa\u0308sswo\u0308rd", "pässwörd"},
		{"fullwidth folded", "ｐａｓｓ１２３", "pass123"},
		{"ligature decomposed", "\ufb01sh", "fish"},
		{"no-break space", "a\u00a0b", "a b"},
		{"NUL kept", "a\x00b", "a\x00b"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// rawPBKDF2 is Django's pbkdf2_sha256 of plain's bytes as they are, as a
// Django database holds it.
func rawPBKDF2(t *testing.T, plain string) string {
	t.Helper()
	key, err := pbkdf2.Key(sha256.New, plain, []byte("salt"), 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pbkdf2_sha256$1000$salt$%s", base64.StdEncoding.EncodeToString(key))
}

// TestVerifyNormalizes: a password hashed in one Unicode form verifies in
// another, and hashes of raw, unnormalised bytes (imported ones) still
// verify as typed and ask to be rehashed.
func TestVerifyNormalizes(t *testing.T) {
	h := newTestHasher(t)
	const nfc, nfd, fullwidth = "pässwörd-Harbor", "pa\u0308sswo\u0308rd-Harbor", "ｐａｓｓｗｏｒｄ"
	ours, err := h.Hash(nfc)
	if err != nil {
		t.Fatal(err)
	}
	oursFullwidth, _ := h.Hash(fullwidth)
	tests := []struct {
		name, encoded, plain string
		ok, rehash           bool
	}{
		{"hashed NFC, typed NFC", ours, nfc, true, false},
		{"hashed NFC, typed NFD", ours, nfd, true, false},
		{"hashed NFC, wrong", ours, "passwörd-Harbor", false, false},
		{"hashed fullwidth, typed ASCII", oursFullwidth, "password", true, false},
		{"raw NFD import, typed NFD", rawPBKDF2(t, nfd), nfd, true, true},
		{"raw NFD import, typed NFC", rawPBKDF2(t, nfd), nfc, false, false},
		{"raw NFC import, typed NFD", rawPBKDF2(t, nfc), nfd, true, true},
		{"raw fullwidth import, typed fullwidth", rawPBKDF2(t, fullwidth), fullwidth, true, true},
		{"raw fullwidth import, typed ASCII", rawPBKDF2(t, fullwidth), "password", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(tt.encoded, tt.plain)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tt.ok || rehash != tt.rehash {
				t.Errorf("Verify = %v, %v; want %v, %v", ok, rehash, tt.ok, tt.rehash)
			}
		})
	}
	// The rehash a raw match asks for is of the normalised form.
	again, _ := h.Hash(nfd)
	if ok, rehash, _ := h.Verify(again, nfc); !ok || rehash {
		t.Errorf("Verify(Hash(NFD), NFC) = %v, %v; want true, false", ok, rehash)
	}
}

func TestValidateNUL(t *testing.T) {
	nul := Violation{"password_invalid_character", "This password contains a null character (U+0000), which is not allowed."}
	tests := []struct {
		name, plain string
		policy      Policy
		want        []Violation
	}{
		{"NUL inside", "violet-\x00Harbor-92", DefaultPolicy, []Violation{nul}},
		{"NUL alone", "\x00", Policy{}, []Violation{nul}},
		{"NUL with other rules", "\x00", DefaultPolicy, []Violation{nul, {"password_too_short", "This password is too short. It must contain at least 8 characters."}}},
		{"other controls allowed", "violet-\x01Harbor-92", DefaultPolicy, nil},
		{"no NUL", "violet-Harbor-92", DefaultPolicy, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Validate(tt.plain, Attrs{}); !slices.Equal(got, tt.want) {
				t.Errorf("Validate(%q) = %q, want %q", tt.plain, got, tt.want)
			}
		})
	}
}
