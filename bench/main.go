// Command bench is Latch's load-test harness. It builds Latch
// (./cmd/latch) and two helper servers (./bench/baseline, a trivial net/http
// server, and ./bench/resource, a service behind the latchauth middleware),
// runs `latch serve` on a free loopback port against a fresh database
// (a SQLite file in a temporary directory, or a new schema in PostgreSQL),
// seeds users and sessions straight into the database, and measures each
// scenario at each concurrency with a closed-loop load generator — wrk, with
// a Lua script the harness writes, when wrk is installed, else one in Go
// (-loadgen; see wrk.go) — and after a warm-up, for a fixed duration,
// reports requests per second, latency quantiles, errors and the peak RSS
// of the process under test, and each scenario's ratio to the baseline
// server (and login's to the raw argon2id rate). It prints one table and
// writes the results as JSON.
//
// From the repository root:
//
//	go run ./bench -db sqlite                 # the standard run (about 3 minutes)
//	go run ./bench -db postgres               # LATCH_TEST_POSTGRES_URL or -postgres-url
//	go run ./bench -db sqlite -scale          # 1,000 users, then 1,000,000
//	go run ./bench -smoke                     # baseline + session-token, 4 workers, 1 s, each load generator
//	go run ./bench -db sqlite -soak 10m       # mixed load at half capacity, RSS etc. over time
//
// Only loopback traffic is generated. Rate limits are off in the measured
// Latch (LATCH_RATE_LIMITS=off), its console mail and its request log are
// discarded (-server-log keeps the log), and every loop is bounded in time
// and count; -timeout bounds the whole run. See docs/performance.md.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latchauth/latch/password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the harness's flags.
type options struct {
	dbs         []string
	pgURL       string
	duration    time.Duration
	warmup      time.Duration
	conc        []int
	scenarios   []scenario
	users       int
	scale       bool
	scaleUsers  int
	smoke       bool
	out         string
	markdown    string
	serverLog   string
	logLevel    string
	latchEnv    []string
	paired      bool
	keep        bool
	timeout     time.Duration
	perfDir     string
	activeLimit int
	quietWait   time.Duration
	quietCores  float64
	noisyCores  float64
	retries     int
	// importDjango, when positive, times latch import-django of that many users instead (importdjango.go).
	importDjango int
	soak         time.Duration
	soakEvery    time.Duration
	// loadgens are the load generators the cells run under, in order
	// (both only in the smoke mode); wrk is wrk's path when one is wrk.
	loadgens   []string
	wrk        string
	wrkVersion string
}

// defaultPostgresURL is where scripts/test finds PostgreSQL.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./bench [flags]\n\nLatch's load-test harness (see docs/performance.md).\n\n")
		fs.PrintDefaults()
	}
	pg := os.Getenv("LATCH_TEST_POSTGRES_URL")
	if pg == "" {
		pg = defaultPostgresURL
	}
	var (
		o         options
		db        = fs.String("db", "sqlite", "database: sqlite, postgres, or both (comma-separated)")
		conc      = fs.String("concurrency", "1,16,64", "closed-loop workers (= connections) per cell, comma-separated")
		scenarios = fs.String("scenarios", "all", "scenarios to run, comma-separated, or all: "+scenarioNames())
		loadgen   = fs.String("loadgen", "auto", "load generator of the HTTP scenarios: wrk (wrk on PATH, driven by generated Lua scripts), go (the harness's own, sharing its process), or auto: wrk when it is on PATH, else go; with -smoke, auto runs each cell under both")
	)
	fs.StringVar(&o.pgURL, "postgres-url", pg, "PostgreSQL to use with -db postgres (default $LATCH_TEST_POSTGRES_URL); each run creates and drops a schema in it")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per cell")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each cell")
	fs.IntVar(&o.users, "users", 1000, "users (each with a browser and an app session) seeded for the standard run")
	fs.BoolVar(&o.scale, "scale", false, "scale mode: session-cookie and login at -users users, then again after seeding up to -scale-users")
	fs.IntVar(&o.scaleUsers, "scale-users", 1_000_000, "users (and sessions) in the second half of the scale mode")
	fs.DurationVar(&o.soak, "soak", 0, "soak mode: the mix of session checks, refreshes, logins and signups at half its capacity for this long, sampling RSS, goroutines, file descriptors and database connections (e.g. 10m)")
	fs.DurationVar(&o.soakEvery, "soak-every", 10*time.Second, "soak mode: time between samples")
	fs.BoolVar(&o.smoke, "smoke", false, "a quick check that the harness works: baseline and session-token, SQLite, 4 workers, 2 s")
	fs.StringVar(&o.out, "out", "", "where to write the results as JSON (default bench/results.json, or results-scale.json with -scale; - for none)")
	fs.StringVar(&o.markdown, "md", "", "also write the results as Markdown tables to this file")
	fs.StringVar(&o.serverLog, "server-log", "", "append the servers' standard error (Latch's request log) to this file instead of discarding it")
	fs.Func("latch-env", "NAME=VALUE added to the measured Latch's environment (repeatable), e.g. LATCH_SESSION_CACHE_SIZE=0 or GOGC=200", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return errors.New("want NAME=value")
		}
		o.latchEnv = append(o.latchEnv, v)
		return nil
	})
	fs.BoolVar(&o.paired, "paired", true, "measure the baseline again just before each cell of session-cookie, session-token, jwt-verify, forward-auth and refresh (and the hash rate just after each login cell), and take their ratios from those pairs: on a shared machine the speed drifts within a run")
	fs.StringVar(&o.logLevel, "latch-log-level", "info", "LATCH_LOG_LEVEL of the measured Latch (info: its default, one log line per request)")
	fs.IntVar(&o.importDjango, "import-django", 0, "instead of the load test, time latch import-django of this many users from a Django-shaped SQLite database into each -db")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, SQLite files) and the PostgreSQL schema")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Hour, "upper bound on the whole run")
	fs.StringVar(&o.perfDir, "perf-dir", "", "after each Latch scenario's cells, run one more at 16 workers under `perf record -g` and write the profile here (needs perf)")
	fs.DurationVar(&o.quietWait, "quiet-wait", time.Minute, "before each cell, wait up to this long for the machine to be idle (0: do not wait)")
	fs.Float64Var(&o.noisyCores, "noisy-cores", 0.2, "a cell during which other processes used more CPU than this (cores) is noisy and measured again (-retries)")
	fs.IntVar(&o.retries, "retries", 2, "how many times a noisy cell is measured again; the least noisy attempt is kept")
	fs.Float64Var(&o.quietCores, "quiet-cores", 0.15, "what idle means for -quiet-wait: CPU use below this many cores over one second")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.smoke {
		// Unpaired, so that session-token takes its ratio from the one
		// baseline cell: a few seconds per load generator.
		*db, *conc, *scenarios = "sqlite", "4", "baseline,session-token"
		o.duration, o.warmup = time.Second, 500*time.Millisecond
		o.users = 200
		o.quietWait, o.retries, o.paired = 0, 0, false
	}
	if err := o.pickLoadGen(*loadgen); err != nil {
		return nil, err
	}
	for _, d := range splitList(*db) {
		switch d {
		case "sqlite", "postgres":
			o.dbs = append(o.dbs, d)
		case "both":
			o.dbs = append(o.dbs, "sqlite", "postgres")
		default:
			return nil, fmt.Errorf("-db %q: want sqlite, postgres or both", d)
		}
	}
	if len(o.dbs) == 0 {
		return nil, errors.New("-db: name a database")
	}
	for _, c := range splitList(*conc) {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("-concurrency %q: want numbers from 1 to 1024", c)
		}
		o.conc = append(o.conc, n)
	}
	if len(o.conc) == 0 {
		return nil, errors.New("-concurrency: give at least one")
	}
	if *scenarios == "all" {
		o.scenarios = defaultScenarios(o.scale)
	} else {
		for _, name := range splitList(*scenarios) {
			s, ok := scenarioByName(name)
			if !ok {
				return nil, fmt.Errorf("-scenarios: unknown %q; want %s", name, scenarioNames())
			}
			o.scenarios = append(o.scenarios, s)
		}
	}
	switch {
	case o.duration <= 0 || o.duration > time.Hour:
		return nil, errors.New("-duration: want a positive duration up to 1h")
	case o.warmup < 0 || o.warmup > time.Hour:
		return nil, errors.New("-warmup: want a duration up to 1h")
	case o.users < 1 || o.users > 10_000_000:
		return nil, errors.New("-users: want 1 to 10,000,000")
	case o.scale && (o.scaleUsers <= o.users || o.scaleUsers > 10_000_000):
		return nil, errors.New("-scale-users: want more than -users, at most 10,000,000")
	case o.timeout <= 0:
		return nil, errors.New("-timeout: want a positive duration")
	case o.soak < 0 || o.soak > 24*time.Hour || (o.soak > 0 && (o.scale || o.smoke)):
		return nil, errors.New("-soak: want a duration up to 24h, without -scale or -smoke")
	case o.soakEvery <= 0 || (o.soak > 0 && o.soakEvery > o.soak):
		return nil, errors.New("-soak-every: want a positive duration, at most -soak")
	}
	if o.out == "" {
		o.out = filepath.Join("bench", "results.json")
		if o.scale {
			o.out = filepath.Join("bench", "results-scale.json")
		}
		if o.soak > 0 {
			o.out = filepath.Join("bench", "results-soak.json")
		}
		if fi, err := os.Stat("bench"); err != nil || !fi.IsDir() {
			o.out = filepath.Base(o.out) // run from inside bench/
		}
	}
	o.activeLimit = 1000
	return &o, nil
}

// pairedScenarios are those whose ratio to the baseline is a target; with
// -paired each of their cells gets a baseline cell of its own just before.
var pairedScenarios = map[string]bool{"session-cookie": true, "session-token": true, "jwt-verify": true, "forward-auth": true, "refresh": true}

// pickLoadGen resolves -loadgen: wrk when asked for (it must be on PATH) or
// when auto finds it (the smoke mode then runs both, so that CI exercises
// each), else go.
func (o *options) pickLoadGen(v string) error {
	path, version, err := findWrk()
	switch v {
	case loadGenGo:
		o.loadgens = []string{loadGenGo}
	case loadGenWrk:
		if err != nil {
			return fmt.Errorf("-loadgen wrk: %w (scripts/bench-setup installs it)", err)
		}
		o.loadgens = []string{loadGenWrk}
	case "auto":
		switch {
		case err != nil:
			o.loadgens = []string{loadGenGo}
		case o.smoke:
			o.loadgens = []string{loadGenGo, loadGenWrk}
		default:
			o.loadgens = []string{loadGenWrk}
		}
	default:
		return fmt.Errorf("-loadgen %q: want go, wrk or auto", v)
	}
	if slices.Contains(o.loadgens, loadGenWrk) {
		o.wrk, o.wrkVersion = path, version
	}
	return nil
}

// loadGenNote says which load generator drives the HTTP scenarios.
func (o *options) loadGenNote() string {
	var parts []string
	for _, lg := range o.loadgens {
		if lg == loadGenWrk {
			parts = append(parts, fmt.Sprintf("wrk (%s, %s; -t min(c,2) -c c, Lua request scripts)", o.wrkVersion, o.wrk))
		} else {
			parts = append(parts, "go (the harness's closed loop, one goroutine per connection)")
		}
	}
	return strings.Join(parts, ", then ")
}

// defaultScenarios returns every scenario, or the scale mode's two.
func defaultScenarios(scale bool) []scenario {
	if !scale {
		return scenarios
	}
	var out []scenario
	for _, name := range []string{"session-cookie", "login"} {
		s, _ := scenarioByName(name)
		out = append(out, s)
	}
	return out
}

func scenarioNames() string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.Name)
	}
	return strings.Join(names, ",")
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// harness is one run's shared state.
type harness struct {
	o      *options
	out    io.Writer
	tmp    string
	bins   string // directory of the built binaries
	rep    *report
	salt   []byte
	runID  string
	hashMu sync.Mutex
	hash   string // argon2id hash of benchPassword, computed once
	soaks  []*soakResult
	wrk    *wrkRunner // with -loadgen wrk
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "authbench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stdout, "keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	h := &harness{o: o, out: stdout, tmp: tmp, bins: filepath.Join(tmp, "bin"), salt: make([]byte, 32)}
	rand.Read(h.salt)
	var id [4]byte
	rand.Read(id[:])
	h.runID = hex.EncodeToString(id[:])
	if o.wrk != "" {
		h.wrk = &wrkRunner{bin: o.wrk, dir: tmp}
	}
	if o.soak == 0 && o.importDjango == 0 {
		fmt.Fprintln(stdout, "load generator:", o.loadGenNote())
	}

	// Latch's binary is named authd, and nothing the harness starts has
	// "latch" in its command line, so that whatever else on the machine
	// stops its own Latch servers by name (pkill -f latch) leaves these be.
	var helpers []string
	for _, s := range o.scenarios {
		switch s.Proc {
		case procBaseline:
			helpers = append(helpers, "./bench/baseline")
		case procResource:
			helpers = append(helpers, "./bench/resource")
		}
	}
	fmt.Fprintf(stdout, "building ./cmd/latch (as %s) %s\n", filepath.Join(h.bins, latchBinary), strings.Join(helpers, " "))
	if err := buildBinaries(ctx, root, filepath.Join(h.bins, latchBinary), "./cmd/latch"); err != nil {
		return err
	}
	if len(helpers) > 0 {
		if err := buildBinaries(ctx, root, h.bins+string(os.PathSeparator), helpers...); err != nil {
			return err
		}
	}
	if o.importDjango > 0 {
		for _, engine := range o.dbs {
			if err := h.runImportDjango(ctx, engine, o.importDjango); err != nil {
				return fmt.Errorf("%s: %w", engine, err)
			}
		}
		return nil
	}
	h.rep = newReport(o)
	if o.soak > 0 {
		for _, engine := range o.dbs {
			if err := h.runSoak(ctx, engine); err != nil {
				return fmt.Errorf("%s: %w", engine, err)
			}
		}
		if o.out == "-" {
			return nil
		}
		fmt.Fprintln(stdout, "soak results written to", o.out)
		return writeSoak(o.out, h.soaks)
	}
	for _, engine := range o.dbs {
		if o.scale {
			err = h.runScale(ctx, engine)
		} else {
			err = h.runStandard(ctx, engine)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	h.rep.Finished = time.Now().UTC()
	h.rep.Targets = evaluateTargets(h.rep)
	printReport(stdout, h.rep)
	if o.out != "-" {
		if err := writeJSON(o.out, h.rep); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "results written to", o.out)
	}
	if o.markdown != "" {
		if err := os.WriteFile(o.markdown, []byte(markdownReport(h.rep)), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Markdown tables written to", o.markdown)
	}
	return nil
}

// latchBinary is the name the harness gives Latch's binary.
const latchBinary = "authd"

// passwordHash returns the hash every seeded user gets: benchPassword under
// Latch's default argon2id parameters (exactly those of `latch serve`, so
// that logins verify it without asking for a rehash).
func (h *harness) passwordHash() (string, error) {
	h.hashMu.Lock()
	defer h.hashMu.Unlock()
	if h.hash == "" {
		s, err := password.NewHasher(password.DefaultParams).Hash(benchPassword)
		if err != nil {
			return "", err
		}
		h.hash = s
	}
	return h.hash, nil
}

// newDatabase makes a fresh database for a run.
func (h *harness) newDatabase(ctx context.Context, engine, name string) (*database, error) {
	if engine == "postgres" {
		d, err := newPostgres(ctx, h.o.pgURL)
		if err != nil {
			return nil, err
		}
		if h.o.keep {
			fmt.Fprintln(h.out, "keeping PostgreSQL", redactURL(d.latch))
			d.cleanup = func() error { return nil }
		}
		return d, nil
	}
	path := filepath.Join(h.tmp, name+".db")
	return &database{engine: "sqlite", latch: "sqlite:" + path, cleanup: func() error {
		if h.o.keep {
			return nil
		}
		var errs []error
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}}, nil
}

// benchSecret is the measured Latch's master secret.
func benchSecret(salt []byte) string { return "latch-bench-secret-" + hex.EncodeToString(salt) }

// latchEnv is the measured Latch's configuration.
func (h *harness) latchEnv(d *database, addr string) []string {
	return append([]string{
		"LATCH_ADDR=" + addr,
		"LATCH_DATABASE_URL=" + d.latch,
		"LATCH_SECRET_KEY=" + benchSecret(h.salt), // not a real secret: a throwaway run
		"LATCH_RATE_LIMITS=off",
		"LATCH_APP_TOKEN_STRATEGY=jwt",
		"LATCH_JWT_ACCESS_TTL=3h", // outlives the run: jwt-verify reuses tokens from the start
		"LATCH_EMAIL_URL=console:",
		"LATCH_LOG_LEVEL=" + h.o.logLevel,
		"LATCH_SHUTDOWN_DELAY=0", // no load balancer to warn: stop at once on SIGTERM
	}, h.o.latchEnv...)
}

// migrate runs `latch migrate`, so that configuration or database problems
// show up with Latch's own message before anything is seeded.
func (h *harness) migrate(ctx context.Context, env []string) error {
	out, err := runCommand(ctx, filepath.Join(h.bins, latchBinary), []string{"migrate"}, env)
	if err != nil {
		return fmt.Errorf("latch migrate: %w\n%s", err, out)
	}
	return nil
}

// startLatch runs `latch serve` and waits until /readyz answers.
func (h *harness) startLatch(ctx context.Context, env []string, addr string) (*proc, error) {
	p, err := startProc("latch", filepath.Join(h.bins, latchBinary), []string{"serve"}, env, h.o.serverLog)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, "http://"+addr+"/readyz", time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// startHelper runs bench/baseline or bench/resource on a free port.
func (h *harness) startHelper(ctx context.Context, name string, args ...string) (*proc, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := startProc(name, filepath.Join(h.bins, name), append([]string{"-addr", addr}, args...), nil, h.o.serverLog)
	if err != nil {
		return nil, "", err
	}
	health := "/"
	if name == "resource" {
		health = "/healthz"
	}
	if err := p.waitReady(ctx, "http://"+addr+health, 30*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, addr, nil
}

// activeSet picks at most limit users out of n, evenly spread over the
// seeded range (so that at a million users the sessions used are scattered
// over the whole table and its indexes, not its first pages).
func activeSet(n, limit int) []int {
	k := min(n, limit)
	out := make([]int, k)
	for j := range k {
		out[j] = int(int64(j) * int64(n) / int64(k))
	}
	return out
}

// needs reports whether any selected scenario runs against proc.
func (h *harness) needs(proc string) bool {
	return slices.ContainsFunc(h.o.scenarios, func(s scenario) bool { return s.Proc == proc })
}

// selected reports whether the scenario called name is to be run.
func (h *harness) selected(name string) bool {
	return slices.ContainsFunc(h.o.scenarios, func(s scenario) bool { return s.Name == name })
}

// prepare makes a fresh database for a run, picks Latch's address and
// environment, and migrates the database; the caller cleans d up.
func (h *harness) prepare(ctx context.Context, engine, name string) (d *database, addr string, env []string, err error) {
	d, err = h.newDatabase(ctx, engine, name)
	if err != nil {
		return nil, "", nil, err
	}
	if addr, err = freeAddr(); err == nil {
		env = h.latchEnv(d, addr)
		err = h.migrate(ctx, env)
	}
	if err != nil {
		return nil, "", nil, errors.Join(err, d.cleanup())
	}
	return d, addr, env, nil
}

// runStandard measures every selected scenario against one database.
func (h *harness) runStandard(ctx context.Context, engine string) (err error) {
	o := h.o
	fmt.Fprintf(h.out, "== %s: %d users, scenarios at concurrency %v, %s warm-up + %s each\n", engine, o.users, o.conc, o.warmup, o.duration)
	d, addr, env, err := h.prepare(ctx, engine, "standard")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.cleanup()) }()
	t := &target{host: addr, salt: h.salt, users: o.users, runID: h.runID, active: activeSet(o.users, o.activeLimit)}
	if err := h.seed(ctx, d, seedSpec{From: 0, To: o.users, Kinds: []string{"browser", "app"}}); err != nil {
		return err
	}
	procs := map[string]*proc{procHarness: nil}
	defer func() {
		for _, p := range procs {
			if p != nil {
				err = errors.Join(err, p.stop())
			}
		}
	}()
	if h.selected("jwt-verify") || h.selected("refresh") {
		// One login per worker of the largest cell, and spares. They run
		// on a Latch of their own (same database and address, hence the
		// same signing key and issuer), so that the memory their argon2id
		// checks take is not in the measured process's RSS.
		setup, err := h.startLatch(ctx, env, addr)
		if err != nil {
			return err
		}
		n := h.refreshTokensNeeded()
		pairs, err := loginTokens(ctx, t, n)
		if serr := setup.stop(); err == nil {
			err = serr
		}
		if err != nil {
			return fmt.Errorf("logins for tokens: %w", err)
		}
		t.tokens = pairs
		t.chains = make([]string, slices.Max(o.conc))
		t.spare = make(chan string, n)
		for k, p := range pairs {
			if k < len(t.chains) {
				t.chains[k] = p.Refresh
			} else {
				t.spare <- p.Refresh
			}
		}
	}
	if err := h.restamp(ctx, d, t.active, []string{"browser", "app"}); err != nil {
		return err
	}
	latch, err := h.startLatch(ctx, env, addr)
	if err != nil {
		return err
	}
	procs[procLatch] = latch
	if err := prime(ctx, t, []string{"browser", "app"}); err != nil {
		return err
	}
	h.recordIdleRSS(engine, o.users, latch)
	if h.needs(procBaseline) {
		p, a, err := h.startHelper(ctx, "baseline")
		if err != nil {
			return err
		}
		procs[procBaseline], t.baseline = p, a
	}
	if h.needs(procResource) {
		p, a, err := h.startHelper(ctx, "resource", "-auth-url", "http://"+addr)
		if err != nil {
			return err
		}
		procs[procResource], t.resource = p, a
	}
	h.rep.addDatabase(ctx, d)
	base, _ := scenarioByName("baseline")
	hash, _ := scenarioByName("hash")
	for _, lg := range o.loadgens {
		for _, sc := range o.scenarios {
			for _, c := range o.conc {
				var pair *result
				if o.paired && pairedScenarios[sc.Name] && h.needs(procBaseline) {
					if pair, err = h.measureQuietly(ctx, t, base, c, procs, lg); err != nil {
						return err
					}
					fmt.Fprintf(h.out, "  %-8s %-15s c=%-3d %9.1f req/s  (paired with %s)\n", engine, "baseline", c, pair.RPS, sc.Name)
				}
				res, err := h.measureQuietly(ctx, t, sc, c, procs, lg)
				if err != nil {
					return err
				}
				res.DB, res.Users = engine, o.users
				if pair != nil && pair.RPS > 0 {
					res.BaselineRPS, res.VsBaseline, res.BaselineP99Ms = pair.RPS, round3(res.RPS/pair.RPS), pair.P99Ms
				}
				if o.paired && sc.Name == "login" && h.selected("hash") {
					hp, err := h.measureQuietly(ctx, t, hash, c, procs, lg)
					if err != nil {
						return err
					}
					fmt.Fprintf(h.out, "  %-8s %-15s c=%-3d %9.1f req/s  (paired with login)\n", engine, "hash", c, hp.RPS)
					if hp.RPS > 0 {
						res.HashRPS, res.VsHash = hp.RPS, round3(res.RPS/hp.RPS)
					}
				}
				h.rep.add(h.out, res)
			}
			if err := h.perf(ctx, t, sc, procs, engine+"-"+sc.Name, lg); err != nil {
				fmt.Fprintln(h.out, "  perf:", err)
			}
		}
	}
	return nil
}

// refreshTokensNeeded is how many logins the refresh and jwt-verify
// scenarios need. The Go generator's workers each chain one token from cell
// to cell (plus spares for broken chains); a wrk run loses the tokens in
// flight when it stops, up to one per connection, so wrk needs that many
// for each of its runs (warm-up and measured, every attempt).
func (h *harness) refreshTokensNeeded() int {
	n := slices.Max(h.o.conc) + 16
	if h.wrk != nil && h.selected("refresh") {
		runs := 1 + h.o.retries
		if h.o.warmup > 0 {
			runs *= 2
		}
		sum := 0
		for _, c := range h.o.conc {
			sum += c
		}
		if h.o.perfDir != "" {
			sum += 16 // the profiled cell
		}
		n = max(n, sum*runs+16)
	}
	return n
}

// runScale measures session-cookie and login at -users users, then seeds up
// to -scale-users users (each with a browser session) and measures again,
// with a fresh Latch process each time.
func (h *harness) runScale(ctx context.Context, engine string) (err error) {
	o := h.o
	fmt.Fprintf(h.out, "== %s scale: %d then %d users, concurrency %v, %s warm-up + %s each\n", engine, o.users, o.scaleUsers, o.conc, o.warmup, o.duration)
	d, addr, env, err := h.prepare(ctx, engine, "scale")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.cleanup()) }()
	h.rep.addDatabase(ctx, d)
	kinds := []string{"browser"}
	for _, phase := range []struct{ from, to int }{{0, o.users}, {o.users, o.scaleUsers}} {
		start := time.Now()
		if err := h.seed(ctx, d, seedSpec{From: phase.from, To: phase.to, Kinds: kinds}); err != nil {
			return err
		}
		h.rep.Seeding = append(h.rep.Seeding, seedTiming{DB: engine, Users: phase.to - phase.from, Sessions: (phase.to - phase.from) * len(kinds),
			Seconds: time.Since(start).Seconds()})
		fmt.Fprintf(h.out, "seeded users %d..%d in %s\n", phase.from, phase.to, time.Since(start).Round(time.Millisecond))
		t := &target{host: addr, salt: h.salt, users: phase.to, runID: h.runID, active: activeSet(phase.to, o.activeLimit)}
		if err := h.restamp(ctx, d, t.active, kinds); err != nil {
			return err
		}
		latch, err := h.startLatch(ctx, env, addr)
		if err != nil {
			return err
		}
		procs := map[string]*proc{procLatch: latch}
		err = prime(ctx, t, kinds)
		h.recordIdleRSS(engine, phase.to, latch)
		for _, sc := range o.scenarios {
			for _, c := range o.conc {
				for _, lg := range o.loadgens {
					if err != nil {
						break
					}
					var res *result
					if res, err = h.measureQuietly(ctx, t, sc, c, procs, lg); err == nil {
						res.DB, res.Users = engine, phase.to
						h.rep.add(h.out, res)
					}
				}
			}
			if err == nil {
				if perr := h.perf(ctx, t, sc, procs, fmt.Sprintf("%s-%dusers-%s", engine, phase.to, sc.Name), o.loadgens[len(o.loadgens)-1]); perr != nil {
					fmt.Fprintln(h.out, "  perf:", perr)
				}
			}
		}
		if serr := latch.stop(); err != nil || serr != nil {
			return errors.Join(err, serr)
		}
	}
	return nil
}

// recordIdleRSS notes Latch's resident set before any cell runs.
func (h *harness) recordIdleRSS(engine string, users int, p *proc) {
	if kb, err := procStatusKB(p.pid(), "VmRSS"); err == nil {
		h.rep.IdleRSS = append(h.rep.IdleRSS, idleRSS{DB: engine, Users: users, MB: float64(kb*10/1024) / 10})
	}
}

// restamp spreads the active sessions' last-seen times (see restamp).
func (h *harness) restamp(ctx context.Context, d *database, users []int, kinds []string) error {
	if err := d.openSeedConn(); err != nil {
		return err
	}
	defer d.closeSeedConn()
	return restamp(ctx, d, h.salt, users, kinds)
}

// seed bulk-loads users while Latch is not running.
func (h *harness) seed(ctx context.Context, d *database, spec seedSpec) error {
	hash, err := h.passwordHash()
	if err != nil {
		return err
	}
	spec.Hash, spec.Salt = hash, h.salt
	if err := d.openSeedConn(); err != nil {
		return fmt.Errorf("open %s for seeding: %w", d.engine, err)
	}
	defer d.closeSeedConn()
	return seed(ctx, d, spec, h.out)
}

// measureQuietly measures a cell, and again (up to -retries times) while
// other processes took more than -noisy-cores of CPU during it; it keeps
// the attempt they disturbed least.
func (h *harness) measureQuietly(ctx context.Context, t *target, sc scenario, c int, procs map[string]*proc, loadgen string) (*result, error) {
	var best *result
	attempts := 0
	for attempt := 0; attempt <= h.o.retries; attempt++ {
		res, err := h.measure(ctx, t, sc, c, procs, loadgen)
		if err != nil {
			return nil, err
		}
		attempts++
		if best == nil || res.CPU.Other < best.CPU.Other {
			best = res
		}
		if res.CPU.Other <= h.o.noisyCores {
			break
		}
		if attempt < h.o.retries {
			fmt.Fprintf(h.out, "  %-8s %-15s c=%-3d noisy: other processes used %.2f cores (%.1f req/s); measuring again\n",
				"", sc.Name, c, res.CPU.Other, res.RPS)
		}
	}
	best.Attempts = attempts
	return best, nil
}

// measure runs one cell: scenario sc at concurrency c, under wrk when
// loadgen is wrk and the scenario is HTTP, else in-process.
func (h *harness) measure(ctx context.Context, t *target, sc scenario, c int, procs map[string]*proc, loadgen string) (*result, error) {
	useWrk := loadgen == loadGenWrk && sc.wrk != nil
	var wf workerFactory
	if !useWrk {
		var err error
		if wf, err = sc.prepare(t); err != nil {
			return nil, err
		}
	}
	pid := os.Getpid()
	if sc.Proc != procHarness {
		p := procs[sc.Proc]
		if p == nil || !p.alive() {
			return nil, fmt.Errorf("%s: the %s server is not running", sc.Name, sc.Proc)
		}
		pid = p.pid()
	}
	runtime.GC()
	if sc.Proc == procHarness {
		debug.FreeOSMemory()
	}
	var idle float64
	if h.o.quietWait > 0 {
		idle = waitQuiet(ctx, h.o.quietWait, h.o.quietCores)
	}
	w := watchRSS(pid)
	var before, after cpuSnap
	window := func(open bool) {
		if open {
			before = takeCPU(pid)
		} else {
			after = takeCPU(pid)
		}
	}
	var m *measurement
	var err error
	if useWrk {
		m, err = h.wrk.measure(ctx, c, h.o.warmup, h.o.duration, func() (*wrkPlan, error) { return sc.wrk(t, c) }, t.returnRefreshTokens, window)
		if err == nil {
			// wrk's CPU is the load generator's, like the harness's own in go mode.
			after.harness += uint64(math.Round(m.GenCPU.Seconds() * clockTicks))
		}
	} else {
		m, err = runClosedLoop(ctx, c, h.o.warmup, h.o.duration, wf, window)
	}
	rss := w.done()
	if err != nil {
		return nil, err
	}
	if p := procs[sc.Proc]; p != nil && !p.alive() {
		return nil, fmt.Errorf("%s: the %s server died during the cell (%v)", sc.Name, sc.Proc, p.err)
	}
	res := newResult(sc, m, rss)
	res.LoadGen = loadgen // hash too, which runs in-process either way: it pairs with the login cells of its generator
	res.CPU = usage(before, after)
	res.RSSStartMB = math.Round(float64(w.startKB)/1024*10) / 10
	cores := res.CPU.Server
	if sc.Proc == procHarness {
		cores = res.CPU.Harness
	}
	if res.RPS > 0 {
		res.CPUPerReqUs = math.Round(cores / res.RPS * 1e6)
	}
	res.BusyBefore = math.Round(idle*100) / 100
	return res, nil
}

// perf runs one extra, unreported cell of a Latch scenario at 16 workers
// under loadgen with `perf record -g` attached to Latch, when -perf-dir is
// set.
func (h *harness) perf(ctx context.Context, t *target, sc scenario, procs map[string]*proc, name, loadgen string) error {
	if h.o.perfDir == "" || sc.Proc != procLatch {
		return nil
	}
	if err := os.MkdirAll(h.o.perfDir, 0o755); err != nil {
		return err
	}
	if len(h.o.loadgens) > 1 {
		name += "-" + loadgen
	}
	load := func() error {
		_, err := h.wrk.measure(ctx, 16, h.o.warmup, h.o.duration, func() (*wrkPlan, error) { return sc.wrk(t, 16) }, t.returnRefreshTokens, nil)
		return err
	}
	if loadgen != loadGenWrk || sc.wrk == nil {
		wf, err := sc.prepare(t)
		if err != nil {
			return err
		}
		load = func() error {
			_, err := runClosedLoop(ctx, 16, h.o.warmup, h.o.duration, wf, nil)
			return err
		}
	}
	file := filepath.Join(h.o.perfDir, name+".perf.data")
	secs := strconv.FormatFloat((h.o.warmup + h.o.duration).Seconds(), 'f', 1, 64)
	cmd := exec.CommandContext(ctx, "perf", "record", "-F", "999", "-g", "-p", strconv.Itoa(procs[procLatch].pid()), "-o", file, "--", "sleep", secs)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	lerr := load()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("perf record: %w: %s", err, out)
	}
	if lerr != nil {
		return lerr
	}
	fmt.Fprintf(h.out, "  perf profile of %s at 16 workers: %s (perf report -i %s)\n", sc.Name, file, file)
	return nil
}
