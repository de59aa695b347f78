package argon2

import (
	"bytes"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

// FuzzKey compares Key with golang.org/x/crypto/argon2 on one reused
// arena, with parameters folded into cheap ranges.
func FuzzKey(f *testing.F) {
	f.Add([]byte("password"), []byte("somesalt"), uint8(1), uint16(64), uint8(1), uint16(32), false)
	f.Add([]byte{}, []byte("saltsaltsalt"), uint8(3), uint16(300), uint8(4), uint16(100), true)
	a, err := NewArena(1024)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, password, salt []byte, time uint8, memory uint16, threads uint8, keyLen uint16, argon2i bool) {
		tm := 1 + uint32(time%4)
		p := 1 + threads%8
		m := 8*uint32(p) + uint32(memory)%(1024-8*uint32(p)+1)
		kl := 4 + uint32(keyLen)%1021
		v, want := ID, []byte(nil)
		if argon2i {
			v, want = I, xargon2.Key(password, salt, tm, m, p, kl)
		} else {
			want = xargon2.IDKey(password, salt, tm, m, p, kl)
		}
		got, err := a.Key(v, password, salt, tm, m, p, kl)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("variant %d t=%d m=%d p=%d keyLen=%d: got %x, want %x", v, tm, m, p, kl, got, want)
		}
	})
}
