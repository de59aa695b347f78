//go:build unix

package argon2

import (
	"fmt"
	"syscall"
	"unsafe"
)

// NewArena returns an arena of kib KiB (1 ≤ kib ≤ 4 GiB). Its memory is an
// anonymous mapping outside the Go heap: it does not count towards the
// garbage collector's heap goal or GOMEMLIMIT (the GC never scans or frees
// it, so a live 19 MiB arena does not let the heap grow by another 19 MiB
// before the next collection), and pages that were never touched are not
// resident. It stays mapped until [Arena.Free].
func NewArena(kib uint32) (*Arena, error) {
	if kib == 0 {
		return nil, fmt.Errorf("argon2: empty arena")
	}
	size := int(kib) * blockWords * 8
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("argon2: mapping a %d KiB arena: %w", kib, err)
	}
	blocks := unsafe.Slice((*block)(unsafe.Pointer(&mem[0])), kib)
	return &Arena{blocks: blocks, free: func() error { return syscall.Munmap(mem) }}, nil
}
