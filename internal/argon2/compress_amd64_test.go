//go:build amd64 && !purego

package argon2

import (
	"math/rand/v2"
	"testing"
)

// TestCompressAVX2 compares the assembly with the Go compression function on
// random blocks, with and without the XOR into the old block, and with out
// aliasing y as the address generation does.
func TestCompressAVX2(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(5, 6))
	var x, y, out block
	for i := range 200 {
		for j := range x {
			x[j], y[j], out[j] = r.Uint64(), r.Uint64(), r.Uint64()
		}
		xor := i%2 == 1
		want, got := out, out
		compressGeneric(&want, &x, &y, xor)
		compressAVX2(&got, &x, &y, xor)
		if got != want {
			t.Fatalf("case %d (xor %v): AVX2 and Go differ", i, xor)
		}
		want, got = y, y
		compressGeneric(&want, &x, &want, false)
		compressAVX2(&got, &x, &got, false)
		if got != want {
			t.Fatalf("case %d aliased: AVX2 and Go differ", i)
		}
	}
}
