package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"

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
// they have been idle for 2 s): Go's default. The arenas (12 MiB each by default, two
// on two cores) are outside the Go heap, so at 200 the heap grew by twice
// its live size on top of them, at the peak of the process's memory.
// Measured during logins and signups at 16 and 64 connections (SQLite and
// PostgreSQL): the heap reached 8–18 MB before a collection at 200, 4–14 MB
// at 100, and peak RSS fell by 4–7 MiB. The price is two to three times as
// many collections, one per 30–100 logins or signups, each marking a live
// heap of 1–5 MB: little beside a login's argon2 computation (59 million
// instructions). Session checks, once the arenas are released, run at 200.
const hashingGCPercent = 100

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
	return password.OnArenaMemory(arenaGC)
}

// arenaGC sets the GC percent for bytes of argon2 arenas mapped.
func arenaGC(bytes int64) {
	if bytes > 0 {
		debug.SetGCPercent(hashingGCPercent)
	} else {
		debug.SetGCPercent(defaultGCPercent)
	}
}
