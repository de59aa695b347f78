package argon2

import (
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// Default Latch parameters: m=12288 KiB, t=3, p=1, 32-byte key.
const benchMemory, benchTime, benchKeyLen = 12 * 1024, 3, 32

func BenchmarkKey(b *testing.B) {
	a := newArena(b, benchMemory)
	salt := []byte("0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Key(ID, []byte("correct horse battery staple"), salt, benchTime, benchMemory, 1, benchKeyLen); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkXCryptoIDKey(b *testing.B) {
	salt := []byte("0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		xargon2.IDKey([]byte("correct horse battery staple"), salt, benchTime, benchMemory, 1, benchKeyLen)
	}
}
