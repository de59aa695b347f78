package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The soak mode (-soak D): a bounded mixed load at half of the mix's
// measured capacity for D, sampling every -soak-every what would show a
// leak: the resident set, goroutines (from /metrics, when Latch serves it),
// open file descriptors and database connections of the Latch process.

// soakMix is the mix of operations, by weight: mostly session checks, as in
// production, with refreshes and a few logins and signups (argon2id, rows,
// outbox mail) among them.
var soakMix = []struct {
	name   string
	weight int
}{
	{"session-cookie", 40}, {"session-token", 30}, {"forward-auth", 10}, {"refresh", 10}, {"login", 1}, {"signup", 1},
}

// soakSample is one sample of a soak run.
type soakSample struct {
	At         float64 `json:"at_s"`        // seconds since the paced load started
	RPS        float64 `json:"rps"`         // operations that succeeded per second in the interval
	Errors     uint64  `json:"errors"`      // operations that failed in the interval
	Shed       uint64  `json:"shed"`        // operations not started: every worker was busy
	P99ms      float64 `json:"p99_ms"`      // 99th percentile latency in the interval
	RSSMiB     float64 `json:"rss_mib"`     // resident set of the Latch process
	Goroutines int     `json:"goroutines"`  // go_goroutines from /metrics; -1 when not served
	FDs        int     `json:"fds"`         // open file descriptors
	DBConns    int     `json:"db_conns"`    // PostgreSQL: TCP connections to port 5432; SQLite: open database files
	FirstError string  `json:"first_error"` // of the interval, if any
}

// soakResult is a soak run on one database.
type soakResult struct {
	DB          string       `json:"db"`
	Duration    string       `json:"duration"`
	CapacityRPS float64      `json:"capacity_rps"` // the mix, closed loop at 16 workers, 5 s
	TargetRPS   float64      `json:"target_rps"`   // half of it
	Samples     []soakSample `json:"samples"`
}

// mixFactory returns the factory of a worker running the mix in turn.
func mixFactory(t *target) (workerFactory, error) {
	var facts []workerFactory
	var weights []int
	for _, m := range soakMix {
		sc, ok := scenarioByName(m.name)
		if !ok {
			return nil, fmt.Errorf("soak: no scenario %q", m.name)
		}
		f, err := sc.prepare(t)
		if err != nil {
			return nil, err
		}
		facts, weights = append(facts, f), append(weights, m.weight)
	}
	return func(i int) (op, func(), error) {
		var seq []op
		var releases []func()
		release := func() {
			for _, r := range releases {
				r()
			}
		}
		for k, f := range facts {
			o, r, err := f(i)
			if err != nil {
				release()
				return nil, nil, err
			}
			if r != nil {
				releases = append(releases, r)
			}
			for range weights[k] {
				seq = append(seq, o)
			}
		}
		n := i % len(seq)
		return func() error {
			o := seq[n]
			n = (n + 1) % len(seq)
			return o()
		}, release, nil
	}, nil
}

// soakWorkers is how many connections the paced load uses at most.
const soakWorkers = 32

// runSoak runs the soak mode on one database.
func (h *harness) runSoak(ctx context.Context, engine string) (err error) {
	o := h.o
	fmt.Fprintf(h.out, "== %s soak: %d users, the mix (by weight) %v at half capacity for %s, a sample every %s\n", engine, o.users, soakMix, o.soak, o.soakEvery)
	d, addr, env, err := h.prepare(ctx, engine, "soak")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, d.cleanup()) }()
	t := &target{host: addr, salt: h.salt, users: o.users, runID: h.runID, active: activeSet(o.users, o.activeLimit)}
	if err := h.seed(ctx, d, seedSpec{From: 0, To: o.users, Kinds: []string{"browser", "app"}}); err != nil {
		return err
	}
	latch, err := h.startLatch(ctx, env, addr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, latch.stop()) }()
	// Refresh chains: one per worker, and spares for chains that break.
	pairs, err := loginTokens(ctx, t, soakWorkers+64)
	if err != nil {
		return fmt.Errorf("logins for tokens: %w", err)
	}
	t.tokens, t.chains, t.spare = pairs, make([]string, soakWorkers), make(chan string, len(pairs))
	for k, p := range pairs {
		if k < soakWorkers {
			t.chains[k] = p.Refresh
		} else {
			t.spare <- p.Refresh
		}
	}
	if err := h.restamp(ctx, d, t.active, []string{"browser", "app"}); err != nil {
		return err
	}
	if err := prime(ctx, t, []string{"browser", "app"}); err != nil {
		return err
	}
	mk, err := mixFactory(t)
	if err != nil {
		return err
	}
	capm, err := runClosedLoop(ctx, 16, time.Second, 5*time.Second, mk, nil)
	if err != nil {
		return err
	}
	res := &soakResult{DB: engine, Duration: o.soak.String(), CapacityRPS: round3(capm.rate()), TargetRPS: round3(capm.rate() / 2)}
	fmt.Fprintf(h.out, "  capacity of the mix: %.0f op/s (16 workers); pacing at %.0f op/s\n", res.CapacityRPS, res.TargetRPS)
	fmt.Fprintf(h.out, "  %7s %9s %7s %6s %8s %8s %10s %5s %8s\n", "t", "op/s", "errors", "shed", "p99 ms", "RSS MiB", "goroutines", "fds", "db conns")
	res.Samples, err = paced(ctx, mk, res.TargetRPS, o.soak, o.soakEvery, func(s *soakSample) {
		s.RSSMiB = rssMiB(latch.pid())
		s.Goroutines = goroutines(addr)
		s.FDs, s.DBConns = fds(latch.pid(), engine)
		fmt.Fprintf(h.out, "  %6.0fs %9.1f %7d %6d %8.2f %8.1f %10d %5d %8d\n", s.At, s.RPS, s.Errors, s.Shed, s.P99ms, s.RSSMiB, s.Goroutines, s.FDs, s.DBConns)
		if s.FirstError != "" {
			fmt.Fprintf(h.out, "          first error: %s\n", s.FirstError)
		}
	})
	if err != nil {
		return err
	}
	h.soaks = append(h.soaks, res)
	return nil
}

// paced runs the operations of mk at rate per second for dur on at most
// soakWorkers workers (an open loop: an operation due while every worker is
// busy is shed, not queued) and calls sample at the end of each interval
// with the interval's figures filled in.
func paced(ctx context.Context, mk workerFactory, rate float64, dur, every time.Duration, sample func(*soakSample)) ([]soakSample, error) {
	if rate <= 0 {
		return nil, errors.New("soak: the mix's capacity is 0")
	}
	work := make(chan struct{})
	var (
		mu     sync.Mutex
		hist   = &histogram{}
		errs   atomic.Uint64
		shed   atomic.Uint64
		firstE atomic.Pointer[string]
		wg     sync.WaitGroup
	)
	for i := range soakWorkers {
		o, release, err := mk(i)
		if err != nil {
			close(work)
			wg.Wait()
			return nil, err
		}
		wg.Go(func() {
			if release != nil {
				defer release()
			}
			for range work {
				t0 := time.Now()
				if err := o(); err != nil {
					errs.Add(1)
					msg := err.Error()
					firstE.CompareAndSwap(nil, &msg)
					continue
				}
				d := time.Since(t0)
				mu.Lock()
				hist.record(d)
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	end := start.Add(dur)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	next, last := start.Add(every), start
	var samples []soakSample
	sent := 0.0
	for now := start; ctx.Err() == nil; now = <-tick.C {
		if now.Before(end) {
			for due := now.Sub(start).Seconds() * rate; sent < due; sent++ {
				select {
				case work <- struct{}{}:
				default:
					shed.Add(1)
				}
			}
		}
		if now.Before(next) && now.Before(end) {
			continue
		}
		mu.Lock()
		h := hist
		hist = &histogram{}
		mu.Unlock()
		s := soakSample{At: now.Sub(start).Seconds(), RPS: float64(h.n) / now.Sub(last).Seconds(), Errors: errs.Swap(0), Shed: shed.Swap(0),
			P99ms: float64(h.quantile(0.99).Microseconds()) / 1000}
		if p := firstE.Swap(nil); p != nil {
			s.FirstError = *p
		}
		sample(&s)
		samples = append(samples, s)
		next, last = next.Add(every), now
		if !now.Before(end) {
			break
		}
	}
	close(work)
	wg.Wait()
	return samples, ctx.Err()
}

// rssMiB is a process's resident set in MiB (0 when unknown).
func rssMiB(pid int) float64 {
	kb, _ := procStatusKB(pid, "VmRSS")
	return float64(kb) / 1024
}

// goroutines reads go_goroutines from Latch's /metrics, or -1.
func goroutines(addr string) int {
	c := &http.Client{Timeout: 2 * time.Second}
	res, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body)
		return -1
	}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return int(n)
			}
		}
	}
	return -1
}

// fds counts a process's open file descriptors and, among them, its
// database connections: on PostgreSQL its TCP sockets to port 5432, on
// SQLite its open database files (one per connection).
func fds(pid int, engine string) (total, db int) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return -1, -1
	}
	var pg map[string]bool
	if engine == "postgres" {
		pg = postgresSockets(pid)
	}
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		total++
		switch {
		case engine == "sqlite" && strings.HasSuffix(link, ".db"):
			db++
		case pg != nil && strings.HasPrefix(link, "socket:["):
			if pg[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
				db++
			}
		}
	}
	return total, db
}

// postgresSockets returns the inodes of the TCP sockets, in pid's network
// namespace, whose remote port is 5432.
func postgresSockets(pid int) map[string]bool {
	out := map[string]bool{}
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/" + f)
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			if i == 0 || len(fields) < 10 {
				continue
			}
			if strings.HasSuffix(fields[2], ":1538") { // 5432 in hex
				out[fields[9]] = true
			}
		}
	}
	return out
}

// writeSoak writes the soak results as JSON.
func writeSoak(path string, r []*soakResult) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
