package jwt

import (
	"bytes"
	"testing"
)

func TestSeal(t *testing.T) {
	const secret = "correct horse battery staple, at least 32 chars"
	for _, data := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("private key "), 100)} {
		sealed, err := Seal(secret, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != 12+len(data)+16 {
			t.Errorf("sealed %d bytes to %d", len(data), len(sealed))
		}
		if len(data) > 8 && bytes.Contains(sealed, data[:8]) {
			t.Error("plaintext visible in sealed data")
		}
		again, _ := Seal(secret, data)
		if bytes.Equal(sealed, again) {
			t.Error("two seals are equal: nonce not random")
		}
		opened, err := Open(secret, sealed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(opened, data) {
			t.Errorf("opened %q, want %q", opened, data)
		}

		if _, err := Open(secret+"x", sealed); err == nil {
			t.Error("opened with a wrong secret")
		}
		if _, err := Open("", sealed); err == nil {
			t.Error("opened with an empty secret")
		}
		for i := range sealed {
			flipped := bytes.Clone(sealed)
			flipped[i] ^= 0x80
			if _, err := Open(secret, flipped); err == nil {
				t.Fatalf("opened with byte %d flipped", i)
			}
		}
		for _, n := range []int{0, 1, 11, 12, 27, len(sealed) - 1} {
			if _, err := Open(secret, sealed[:n]); err == nil {
				t.Errorf("opened truncated to %d bytes", n)
			}
		}
		if _, err := Open(secret, append(bytes.Clone(sealed), 0)); err == nil {
			t.Error("opened with a byte appended")
		}
	}
	if _, err := Seal("", []byte("x")); err == nil {
		t.Error("sealed with an empty secret")
	}
}
