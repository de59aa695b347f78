//go:build amd64 && !purego

package argon2

import "golang.org/x/sys/cpu"

// useAVX2 and useSSSE3 report whether compress may use compressAVX2 and
// compressSSSE3 (all but the oldest amd64 CPUs have SSSE3).
var (
	useAVX2  = cpu.X86.HasAVX2
	useSSSE3 = cpu.X86.HasSSSE3
)

// compressAVX2 is compressGeneric in AVX2 assembly.
//
//go:noescape
func compressAVX2(out, x, y *block, xor bool)

// compressSSSE3 is compressGeneric in SSSE3 assembly.
//
//go:noescape
func compressSSSE3(out, x, y *block, xor bool)

// compress is compressGeneric, in assembly when the CPU has AVX2 or SSSE3.
func compress(out, x, y *block, xor bool) {
	switch {
	case useAVX2:
		compressAVX2(out, x, y, xor)
	case useSSSE3:
		compressSSSE3(out, x, y, xor)
	default:
		compressGeneric(out, x, y, xor)
	}
}
