package argon2

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	xargon2 "golang.org/x/crypto/argon2"
)

func newArena(t testing.TB, kib uint32) *Arena {
	t.Helper()
	a, err := NewArena(kib)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Free(); err != nil {
			t.Error(err)
		}
	})
	return a
}

// TestRFC9106Vectors checks the test vectors of RFC 9106 §5 (version 0x13),
// which also exercise the secret and associated data. Their four lanes are
// filled on one goroutine, on two and on four: the tag is the same.
func TestRFC9106Vectors(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			testRFC9106Vectors(t)
		})
	}
}

func testRFC9106Vectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Variant
		want string
	}{
		{"argon2i", I, "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8"},
		{"argon2id", ID, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newArena(t, 32)
			got, err := a.key(tc.v, bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16),
				bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tc.want {
				t.Errorf("tag = %x, want %s", got, tc.want)
			}
		})
	}
}

// TestMatchesXCrypto compares Key with golang.org/x/crypto/argon2 over random
// inputs and parameters, small memory, p > 1 and long keys included. The
// arena is reused, dirty, from one case to the next.
func TestMatchesXCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := newArena(t, 2048)
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		password := make([]byte, r.IntN(80))
		salt := make([]byte, 8+r.IntN(40))
		fillRand(r, password)
		fillRand(r, salt)
		threads := uint8(1 + r.IntN(5))
		memory := 8*uint32(threads) + uint32(r.IntN(700))
		if i%10 == 0 {
			memory = 1024 + uint32(r.IntN(1025)) // several address blocks per segment
		}
		time := uint32(1 + r.IntN(4))
		keyLen := uint32(4 + r.IntN(80))
		if i%7 == 0 {
			keyLen = uint32(4 + r.IntN(1100))
		}
		v := ID
		want := xargon2.IDKey(password, salt, time, memory, threads, keyLen)
		if i%3 == 0 {
			v = I
			want = xargon2.Key(password, salt, time, memory, threads, keyLen)
		}
		got, err := a.Key(v, password, salt, time, memory, threads, keyLen)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d (variant %d, t=%d m=%d p=%d keyLen=%d): got %x, want %x",
				i, v, time, memory, threads, keyLen, got, want)
		}
	}
}

// TestDirtyArena checks the claim that lets the arenas be reused without
// zeroing: every block is written before it is read, so an arena full of
// garbage gives the same tag as a fresh one.
func TestDirtyArena(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       Variant
		time    uint32
		memory  uint32
		threads uint8
	}{
		{"id-p1", ID, 2, 256, 1},
		{"id-p3", ID, 3, 300, 3},
		{"i-p2", I, 1, 64, 2},
		{"id-smaller-than-arena", ID, 1, 40, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := newArena(t, tc.memory)
			want, err := fresh.Key(tc.v, []byte("pw"), []byte("saltsalt"), tc.time, tc.memory, tc.threads, 32)
			if err != nil {
				t.Fatal(err)
			}
			dirty := newArena(t, tc.memory+100)
			r := rand.New(rand.NewPCG(3, 4))
			for i := range dirty.blocks {
				for j := range dirty.blocks[i] {
					dirty.blocks[i][j] = r.Uint64()
				}
			}
			got, err := dirty.Key(tc.v, []byte("pw"), []byte("saltsalt"), tc.time, tc.memory, tc.threads, 32)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("dirty arena: %x, fresh: %x", got, want)
			}
		})
	}
}

func TestKeyErrors(t *testing.T) {
	a := newArena(t, 64)
	for _, tc := range []struct {
		name    string
		v       Variant
		time    uint32
		memory  uint32
		threads uint8
		keyLen  uint32
	}{
		{"variant", 0, 1, 64, 1, 32},
		{"time", ID, 0, 64, 1, 32},
		{"threads", ID, 1, 64, 0, 32},
		{"memory below 8p", ID, 1, 15, 2, 32},
		{"keyLen", ID, 1, 64, 1, 3},
		{"too big for the arena", ID, 1, 65, 1, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := a.Key(tc.v, nil, []byte("saltsalt"), tc.time, tc.memory, tc.threads, tc.keyLen); err == nil {
				t.Error("no error")
			}
		})
	}
}

func fillRand(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}
