package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The wrk load generator (-loadgen wrk). The Go generator of load.go shares
// the two cores with the server it measures and reaches about half the rate
// wrk (a C event loop) drives a trivial handler to, so ratios to the
// baseline measured with it flatter Latch. In wrk mode every HTTP scenario
// is a wrk run with a Lua script the harness writes: the same requests the
// Go generator sends, as raw request strings returned by request(), and a
// done() that writes wrk's counts and latencies as one JSON object, which
// becomes the cell's measurement (so every report works unchanged).

// Load generators.
const (
	loadGenGo  = "go"
	loadGenWrk = "wrk"
)

// wrkTimeout is wrk's per-request timeout: a login at 64 connections takes
// about a second.
const wrkTimeout = "10s"

// wrkPlan is how wrk drives one scenario.
type wrkPlan struct {
	addr string // host:port of the server
	// lua defines init, request and (for refresh and plans that carry
	// their warm-up) response; the common prelude and done() are added by
	// wrkScript. Each thread has a global tid (0, 1, …) before its init
	// runs; done() reports what is left in a thread's global pool (refresh
	// tokens) and its globals lost, ok and bad.
	lua string
	// carry runs the warm-up and the measured window in one wrk process,
	// the script counting the answers that arrive within the window
	// (globals WINDOW_FROM and WINDOW_LEN, seconds after the thread's
	// init). Argon2id requests take up to seconds at 64 connections: a
	// fresh wrk run would start with none in flight and drop up to one per
	// connection as it stops, undercounting by about half the latency over
	// the duration (a sixth at 5 s), while the Go generator and the hash
	// scenario count completions in a window their warm-up has filled.
	carry bool
}

// wrkThreads is the number of wrk threads for c connections: min(c, 2),
// but 1 when c is odd, since wrk gives each thread c/threads connections
// and would otherwise open fewer than c.
func wrkThreads(c int) int {
	if c >= 2 && c%2 == 0 {
		return 2
	}
	return 1
}

// luaString returns b as a Lua string literal that any Lua (LuaJIT
// included) reads back byte for byte: printable ASCII as itself, every
// other byte, the quote and the backslash as a three-digit decimal escape
// (always three digits, so a digit that follows cannot extend it).
func luaString(b []byte) string {
	var s strings.Builder
	s.Grow(len(b) + 16)
	s.WriteByte('"')
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			fmt.Fprintf(&s, "\\%03d", c)
		} else {
			s.WriteByte(c)
		}
	}
	s.WriteByte('"')
	return s.String()
}

// luaList returns a Lua table constructor of the strings items, one a line.
func luaList(items [][]byte) string {
	var s strings.Builder
	s.WriteString("{\n")
	for _, it := range items {
		s.WriteString(luaString(it))
		s.WriteString(",\n")
	}
	s.WriteString("}")
	return s.String()
}

// wrkCycle is the plan of a GET scenario: each thread sends reqs in turn,
// starting at its own offset, like the Go generator's workers (cycle). No
// response() callback: it would make wrk copy every body into Lua; wrk
// counts a status of 400 or more as an error by itself.
func wrkCycle(addr string, reqs [][]byte) *wrkPlan {
	return &wrkPlan{addr: addr, lua: "local reqs = " + luaList(reqs) + `
local n = #reqs
local k = 0
function init(args)
  k = (tid * 7919) % n
end
function request()
  k = k + 1
  if k > n then k = 1 end
  return reqs[k]
end
`}
}

// wrkPost is the plan of a POST scenario whose body the Lua expression
// body builds per request (it may use tid, seq — the thread's count of
// requests — and random numbers seeded per thread from seed). It carries
// its warm-up into the window (see wrkPlan.carry): its response() runs for
// the few answers per second an argon2id scenario gets, and counts those
// within the window by LuaJIT's FFI clock_gettime (CLOCK_MONOTONIC).
func wrkPost(addr, path, body string, seed uint64) *wrkPlan {
	return &wrkPlan{addr: addr, carry: true, lua: "local head = " + luaString(postHead(addr, path)) + `
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } latch_timespec;
int clock_gettime(int clk, latch_timespec *tp);
]]
local ts = ffi.new("latch_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end
local seq, from, to = 0, 0, 0
ok, bad = 0, 0
function init(args)
  math.randomseed(` + strconv.FormatUint(seed%1_000_000_007, 10) + ` + tid)
  from = now() + WINDOW_FROM
  to = from + WINDOW_LEN
end
function request()
  seq = seq + 1
  local body = ` + body + `
  return head .. #body .. "\r\n\r\n" .. body
end
function response(status, headers, body)
  local t = now()
  if t >= from and t < to then
    if status < 400 then ok = ok + 1 else bad = bad + 1 end
  end
end
`}
}

// wrkLoginBody is a Lua expression: a login of a random one of users
// seeded users (userEmail), as the Go generator sends.
func wrkLoginBody(users int) string {
	return luaString([]byte(`{"email":"`)) + ` .. string.format("user%07d@bench.example", math.random(0, ` + strconv.Itoa(users-1) + `)) .. ` +
		luaString([]byte(`","password":"`+benchPassword+`"}`))
}

// wrkSignupBody is a Lua expression: a signup of an address no other
// request of the run uses (tag names the wrk run, tid the thread).
func wrkSignupBody(tag string) string {
	return luaString([]byte(`{"email":"signup-`+tag+`-`)) + ` .. tid .. "-" .. seq .. ` +
		luaString([]byte(`@bench.example","password":"`+benchPassword+`"}`))
}

// wrkBadRefresh is the refresh token a thread sends when its pool is empty:
// Latch refuses it, so a broken chain shows as errors instead of a hang.
const wrkBadRefresh = "bench-no-refresh-token-left"

// wrkRefresh is the refresh scenario's plan: each thread keeps a stack of
// refresh tokens (pool, one slice per thread); request() pops one,
// response() pushes the one a 200 answer carries. A token whose answer
// failed is lost; an answer below 400 without a token counts in the
// thread's lost (wrk counts 400 and above itself).
func wrkRefresh(addr string, pool [][]string) *wrkPlan {
	head := postHead(addr, "/_allauth/app/v1/tokens/refresh")
	var lists []string
	for _, p := range pool {
		items := make([][]byte, len(p))
		for i, tok := range p {
			items[i] = []byte(tok)
		}
		lists = append(lists, luaList(items))
	}
	return &wrkPlan{addr: addr, lua: "local head = " + luaString(head) + `
local seeds = {` + strings.Join(lists, ",\n") + `}
lost = 0
function init(args)
  pool = seeds[tid + 1] or {}
  seeds = nil
end
function request()
  local tok = table.remove(pool)
  if tok == nil then tok = "` + wrkBadRefresh + `" end
  local body = '{"refresh_token":"' .. tok .. '"}'
  return head .. #body .. "\r\n\r\n" .. body
end
function response(status, headers, body)
  if status == 200 then
    local tok = string.match(body, '"refresh_token":"([^"]+)"')
    if tok then
      pool[#pool + 1] = tok
      return
    end
  end
  if status < 400 then lost = lost + 1 end
end
`}
}

// wrkPrelude numbers the threads (global tid) and keeps them for done().
const wrkPrelude = `-- Generated by Latch's benchmark harness (bench/wrk.go).
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end
`

// wrkDone writes wrk's summary as JSON to the file out: requests (every
// completed response), the measured duration, bytes read, the error
// counts, latency in µs, the refresh tokens left in the threads' pools,
// and, for a plan that carries its warm-up, the answers within the window.
func wrkDone(out string) string {
	return `
local function jstr(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end
function done(summary, latency, requests)
  local lost, toks = 0, {}
  for _, t in ipairs(threads) do
    lost = lost + (t:get("lost") or 0)
    local p = t:get("pool")
    if p then
      for _, tok in ipairs(p) do toks[#toks + 1] = jstr(tok) end
    end
  end
  local win = ""
  if WINDOW_LEN then
    local ok, bad = 0, 0
    for _, t in ipairs(threads) do
      ok = ok + (t:get("ok") or 0)
      bad = bad + (t:get("bad") or 0)
    end
    win = string.format(',"window":{"ok":%.0f,"bad":%.0f}', ok, bad)
  end
  local e = summary.errors
  local f = assert(io.open(` + luaString([]byte(out)) + `, "w"))
  f:write(string.format('{"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"lost":%.0f},' ..
    '"latency_us":{"mean":%.1f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f},"tokens":[%s]%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, lost,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(toks, ","), win))
  f:close()
end
`
}

// wrkScript is the whole Lua script of a plan whose done() writes to out;
// for a plan that carries its warm-up, from and length place the window.
func wrkScript(p *wrkPlan, out string, from, length time.Duration) string {
	window := ""
	if p.carry {
		window = fmt.Sprintf("WINDOW_FROM = %.3f\nWINDOW_LEN = %.3f\n", from.Seconds(), length.Seconds())
	}
	return wrkPrelude + window + p.lua + wrkDone(out)
}

// wrkSummary is what done() writes.
type wrkSummary struct {
	Requests   *uint64 `json:"requests"`
	DurationUs *uint64 `json:"duration_us"`
	Bytes      uint64  `json:"bytes"`
	Errors     struct {
		Connect uint64 `json:"connect"`
		Read    uint64 `json:"read"`
		Write   uint64 `json:"write"`
		Status  uint64 `json:"status"`
		Timeout uint64 `json:"timeout"`
		Lost    uint64 `json:"lost"`
	} `json:"errors"`
	Latency *struct {
		Mean, P50, P90, P99, Max float64
	} `json:"latency_us"`
	Tokens []string `json:"tokens"`
	// Window counts the answers within the window of a plan that carries
	// its warm-up: below 400 and from 400 on.
	Window *struct {
		OK  uint64 `json:"ok"`
		Bad uint64 `json:"bad"`
	} `json:"window"`
}

// parseWrkSummary reads done()'s JSON; a missing field is an error, since it
// means the script and the harness disagree.
func parseWrkSummary(b []byte) (*wrkSummary, error) {
	var s wrkSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("wrk summary: %w", err)
	}
	if s.Requests == nil || s.DurationUs == nil || s.Latency == nil {
		return nil, fmt.Errorf("wrk summary: requests, duration_us or latency_us missing in %s", truncateBytes(b, 200))
	}
	return &s, nil
}

// measurement converts the summary: requests are the successful answers
// (wrk's requests include those with an error status), latencies are
// wrk's (over every answer). With a window (a plan that carried its
// warm-up), requests and status errors are those within it and the
// duration is window; wrk's latencies and socket errors then include the
// warm-up.
func (s *wrkSummary) measurement(conc int, window time.Duration) *measurement {
	us := func(v float64) time.Duration { return time.Duration(math.Round(v * 1e3)) }
	e := s.Errors
	ok, status, dur := *s.Requests-min(*s.Requests, e.Status+e.Lost), e.Status, time.Duration(*s.DurationUs)*time.Microsecond
	if s.Window != nil {
		ok, status, dur = s.Window.OK, s.Window.Bad, window
	}
	m := &measurement{Concurrency: conc, Duration: dur, Requests: ok, Errors: e.Connect + e.Read + e.Write + e.Timeout + status + e.Lost,
		Lat: latencies{Mean: us(s.Latency.Mean), P50: us(s.Latency.P50), P90: us(s.Latency.P90), P99: us(s.Latency.P99), Max: us(s.Latency.Max)}}
	if m.Errors > 0 {
		m.FirstError = fmt.Sprintf("wrk: %d connect, %d read, %d write, %d timeout errors, %d answers with status ≥ 400, %d refresh answers without a token",
			e.Connect, e.Read, e.Write, e.Timeout, status, e.Lost)
	}
	return m
}

// wrkRunner runs wrk for the cells of one harness run.
type wrkRunner struct {
	bin string // wrk's path
	dir string // where scripts and summaries go
	n   int    // runs so far, naming their files
}

// run runs wrk once with c connections for secs seconds (wrk's unit) and
// returns its summary and the CPU time wrk used. started, when not nil, is
// called with wrk's pid once it has started. from and window place the
// window of a plan that carries its warm-up.
func (w *wrkRunner) run(ctx context.Context, p *wrkPlan, c, secs int, from, window time.Duration, started func(pid int)) (*wrkSummary, time.Duration, error) {
	w.n++
	base := filepath.Join(w.dir, fmt.Sprintf("wrk-%03d", w.n))
	out := base + ".json"
	if err := os.WriteFile(base+".lua", []byte(wrkScript(p, out, from, window)), 0o644); err != nil {
		return nil, 0, err
	}
	cmd := exec.CommandContext(ctx, w.bin, "-c", strconv.Itoa(c), "-t", strconv.Itoa(wrkThreads(c)), "-d", strconv.Itoa(secs)+"s",
		"--timeout", wrkTimeout, "-s", base+".lua", "http://"+p.addr+"/")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start wrk: %w", err)
	}
	if started != nil {
		started(cmd.Process.Pid)
	}
	err := cmd.Wait()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return nil, cpu, fmt.Errorf("wrk: %w\n%s", err, truncateBytes(log.Bytes(), 2000))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, cpu, fmt.Errorf("wrk wrote no summary (%w):\n%s", err, truncateBytes(log.Bytes(), 2000))
	}
	s, err := parseWrkSummary(b)
	if err != nil {
		return nil, cpu, fmt.Errorf("%w\n%s", err, truncateBytes(log.Bytes(), 2000))
	}
	return s, cpu, nil
}

// wrkWindowMargin is how long before wrk stops a carried window closes, so
// that it ends while every thread still runs.
const wrkWindowMargin = 250 * time.Millisecond

// wholeSeconds rounds d up to whole seconds, at least one.
func wholeSeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// measure runs a cell under wrk: a warm-up run (when warmup > 0), then the
// measured run, with window called as the measured run starts (true) and
// once it has ended (false) — or, for a plan that carries its warm-up, one
// run whose window opens after at least warmup. The measurement's GenCPU is
// wrk's CPU time during the window. refill, when not nil, gets the refresh
// tokens left after each run (the plan is rebuilt from newPlan for each).
func (w *wrkRunner) measure(ctx context.Context, c int, warmup, dur time.Duration, newPlan func() (*wrkPlan, error), refill func([]string), window func(open bool)) (*measurement, error) {
	if window == nil {
		window = func(bool) {}
	}
	if refill == nil {
		refill = func([]string) {}
	}
	p, err := newPlan()
	if err != nil {
		return nil, err
	}
	if p.carry {
		return w.measureCarried(ctx, p, c, warmup, dur, window)
	}
	if warmup > 0 {
		s, _, err := w.run(ctx, p, c, wholeSeconds(warmup), 0, 0, nil)
		if err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
		refill(s.Tokens)
		if p, err = newPlan(); err != nil {
			return nil, err
		}
	}
	var opened bool
	s, cpu, err := w.run(ctx, p, c, wholeSeconds(dur), 0, 0, func(int) {
		opened = true
		window(true)
	})
	if opened {
		window(false)
	}
	if err != nil {
		return nil, err
	}
	refill(s.Tokens)
	m := s.measurement(c, dur)
	m.GenCPU = cpu
	return m, nil
}

// measureCarried runs a plan that carries its warm-up: one wrk run of whole
// seconds whose last dur (but wrkWindowMargin) is the window, which the
// script counts answers in and window brackets here; wrk's CPU over the
// window is read from /proc as it opens and closes.
func (w *wrkRunner) measureCarried(ctx context.Context, p *wrkPlan, c int, warmup, dur time.Duration, window func(open bool)) (*measurement, error) {
	secs := wholeSeconds(warmup + dur + wrkWindowMargin)
	from := time.Duration(secs)*time.Second - wrkWindowMargin - dur
	exited := make(chan struct{})
	watched := make(chan struct{})
	var began, opened, closed bool
	var cpuOpen, cpuClose uint64
	s, _, err := w.run(ctx, p, c, secs, from, dur, func(pid int) {
		began = true
		start := time.Now()
		go func() {
			defer close(watched)
			select {
			case <-time.After(time.Until(start.Add(from))):
			case <-exited:
				return
			}
			window(true)
			opened, cpuOpen = true, procCPU(pid)
			select {
			case <-time.After(time.Until(start.Add(from + dur))):
				cpuClose = procCPU(pid)
				window(false)
				closed = true
			case <-exited:
			}
		}()
	})
	close(exited)
	if began {
		<-watched
	}
	if opened && !closed {
		window(false)
	}
	if err != nil {
		return nil, err
	}
	if !closed || s.Window == nil {
		return nil, errors.New("wrk ended before its measured window did")
	}
	m := s.measurement(c, dur)
	m.GenCPU = time.Duration(cpuClose-min(cpuClose, cpuOpen)) * time.Second / clockTicks
	return m, nil
}

// findWrk returns wrk's path and the first line of its version, or an
// error when it is not on PATH.
func findWrk() (path, version string, err error) {
	path, err = exec.LookPath("wrk")
	if err != nil {
		return "", "", err
	}
	out, _ := exec.Command(path, "-v").CombinedOutput() // exits 1 after printing its version and usage
	version, _, _ = strings.Cut(string(out), "\n")
	version, _, _ = strings.Cut(version, " Copyright")
	if !strings.HasPrefix(version, "wrk ") {
		return "", "", errors.New(path + " -v: not wrk's answer")
	}
	return path, strings.TrimSpace(version), nil
}
