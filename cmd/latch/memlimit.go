package main

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/latchauth/latch/password"
)

// Latch's memory is the Go heap, which GOMEMLIMIT bounds, plus the
// password Hasher's argon2 arenas (LATCH_ARGON2_MEMORY_KIB each, at most
// LATCH_ARGON2_MAX_CONCURRENT of them), which live outside the Go heap and
// so outside GOMEMLIMIT, plus the binary's pages and the runtime's own.
const (
	// memHeadroom is the least of a container's limit kept for what
	// GOMEMLIMIT does not count but the container does: the binary's
	// pages, thread stacks, the runtime's own structures. A tenth of the
	// limit is kept when that is more.
	memHeadroom = 16 << 20
	// memMinHeap is the least Go heap limit Latch plans for. Below it, the
	// garbage collector would run nearly all the time under load.
	memMinHeap = 32 << 20
	// memFloor is the lowest GOMEMLIMIT Latch sets, however small the
	// container: enough for the server at rest.
	memFloor = 16 << 20
)

// cgroupRoot is where containerMemoryLimit finds /proc and /sys.
const cgroupRoot = "/"

// memoryPlan is how Latch divides a container's memory limit.
type memoryPlan struct {
	// goLimit is the GOMEMLIMIT to set, in bytes; 0 leaves it alone.
	goLimit int64
	// hashes is the Hasher's MaxConcurrent (0: one per core).
	hashes int
	// warning, if set, says that an explicit LATCH_ARGON2_MAX_CONCURRENT
	// does not fit the limit.
	warning string
}

// planMemory divides limit, a container's memory limit in bytes (0: none),
// between the argon2 arenas of p and the Go heap. Without a limit it
// changes nothing. With one, argon2 runs at most as many hashes at once as
// leave memMinHeap for the heap (at least one), fewer than procs only if
// procs would not fit, unless p.MaxConcurrent was set; and, unless
// goLimitSet (GOMEMLIMIT was given), the Go heap gets what is left after the
// headroom and the arenas.
func planMemory(limit int64, goLimitSet bool, p password.Params, procs int) memoryPlan {
	plan := memoryPlan{hashes: p.MaxConcurrent}
	if limit <= 0 {
		return plan
	}
	headroom := max(limit/10, memHeadroom)
	arena := int64(p.Memory) << 10
	fits := max((limit-headroom-memMinHeap)/arena, 1)
	n := int64(p.MaxConcurrent)
	switch {
	case n == 0:
		n = min(int64(procs), fits)
		plan.hashes = int(n)
	case n > fits:
		plan.warning = fmt.Sprintf("LATCH_ARGON2_MAX_CONCURRENT=%d: %d argon2 arenas of %d MiB leave less than %d MiB of the %d MiB memory limit for the rest of Latch; %d would",
			n, n, arena>>20, memMinHeap>>20, limit>>20, fits)
	}
	if !goLimitSet {
		plan.goLimit = max(limit-headroom-n*arena, memFloor)
	}
	return plan
}

// memoryAuto is config.MemoryLimit's value for the container's limit.
const memoryAuto = -1

// parseMemoryLimit parses LATCH_MEMORY_LIMIT: "auto" (memoryAuto), "off"
// (0), or a positive whole number of bytes, optionally followed by KiB, MiB
// or GiB.
func parseMemoryLimit(v string) (int64, error) {
	switch v = strings.TrimSpace(v); v {
	case "auto":
		return memoryAuto, nil
	case "off":
		return 0, nil
	}
	num, shift := v, 0
	for _, u := range []struct {
		suffix string
		shift  int
	}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			num, shift = strings.TrimSpace(n), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q: want auto, off, or a size such as 64MiB, 512MiB or 1GiB", v)
	}
	return n << shift, nil
}

// applyMemoryLimit plans memory for the server from c.MemoryLimit or its
// container's limit (see planMemory), sets GOMEMLIMIT if it was not set,
// sets c.Argon2.MaxConcurrent, and logs what it decided.
func applyMemoryLimit(c *config, log *slog.Logger) {
	limit := c.MemoryLimit
	if limit == memoryAuto {
		limit = containerMemoryLimit(cgroupRoot)
	}
	current := debug.SetMemoryLimit(-1)
	plan := planMemory(limit, current != math.MaxInt64, c.Argon2, runtime.GOMAXPROCS(0))
	c.Argon2.MaxConcurrent = plan.hashes
	if limit == 0 {
		return
	}
	if plan.goLimit > 0 {
		debug.SetMemoryLimit(plan.goLimit)
		current = plan.goLimit
	}
	log.Info("memory budget", "limit_mib", limit>>20, "gomemlimit_mib", current>>20,
		"argon2_max_concurrent", plan.hashes, "argon2_memory_kib", c.Argon2.Memory)
	if plan.warning != "" {
		log.Warn(plan.warning)
	}
}

// containerMemoryLimit returns the memory limit in bytes of this process's
// cgroup, the lowest of its own and its ancestors', found under root: cgroup
// v1's memory.limit_in_bytes if the memory controller is on a v1
// hierarchy, else cgroup v2's memory.max. It returns 0 when there is no
// limit or it cannot be read.
func containerMemoryLimit(root string) int64 {
	data, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0
	}
	var v1, v2 string
	for line := range strings.Lines(string(data)) {
		// hierarchy-ID:controller-list:cgroup-path
		fields := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(fields) != 3 {
			continue
		}
		switch {
		case fields[0] == "0" && fields[1] == "":
			v2 = fields[2]
		case slices.Contains(strings.Split(fields[1], ","), "memory"):
			v1 = fields[2]
		}
	}
	switch {
	case v1 != "":
		return lowestLimit(filepath.Join(root, "sys/fs/cgroup/memory"), v1, "memory.limit_in_bytes")
	case v2 != "":
		return lowestLimit(filepath.Join(root, "sys/fs/cgroup"), v2, "memory.max")
	}
	return 0
}

// lowestLimit returns the lowest limit in file in the directory of cgroup
// path under mount and in those of its ancestors, or 0 if none has one. A
// directory that does not exist (a host's path seen from inside a
// container's mount) is skipped.
func lowestLimit(mount, path, file string) int64 {
	var lowest int64
	for dir := filepath.Clean("/" + path); ; dir = filepath.Dir(dir) {
		if v := readLimit(filepath.Join(mount, dir, file)); v > 0 && (lowest == 0 || v < lowest) {
			lowest = v
		}
		if dir == "/" {
			return lowest
		}
	}
}

// readLimit returns the byte count in a cgroup limit file, or 0 for "max",
// cgroup v1's "unlimited" (a number near 2^63), or a file that cannot be
// read.
func readLimit(name string) int64 {
	data, err := os.ReadFile(name)
	if err != nil {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || v <= 0 || v >= 1<<62 {
		return 0
	}
	return v
}
