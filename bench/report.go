package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one cell: a scenario at a concurrency, against one database.
type result struct {
	DB          string `json:"db"`
	Users       int    `json:"users"`
	Scenario    string `json:"scenario"`
	Concurrency int    `json:"concurrency"`
	// LoadGen is the load generator of the cell: wrk or go (hash runs in
	// the harness's process under either).
	LoadGen  string  `json:"loadgen"`
	Requests uint64  `json:"requests"`
	Errors   uint64  `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	MeanMs   float64 `json:"mean_ms"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	// RSSPeakMB is the peak resident set of RSSOf (the process that served
	// the cell) during the cell, in MiB.
	RSSPeakMB float64 `json:"rss_peak_mb"`
	// RSSStartMB is its RSS as the cell began: Go returns freed memory to
	// the system only gradually, so a cell after argon2id-heavy ones
	// starts high.
	RSSStartMB float64 `json:"rss_start_mb"`
	RSSOf      string  `json:"rss_of"`
	// VsBaseline is RPS over the baseline's RPS at the same concurrency in
	// the same run; VsHash (login only) is RPS over hash's.
	VsBaseline float64 `json:"vs_baseline,omitempty"`
	VsHash     float64 `json:"vs_hash,omitempty"`
	// BusyBefore is the machine's CPU use (cores) in the second before the
	// cell, after waiting for it to be idle (-quiet-wait).
	BusyBefore float64 `json:"busy_before_cores"`
	// Attempts is how many times the cell was measured (see -retries).
	Attempts int `json:"attempts"`
	// BaselineRPS is the baseline's rate measured just before this cell, at
	// the same concurrency, when VsBaseline is taken from it (see -paired).
	BaselineRPS float64 `json:"paired_baseline_rps,omitempty"`
	// BaselineP99Ms is the p99 latency of the baseline cell VsBaseline is
	// taken from.
	BaselineP99Ms float64 `json:"baseline_p99_ms,omitempty"`
	// HashRPS is the hash rate measured just after this login cell, at the
	// same concurrency, when VsHash is taken from it (see -paired).
	HashRPS float64 `json:"paired_hash_rps,omitempty"`
	// CPUPerReqUs is the CPU time the process under test spent per
	// successful operation, in microseconds.
	CPUPerReqUs float64 `json:"server_cpu_us_per_op"`
	// CPU is the CPU used during the measured window, in cores.
	CPU        cpuUsage `json:"cpu_cores"`
	FirstError string   `json:"first_error,omitempty"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func newResult(sc scenario, m *measurement, rss float64) *result {
	return &result{
		Scenario: sc.Name, Concurrency: m.Concurrency, Requests: m.Requests, Errors: m.Errors,
		Seconds: m.Duration.Seconds(), RPS: math.Round(m.rate()*10) / 10,
		MeanMs: ms(m.Lat.Mean), P50Ms: ms(m.Lat.P50), P90Ms: ms(m.Lat.P90), P99Ms: ms(m.Lat.P99), MaxMs: ms(m.Lat.Max),
		RSSPeakMB: math.Round(rss*10) / 10, RSSOf: sc.Proc, FirstError: m.FirstError,
	}
}

// report is everything a run writes.
type report struct {
	Machine   machine         `json:"machine"`
	Settings  settings        `json:"settings"`
	Databases []databaseInfo  `json:"databases"`
	Started   time.Time       `json:"started"`
	Finished  time.Time       `json:"finished"`
	Seeding   []seedTiming    `json:"seeding,omitempty"`
	IdleRSS   []idleRSS       `json:"latch_idle_rss,omitempty"`
	Results   []*result       `json:"results"`
	Targets   []targetOutcome `json:"targets,omitempty"`
	Scenarios []scenarioDoc   `json:"scenarios"`
}

type machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	MemoryMB  int64  `json:"memory_mb"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	Note      string `json:"note"`
}

type settings struct {
	Mode string `json:"mode"`
	// LoadGen describes the load generator(s), LoadGens names them in the
	// order their cells ran; the targets are checked on the last one's.
	LoadGen     string   `json:"loadgen"`
	LoadGens    []string `json:"loadgens"`
	Concurrency []int    `json:"concurrency"`
	WarmupS     float64  `json:"warmup_s"`
	DurationS   float64  `json:"duration_s"`
	Users       int      `json:"users"`
	ScaleUsers  int      `json:"scale_users,omitempty"`
	LatchLog    string   `json:"latch_log_level"`
	LatchEnv    string   `json:"latch_env"`
}

type databaseInfo struct {
	Engine  string `json:"engine"`
	Version string `json:"version"`
}

type seedTiming struct {
	DB       string  `json:"db"`
	Users    int     `json:"users"`
	Sessions int     `json:"sessions"`
	Seconds  float64 `json:"seconds"`
}

// idleRSS is Latch's resident set just after it became ready (and, for the
// standard run, after the seeded sessions were primed), before any cell.
type idleRSS struct {
	DB    string  `json:"db"`
	Users int     `json:"users"`
	MB    float64 `json:"mb"`
}

type scenarioDoc struct {
	Name string `json:"name"`
	Proc string `json:"process"`
	Desc string `json:"description"`
}

func newReport(o *options) *report {
	mode := "standard"
	switch {
	case o.smoke:
		mode = "smoke"
	case o.scale:
		mode = "scale"
	}
	r := &report{
		Machine: machineInfo(),
		Settings: settings{Mode: mode, LoadGen: o.loadGenNote(), LoadGens: o.loadgens, Concurrency: o.conc, WarmupS: o.warmup.Seconds(), DurationS: o.duration.Seconds(),
			Users: o.users, LatchLog: o.logLevel,
			LatchEnv: strings.Join(append([]string{"LATCH_RATE_LIMITS=off LATCH_APP_TOKEN_STRATEGY=jwt LATCH_JWT_ACCESS_TTL=3h LATCH_EMAIL_URL=console: (discarded)"}, o.latchEnv...), " ") + "; all else default"},
		Started: time.Now().UTC(),
	}
	if o.scale {
		r.Settings.ScaleUsers = o.scaleUsers
	}
	for _, s := range o.scenarios {
		r.Scenarios = append(r.Scenarios, scenarioDoc{s.Name, s.Proc, s.Desc})
	}
	return r
}

// add records a cell, filling in its ratios, and prints a progress line.
func (r *report) add(w io.Writer, res *result) {
	for _, o := range r.Results {
		if o.DB != res.DB || o.Users != res.Users || o.Concurrency != res.Concurrency || o.LoadGen != res.LoadGen || o.RPS == 0 {
			continue
		}
		if o.Scenario == "baseline" && res.Scenario != "baseline" && res.Scenario != "hash" && res.BaselineRPS == 0 {
			res.VsBaseline, res.BaselineP99Ms = round3(res.RPS/o.RPS), o.P99Ms
		}
		if o.Scenario == "hash" && res.Scenario == "login" && res.HashRPS == 0 {
			res.VsHash = round3(res.RPS / o.RPS)
		}
		if o.Scenario == "login" && res.Scenario == "hash" && res.RPS > 0 && o.HashRPS == 0 {
			o.VsHash = round3(o.RPS / res.RPS)
		}
	}
	r.Results = append(r.Results, res)
	fmt.Fprintf(w, "  %-8s %-15s c=%-3d %-3s %9.1f req/s  p50 %7.3f ms  p90 %7.3f ms  p99 %8.3f ms  errors %d  rss %.1f MB (%s)  cpu %s\n",
		res.DB, res.Scenario, res.Concurrency, res.LoadGen, res.RPS, res.P50Ms, res.P90Ms, res.P99Ms, res.Errors, res.RSSPeakMB, res.RSSOf, res.CPU)
	if res.Errors > 0 || (res.FirstError != "" && res.Requests == 0) {
		fmt.Fprintf(w, "           first error: %s\n", res.FirstError)
	}
}

// String formats the usage as server/database/load generator/other cores.
func (u cpuUsage) String() string {
	return fmt.Sprintf("%.2f/%.2f/%.2f/%.2f", u.Server, u.Database, u.Harness, u.Other)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// addDatabase records the engine's version.
func (r *report) addDatabase(ctx context.Context, d *database) {
	info := databaseInfo{Engine: d.engine}
	var db *sql.DB
	var err error
	q := `SELECT version()`
	if d.engine == "sqlite" {
		db, err = sql.Open("sqlite", ":memory:")
		q = `SELECT 'SQLite ' || sqlite_version() || ' (modernc.org/sqlite, pure Go)'`
	} else {
		db, err = sql.Open("pgx", d.latch)
	}
	if err == nil {
		defer db.Close()
		err = db.QueryRowContext(ctx, q).Scan(&info.Version)
	}
	if err != nil {
		info.Version = "unknown: " + err.Error()
	}
	for _, x := range r.Databases {
		if x == info {
			return
		}
	}
	r.Databases = append(r.Databases, info)
}

// machineInfo describes the machine from /proc.
func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
		Note: "the load generator, the servers under test (and PostgreSQL, when used) share these cores"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if kb, err := procMeminfoKB("MemTotal"); err == nil {
		m.MemoryMB = kb / 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

func procMeminfoKB(field string) (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			var n int64
			_, err := fmt.Sscan(strings.TrimSpace(v), &n)
			return n, err
		}
	}
	return 0, fmt.Errorf("%s not in /proc/meminfo", field)
}

// targetOutcome is one of the targets, checked against a run.
type targetOutcome struct {
	DB     string  `json:"db"`
	Target string  `json:"target"`
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit"`
	Unit   string  `json:"unit"`
	Met    bool    `json:"met"`
}

// evaluateTargets checks the performance targets of docs/performance.md
// (issue 18's) against whatever cells the run measured under its last load
// generator.
func evaluateTargets(r *report) []targetOutcome {
	var gen string
	if n := len(r.Settings.LoadGens); n > 0 {
		gen = r.Settings.LoadGens[n-1]
	}
	find := func(db string, users int, scenario string, conc int) *result {
		for _, x := range r.Results {
			if x.DB == db && x.Scenario == scenario && x.Concurrency == conc && x.LoadGen == gen && (users == 0 || x.Users == users) {
				return x
			}
		}
		return nil
	}
	var out []targetOutcome
	for _, db := range []string{"sqlite", "postgres"} {
		atLeast := func(name string, value, limit float64, unit string) {
			out = append(out, targetOutcome{db, name, value, limit, unit, value >= limit})
		}
		below := func(name string, value, limit float64, unit string) {
			out = append(out, targetOutcome{db, name, value, limit, unit, value < limit})
		}
		if r.Settings.Mode == "scale" {
			small, large := r.Settings.Users, r.Settings.ScaleUsers
			for _, c := range r.Settings.Concurrency {
				a, b := find(db, small, "session-cookie", c), find(db, large, "session-cookie", c)
				if a != nil && b != nil && b.RPS > 0 {
					below(fmt.Sprintf("session-cookie at %d users: time per request vs %d users, c=%d", large, small, c), round3(a.RPS/b.RPS), 1.5, "×")
				}
			}
			continue
		}
		// Issue 18's targets, measured against the paired baseline (under
		// wrk, the real limit of the machine).
		for _, t := range []struct {
			scenario string
			min      float64
		}{{"session-cookie", 0.80}, {"session-token", 0.80}, {"jwt-verify", 0.90}, {"refresh", 0.40}} {
			for _, c := range []int{16, 64} {
				if x := find(db, 0, t.scenario, c); x != nil && x.VsBaseline > 0 {
					atLeast(fmt.Sprintf("%s req/s vs baseline, c=%d", t.scenario, c), x.VsBaseline, t.min, "ratio")
				}
			}
		}
		for _, c := range []int{1, 16, 64} {
			if x := find(db, 0, "login", c); x != nil && x.VsHash > 0 {
				atLeast(fmt.Sprintf("login req/s vs hash, c=%d", c), x.VsHash, 0.92, "ratio")
			}
		}
		for _, s := range []string{"session-cookie", "session-token"} {
			if x := find(db, 0, s, 64); x != nil && x.BaselineP99Ms > 0 {
				below(s+" p99 vs baseline's p99, c=64", round3(x.P99Ms/x.BaselineP99Ms), 1.3, "×")
			}
		}
		for _, s := range []string{"session-cookie", "session-token", "forward-auth", "refresh", "signup", "login"} {
			peak, cells := 0.0, 0
			for _, x := range r.Results {
				if x.DB == db && x.Scenario == s && x.LoadGen == gen {
					peak, cells = max(peak, x.RSSPeakMB), cells+1
				}
			}
			if cells > 0 {
				below("Latch peak RSS during "+s+", every concurrency", peak, 64, "MiB")
			}
		}
	}
	return out
}

// printReport prints the table of every cell and the targets.
func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "\n%s, %d cores, %d MiB, %s, %s; %g s warm-up + %g s per cell; load generator: %s\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryMB, r.Machine.Kernel, r.Machine.GoVersion, r.Settings.WarmupS, r.Settings.DurationS, r.Settings.LoadGen)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "db\tusers\tscenario\tconc\tgen\treq/s\tp50 ms\tp90 ms\tp99 ms\terrors\tRSS MiB\tof\tvs baseline\tvs hash\tCPU srv/db/gen/other\t")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n",
			x.DB, x.Users, x.Scenario, x.Concurrency, x.LoadGen, x.RPS, x.P50Ms, x.P90Ms, x.P99Ms, x.Errors, x.RSSPeakMB, x.RSSOf,
			pct(x.VsBaseline), pct(x.VsHash), x.CPU)
	}
	tw.Flush()
	if len(r.Seeding) > 0 {
		fmt.Fprintln(w)
		for _, s := range r.Seeding {
			fmt.Fprintf(w, "seeding %s: %d users and %d sessions in %.1f s (%.0f users/s)\n", s.DB, s.Users, s.Sessions, s.Seconds, float64(s.Users)/s.Seconds)
		}
	}
	for _, x := range r.IdleRSS {
		fmt.Fprintf(w, "Latch idle RSS (%s, %d users): %.1f MiB\n", x.DB, x.Users, x.MB)
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "db\ttarget\tmeasured\tlimit\tmet")
		for _, t := range r.Targets {
			op := "≥"
			if t.Unit == "ms" || t.Unit == "MiB" || t.Unit == "×" {
				op = "<"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%v\n", t.DB, t.Target, fmtTarget(t.Value, t.Unit), op, fmtTarget(t.Limit, t.Unit), t.Met)
		}
		tw.Flush()
	}
}

func pct(x float64) string {
	if x == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f %%", x*100)
}

func fmtTarget(v float64, unit string) string {
	switch unit {
	case "ratio":
		return pct(v)
	case "×":
		return fmt.Sprintf("%.2f×", v)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

// writeJSON writes the report to path.
func writeJSON(path string, r *report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// markdownReport renders the results as Markdown: one table per database
// and user count, then the targets.
func markdownReport(r *report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d cores, %d MiB, %s, %s; %g s warm-up + %g s per cell; load generator: %s.\n\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryMB, r.Machine.Kernel, r.Machine.GoVersion, r.Settings.WarmupS, r.Settings.DurationS, r.Settings.LoadGen)
	type group struct {
		db    string
		users int
		gen   string
	}
	var groups []group
	for _, x := range r.Results {
		g := group{x.DB, x.Users, x.LoadGen}
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "**%s, %d users, load generator %s**\n\n", g.db, g.users, g.gen)
		b.WriteString("| scenario | conc | req/s | p50 ms | p90 ms | p99 ms | errors | peak RSS MiB (at start) | CPU µs/op | CPU cores srv/db/gen/other | vs baseline | vs hash |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, x := range r.Results {
			if x.DB != g.db || x.Users != g.users || x.LoadGen != g.gen {
				continue
			}
			rss := fmt.Sprintf("%.0f (%.0f)", x.RSSPeakMB, x.RSSStartMB)
			if x.RSSOf != procLatch {
				rss += " " + x.RSSOf
			}
			vb := ""
			if x.Scenario != "signup" && x.Scenario != "login" {
				vb = pct0(x.VsBaseline)
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %.2f | %.2f | %.2f | %d | %s | %.0f | %s | %s | %s |\n",
				x.Scenario, x.Concurrency, thousands(x.RPS), x.P50Ms, x.P90Ms, x.P99Ms, x.Errors, rss, x.CPUPerReqUs, x.CPU, vb, pct0(x.VsHash))
		}
		b.WriteString("\n")
	}
	if len(r.Targets) > 0 {
		b.WriteString("| db | target | measured | limit | met |\n|---|---|--:|--:|---|\n")
		for _, t := range r.Targets {
			met := "no"
			if t.Met {
				met = "yes"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", t.DB, t.Target, fmtTarget(t.Value, t.Unit), fmtTarget(t.Limit, t.Unit), met)
		}
	}
	return b.String()
}

func pct0(x float64) string {
	if x == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f %%", x*100)
}

// thousands formats a rate with thousands separators and no decimals.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
