//go:build !unix

package argon2

import "fmt"

// NewArena returns an arena of kib KiB (1 ≤ kib ≤ 4 GiB), on the Go heap
// on this system.
func NewArena(kib uint32) (*Arena, error) {
	if kib == 0 {
		return nil, fmt.Errorf("argon2: empty arena")
	}
	return &Arena{blocks: make([]block, kib)}, nil
}
