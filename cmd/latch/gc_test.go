package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestTuneGC: without GOGC in the environment serve runs the collector at
// defaultGCPercent; with it, the runtime's own reading of GOGC stands.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	t.Setenv("GOGC", "150") // restored after the test
	tuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent %d, want it left at 100", got)
	}
	os.Unsetenv("GOGC")
	tuneGC()
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, defaultGCPercent)
	}
}

// TestTuneGCMemProfile: heap profiling is off unless GODEBUG asks for it.
func TestTuneGCMemProfile(t *testing.T) {
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	for _, tc := range []struct {
		godebug string
		want    int
	}{
		{"", 0},
		{"madvdontneed=1", 0},
		{"memprofilerate=4096", 4096},
	} {
		runtime.MemProfileRate = 4096
		t.Setenv("GODEBUG", tc.godebug)
		tuneGC()
		if runtime.MemProfileRate != tc.want {
			t.Errorf("GODEBUG=%q: MemProfileRate %d, want %d", tc.godebug, runtime.MemProfileRate, tc.want)
		}
	}
}

// TestGCWhileHashing: with GOGC set, the Hasher gets no option; with it
// unset, it gets one.
func TestGCWhileHashing(t *testing.T) {
	t.Setenv("GOGC", "150") // restored after the test
	if gcWhileHashing() != nil {
		t.Error("GOGC set: a Hasher option, want none")
	}
	os.Unsetenv("GOGC")
	if gcWhileHashing() == nil {
		t.Fatal("GOGC unset: no Hasher option")
	}
}

// TestGCTuner: the collector runs at hashingGCPercent while the Hasher has
// arenas mapped and at defaultGCPercent once they are unmapped, and the
// heap's free pages are returned to the system once per burst of hashing,
// when its first arena is mapped. The tuner's GC percent and release are the
// test's, so other servers' Hashers in the process cannot change them.
func TestGCTuner(t *testing.T) {
	percent := 0
	released := make(chan struct{}, 10)
	tuner := &gcTuner{
		setPercent: func(p int) int { old := percent; percent = p; return old },
		release:    func() { released <- struct{}{} },
	}
	for _, c := range []struct {
		bytes   int64
		want    int
		release bool // the heap's free pages returned
	}{
		{12 << 20, hashingGCPercent, true},
		{24 << 20, hashingGCPercent, false},
		{12 << 20, hashingGCPercent, false},
		{0, defaultGCPercent, false},
		{12 << 20, hashingGCPercent, true}, // the next burst
		{0, defaultGCPercent, false},
	} {
		tuner.arenaMemory(c.bytes)
		if percent != c.want {
			t.Errorf("%d bytes of arenas: GC percent %d, want %d", c.bytes, percent, c.want)
		}
		if c.release {
			select {
			case <-released:
			case <-time.After(10 * time.Second):
				t.Fatalf("%d bytes of arenas, the first of a burst: the heap was not released", c.bytes)
			}
		}
	}
	select {
	case <-released:
		t.Error("the heap was released more than once per burst")
	case <-time.After(50 * time.Millisecond):
	}
}
