package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is Latch's GOGC unless the environment sets one. Latch's
// live heap is a few MiB, so at Go's default of 100 the collector runs
// after every ~3 MiB allocated — about every 1,500 session checks — and
// costs a request more than a fifth of its instructions (counted with
// callgrind: 98,000 instructions per cached session check at 100, 74,000 at
// 200). 200 halves the collections for ~3 MiB more heap; the memory budget
// (GOMEMLIMIT) still bounds the total.
const defaultGCPercent = 200

// tuneGC sets defaultGCPercent unless the process's GOGC is set (the
// runtime has applied that one already).
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
