package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/latchauth/latch/password"
)

// defaultGCPercent is Latch's GOGC unless the environment sets one. Latch's
// live heap is a few MiB, so at Go's default of 100 the collector runs
// after every ~3 MiB allocated — about every 1,500 session checks — and
// costs a request more than a fifth of its instructions (counted with
// callgrind: 98,000 instructions per cached session check at 100, 74,000 at
// 200). 200 halves the collections for ~3 MiB more heap; the memory budget
// (GOMEMLIMIT) still bounds the total.
const defaultGCPercent = 200

// hashingGCPercent is Latch's GOGC, unless the environment sets one, while
// the password Hasher has argon2 arenas mapped (from a computation until
// they have been idle for 2 s). The arenas (12 MiB each by default, two on
// two cores) are outside the Go heap, so the heap's headroom comes on top
// of them at the peak of the process's memory. The live heap during logins
// and signups is 3–5 MB (gctrace), so at 50 the heap stays under ~7 MB; at
// 100 it reached 8–10 MB, at 200 8–18 MB. Logins and signups alone, SQLite,
// 16 and 64 connections: peak RSS 66–71 MiB at 100, 64–67 MiB at 50 (with
// the heap returned to the system when hashing starts, below), 60–63 MiB
// on PostgreSQL. The price is one collection per 15–30 logins or signups,
// each marking 3–5 MB: little beside a login's argon2 computation (59
// million instructions). Session checks, once the arenas are released, run
// at defaultGCPercent.
const hashingGCPercent = 50

// tuneGC sets defaultGCPercent unless the process's GOGC is set (the
// runtime has applied that one already), and stops the runtime sampling
// allocations for heap profiles unless GODEBUG sets memprofilerate: Latch
// serves no profiles, and the samples' stack buckets held 1–3 MiB of RSS
// during logins and signups (standard runs with and without).
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	if !strings.Contains(os.Getenv("GODEBUG"), "memprofilerate=") {
		runtime.MemProfileRate = 0
	}
}

// gcWhileHashing returns the Hasher option that runs the collector at
// hashingGCPercent while the Hasher has arenas mapped and at
// defaultGCPercent otherwise, or nil if the process's GOGC is set.
func gcWhileHashing() password.Option {
	if _, set := os.LookupEnv("GOGC"); set {
		return nil
	}
	t := &gcTuner{setPercent: debug.SetGCPercent, release: debug.FreeOSMemory}
	return password.OnArenaMemory(t.arenaMemory)
}

// gcTuner follows one Hasher's arena memory. Its state is its own, so that
// Hashers started and stopped by other servers in the process (tests run
// many) do not change what it sees.
type gcTuner struct {
	hashing    atomic.Bool   // arenas mapped at the last call
	setPercent func(int) int // debug.SetGCPercent
	release    func()        // debug.FreeOSMemory: a collection, then the heap's free pages returned to the system
}

// arenaMemory sets the GC percent for bytes of argon2 arenas mapped, and
// when the first arena of a burst of hashing is mapped returns the heap's
// free pages to the system (in the background: the Hasher calls it under
// its lock), so that the arenas are not added on top of what the heap kept
// from the session checks before. The Hasher calls it in order.
func (t *gcTuner) arenaMemory(bytes int64) {
	if bytes <= 0 {
		t.hashing.Store(false)
		t.setPercent(defaultGCPercent)
		return
	}
	if t.hashing.CompareAndSwap(false, true) {
		t.setPercent(hashingGCPercent)
		go t.release()
	}
}
