//go:build amd64 && !purego

package argon2

import "golang.org/x/sys/cpu"

// useAVX2 reports whether compress may use compressAVX2.
var useAVX2 = cpu.X86.HasAVX2

// compressAVX2 is compressGeneric in AVX2 assembly.
//
//go:noescape
func compressAVX2(out, x, y *block, xor bool)

// compress is compressGeneric, in assembly when the CPU has AVX2.
func compress(out, x, y *block, xor bool) {
	if useAVX2 {
		compressAVX2(out, x, y, xor)
		return
	}
	compressGeneric(out, x, y, xor)
}
