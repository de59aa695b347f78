package argon2

import (
	"fmt"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// Latch's default memory, passes and key length: m=12288 KiB, t=3, 32 bytes.
const benchMemory, benchTime, benchKeyLen = 12 * 1024, 3, 32

// BenchmarkKey hashes with 1, 2 and 4 lanes: the same work, filled on up
// to as many cores.
func BenchmarkKey(b *testing.B) {
	a := newArena(b, benchMemory)
	salt := []byte("0123456789abcdef")
	for _, lanes := range []uint8{1, 2, 4} {
		b.Run(fmt.Sprintf("p=%d", lanes), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Key(ID, []byte("correct horse battery staple"), salt, benchTime, benchMemory, lanes, benchKeyLen); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkXCryptoIDKey(b *testing.B) {
	salt := []byte("0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		xargon2.IDKey([]byte("correct horse battery staple"), salt, benchTime, benchMemory, 1, benchKeyLen)
	}
}
