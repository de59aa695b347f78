package argon2

// Arena is the memory of Argon2 computations: whole 1 KiB blocks that
// [Arena.Key] reuses from call to call. Make one with [NewArena].
type Arena struct {
	blocks []block
	// free releases blocks' memory; nil once freed.
	free func() error
}

// KiB reports how much memory, in KiB, a computation may use in a: the
// largest memory parameter that [Arena.Key] accepts.
func (a *Arena) KiB() uint32 { return uint32(len(a.blocks)) }

// Free releases the arena's memory. The arena must not be used afterwards.
func (a *Arena) Free() error {
	f := a.free
	a.blocks, a.free = nil, nil
	if f == nil {
		return nil
	}
	return f()
}
