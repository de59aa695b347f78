package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch/password"
)

// TestContainerMemoryLimit reads limits from fake /proc/self/cgroup and
// cgroup files laid out as cgroup v1 and v2 systems lay them out.
func TestContainerMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	v2Self := "0::/app.slice/latch.service\n"
	v1Self := "12:pids:/\n4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"v2 namespaced", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "134217728\n",
		}, 128 * mib},
		{"v2 leaf", map[string]string{
			"proc/self/cgroup": v2Self,
			"sys/fs/cgroup/app.slice/latch.service/memory.max": "67108864\n",
			"sys/fs/cgroup/app.slice/memory.max":               "max\n",
		}, 64 * mib},
		{"v2 parent lower", map[string]string{
			"proc/self/cgroup": v2Self,
			"sys/fs/cgroup/app.slice/latch.service/memory.max": "max\n",
			"sys/fs/cgroup/app.slice/memory.max":               "100663296\n",
		}, 96 * mib},
		{"v2 unlimited", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "max\n",
		}, 0},
		{"v1 limit", map[string]string{
			"proc/self/cgroup": v1Self,
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "268435456\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":            "9223372036854771712\n",
		}, 256 * mib},
		{"v1 unlimited", map[string]string{
			"proc/self/cgroup":                           v1Self,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 0},
		{"v1 host path not mounted, namespace root limited", map[string]string{
			"proc/self/cgroup":                           v1Self,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n",
		}, 512 * mib},
		{"hybrid: memory on v1 wins", map[string]string{
			"proc/self/cgroup":                           v1Self,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n",
			"sys/fs/cgroup/memory.max":                   "67108864\n",
		}, 512 * mib},
		{"garbage", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "lots\n",
		}, 0},
		{"no cgroup file", map[string]string{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tc.files {
				path := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := containerMemoryLimit(root); got != tc.want {
				t.Errorf("containerMemoryLimit = %d MiB, want %d MiB (%d, %d bytes)", got/mib, tc.want/mib, got, tc.want)
			}
		})
	}
}

func TestPlanMemory(t *testing.T) {
	const mib = 1 << 20
	def := password.DefaultParams
	def.Memory = 19 * 1024 // 19 MiB arenas, as the arithmetic below has them
	explicit := func(n int) password.Params { p := def; p.MaxConcurrent = n; return p }
	for _, tc := range []struct {
		name       string
		limit      int64
		goLimitSet bool
		p          password.Params
		procs      int
		want       memoryPlan
		warn       bool
	}{
		{"no limit", 0, false, def, 8, memoryPlan{}, false},
		{"no limit, explicit", 0, false, explicit(3), 8, memoryPlan{hashes: 3}, false},
		// 256 MiB: 25.6 MiB headroom, room for 10 arenas; 2 cores.
		{"roomy", 256 * mib, false, def, 2, memoryPlan{goLimit: 256*mib - 256*mib/10 - 2*19*mib, hashes: 2}, false},
		// 128 MiB: 16 MiB headroom, (128-16-32)/19 = 4 arenas fit; 8 cores.
		{"cores above what fits", 128 * mib, false, def, 8, memoryPlan{goLimit: 128*mib - 16*mib - 4*19*mib, hashes: 4}, false},
		// 64 MiB: (64-16-32)/19 = 0, so 1.
		{"64 MiB", 64 * mib, false, def, 2, memoryPlan{goLimit: 64*mib - 16*mib - 19*mib, hashes: 1}, false},
		{"tiny: floor", 40 * mib, false, def, 2, memoryPlan{goLimit: memFloor, hashes: 1}, false},
		{"GOMEMLIMIT given", 128 * mib, true, def, 8, memoryPlan{hashes: 4}, false},
		{"explicit fits", 128 * mib, false, explicit(3), 8, memoryPlan{goLimit: 128*mib - 16*mib - 3*19*mib, hashes: 3}, false},
		{"explicit too many", 128 * mib, false, explicit(6), 8, memoryPlan{goLimit: memFloor, hashes: 6}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := planMemory(tc.limit, tc.goLimitSet, tc.p, tc.procs)
			if warned := got.warning != ""; warned != tc.warn {
				t.Errorf("warning %q, want one: %v", got.warning, tc.warn)
			}
			if tc.warn && !strings.Contains(got.warning, "LATCH_ARGON2_MAX_CONCURRENT") {
				t.Errorf("warning %q does not name the setting", got.warning)
			}
			got.warning = ""
			if got != tc.want {
				t.Errorf("planMemory = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"auto", memoryAuto, true},
		{"off", 0, true},
		{"67108864", 64 << 20, true},
		{"64MiB", 64 << 20, true},
		{" 512 KiB ", 512 << 10, true},
		{"2GiB", 2 << 30, true},
		{"0", 0, false},
		{"-1", 0, false},
		{"64MB", 0, false},
		{"lots", 0, false},
		{"", 0, false},
		{"9000000000GiB", 0, false},
	} {
		got, err := parseMemoryLimit(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestMemoryLimitSetting(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want int64
	}{{"", memoryAuto}, {"64MiB", 64 << 20}, {"off", 0}} {
		c, err := loadConfig(func(k string) string {
			if k == "LATCH_MEMORY_LIMIT" {
				return tc.env
			}
			return ""
		})
		if err != nil {
			t.Errorf("LATCH_MEMORY_LIMIT=%q: %v", tc.env, err)
		} else if c.MemoryLimit != tc.want {
			t.Errorf("LATCH_MEMORY_LIMIT=%q: MemoryLimit %d, want %d", tc.env, c.MemoryLimit, tc.want)
		}
	}
	if _, err := loadConfig(func(k string) string {
		if k == "LATCH_MEMORY_LIMIT" {
			return "64MB"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "LATCH_MEMORY_LIMIT") {
		t.Errorf("LATCH_MEMORY_LIMIT=64MB: err %v, want one naming the setting", err)
	}
}
