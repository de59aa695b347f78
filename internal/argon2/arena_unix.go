//go:build unix

package argon2

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// NewArena returns an arena of kib KiB (1 ≤ kib ≤ 4 GiB). Its memory is an
// anonymous mapping outside the Go heap: it does not count towards the
// garbage collector's heap goal or GOMEMLIMIT (the GC never scans or frees
// it, so a live 12 MiB arena does not let the heap grow by another 12 MiB
// before the next collection), and pages that were never touched are not
// resident. It stays mapped until [Arena.Free], or until the garbage
// collector finds the Arena unreachable.
func NewArena(kib uint32) (*Arena, error) {
	if kib == 0 {
		return nil, fmt.Errorf("argon2: empty arena")
	}
	size := int(kib) * blockWords * 8
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("argon2: mapping a %d KiB arena: %w", kib, err)
	}
	a := &Arena{blocks: unsafe.Slice((*block)(unsafe.Pointer(&mem[0])), kib)}
	// An arena that is dropped without Free (a Hasher that is no longer
	// used) is unmapped by the garbage collector.
	cleanup := runtime.AddCleanup(a, func(mem []byte) { _ = syscall.Munmap(mem) }, mem)
	a.free = func() error {
		cleanup.Stop()
		return syscall.Munmap(mem)
	}
	return a, nil
}
