//go:build amd64 && !purego

package argon2

import (
	"math/rand/v2"
	"testing"
)

// TestCompressAssembly compares each assembly version with the Go
// compression function on random blocks, with and without the XOR into the
// old block, and with out aliasing y as the address generation does.
func TestCompressAssembly(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
		f    func(out, x, y *block, xor bool)
	}{
		{"AVX2", useAVX2, compressAVX2},
		{"SSSE3", useSSSE3, compressSSSE3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Skip("the CPU lacks", tc.name)
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
				tc.f(&got, &x, &y, xor)
				if got != want {
					t.Fatalf("case %d (xor %v): assembly and Go differ", i, xor)
				}
				want, got = y, y
				compressGeneric(&want, &x, &want, false)
				tc.f(&got, &x, &got, false)
				if got != want {
					t.Fatalf("case %d aliased: assembly and Go differ", i)
				}
			}
		})
	}
}

// TestKeySSSE3 runs the differential test against x/crypto with the SSSE3
// code, as on a CPU without AVX2.
func TestKeySSSE3(t *testing.T) {
	if !useSSSE3 {
		t.Skip("the CPU lacks SSSE3")
	}
	defer func(old bool) { useAVX2 = old }(useAVX2)
	useAVX2 = false
	TestMatchesXCrypto(t)
	TestRFC9106Vectors(t)
}

// BenchmarkKeySSSE3 is BenchmarkKey with the SSSE3 code.
func BenchmarkKeySSSE3(b *testing.B) {
	if !useSSSE3 {
		b.Skip("the CPU lacks SSSE3")
	}
	defer func(old bool) { useAVX2 = old }(useAVX2)
	useAVX2 = false
	BenchmarkKey(b)
}
