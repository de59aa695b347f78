package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// moduleRoot returns the directory of Latch's go.mod, asking the go command
// (so the harness works from the repository root or from bench/).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside Latch's module: run the harness from the repository (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

// buildBinaries builds main packages of the module (e.g. "./cmd/latch"):
// one into the file out, or several into the directory out (ending in a
// separator), each under its last path element.
func buildBinaries(ctx context.Context, root, out string, pkgs ...string) error {
	args := append([]string{"build", "-buildvcs=false", "-o", out}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	return nil
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// proc is a server process started by the harness.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// startProc starts bin with args and env (added to a copy of the harness's
// environment without LATCH_* variables, so that the caller's own settings
// cannot leak in). Its standard output is discarded; its standard error goes
// to logFile when set, else it is discarded too.
func startProc(name, bin string, args, env []string, logFile string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCH_") && !strings.HasPrefix(kv, "NOTES_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	// Standard output carries Latch's console mail: discarded (nil is
	// /dev/null). Standard error carries the request log: one line per
	// request, so by default it goes to /dev/null as well rather than
	// through a pipe the harness would have to drain on the shared cores.
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid returns the process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitReady polls url until it answers 200, the process exits, or timeout.
func (p *proc) waitReady(ctx context.Context, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for i := 0; i < 10_000 && time.Now().Before(deadline); i++ {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v); rerun with -server-log FILE to see why", p.name, p.err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		res, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				client.CloseIdleConnections()
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 at %s within %s", p.name, url, timeout)
}

// stop asks the process to stop (SIGTERM: Latch shuts down gracefully),
// and kills it after 15 seconds.
func (p *proc) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within 15s of SIGTERM; killed", p.name)
	}
}

// alive reports whether the process is still running.
func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// runCommand runs bin to completion with the same environment rules as
// startProc, and returns its combined output.
func runCommand(ctx context.Context, bin string, args, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// procStatusKB reads a "Name:   123 kB" field of /proc/<pid>/status.
func procStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if rest, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			fields := strings.Fields(string(rest))
			if len(fields) == 0 {
				break
			}
			return strconv.ParseInt(fields[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", field, pid)
}

// rssWatch measures a process's peak resident set size over a cell. It
// resets the kernel's high-water mark (VmHWM) at the start, by writing 5 to
// /proc/<pid>/clear_refs, and also samples VmRSS every 50 ms, in case the
// reset is not allowed.
type rssWatch struct {
	pid     int
	reset   bool
	stop    chan struct{}
	stopped chan struct{}
	peakKB  int64
	startKB int64
}

// watchRSS starts watching pid.
func watchRSS(pid int) *rssWatch {
	w := &rssWatch{pid: pid, stop: make(chan struct{}), stopped: make(chan struct{})}
	w.reset = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
	w.startKB, _ = procStatusKB(pid, "VmRSS")
	go func() {
		defer close(w.stopped)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for i := 0; i < 1_000_000; i++ {
			if kb, err := procStatusKB(pid, "VmRSS"); err == nil {
				w.peakKB = max(w.peakKB, kb)
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

// done stops watching and returns the peak RSS in MiB (0 if unknown). The
// RSS at the start is in w.startKB.
func (w *rssWatch) done() float64 {
	close(w.stop)
	<-w.stopped
	peak := w.peakKB
	if w.reset {
		if hwm, err := procStatusKB(w.pid, "VmHWM"); err == nil {
			peak = max(peak, hwm)
		}
	}
	return float64(peak) / 1024
}

// cpuSnap is a snapshot of CPU time, in clock ticks (USER_HZ): the whole
// machine's busy and stolen time, and the time of the processes of
// interest.
type cpuSnap struct {
	at       time.Time
	busy     uint64 // all CPUs: user+nice+system+irq+softirq
	steal    uint64
	server   uint64 // the process under test
	harness  uint64 // this process: the load generator
	database uint64 // every process named "postgres"
}

// cpuUsage is the CPU used over a window, in cores (1.0 = one core busy).
type cpuUsage struct {
	Server, Harness, Database, Other, Steal float64
}

// clockTicks is USER_HZ, the unit of /proc's CPU times; it is 100 on every
// Linux platform Go supports.
const clockTicks = 100

// takeCPU reads /proc. server may be this process (the hash scenario).
func takeCPU(server int) cpuSnap {
	s := cpuSnap{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		var v [9]uint64
		for i := 1; i < len(f) && i < 9; i++ {
			v[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		s.busy = v[1] + v[2] + v[3] + v[6] + v[7]
		s.steal = v[8]
	}
	self := os.Getpid()
	s.harness = procCPU(self)
	if server != self {
		s.server = procCPU(server)
	}
	if entries, err := os.ReadDir("/proc"); err == nil {
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if b, err := os.ReadFile("/proc/" + e.Name() + "/comm"); err == nil && strings.TrimSpace(string(b)) == "postgres" {
				s.database += procCPU(pid)
			}
		}
	}
	return s
}

// procCPU returns a process's user+system time in clock ticks.
func procCPU(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ... : utime and stime are fields 14 and 15, the
	// 12th and 13th after the closing parenthesis of comm.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return u + s
}

// usage returns the CPU used between a and b. Other is what the machine
// spent beyond the server, the load generator and PostgreSQL: other
// tenants, the kernel's own threads.
func usage(a, b cpuSnap) cpuUsage {
	secs := b.at.Sub(a.at).Seconds()
	if secs <= 0 {
		return cpuUsage{}
	}
	cores := func(x, y uint64) float64 {
		if y < x {
			return 0
		}
		return math.Round(float64(y-x)/clockTicks/secs*100) / 100
	}
	u := cpuUsage{Server: cores(a.server, b.server), Harness: cores(a.harness, b.harness), Database: cores(a.database, b.database),
		Steal: cores(a.steal, b.steal)}
	u.Other = math.Max(0, math.Round((cores(a.busy, b.busy)-u.Server-u.Harness-u.Database)*100)/100)
	return u
}

// waitQuiet waits, at most maxWait, until the machine's CPU use over one
// second stays below threshold cores: the harness shares the machine with
// whatever else runs there, and a cell measured while something else is
// busy measures that too. It returns the last second's use.
func waitQuiet(ctx context.Context, maxWait time.Duration, threshold float64) float64 {
	deadline := time.Now().Add(maxWait)
	var busy float64
	for i := 0; i < 3600; i++ {
		a := takeCPU(os.Getpid())
		select {
		case <-ctx.Done():
			return busy
		case <-time.After(time.Second):
		}
		b := takeCPU(os.Getpid())
		u := usage(a, b)
		busy = u.Server + u.Harness + u.Database + u.Other
		if busy < threshold || !time.Now().Before(deadline) {
			return busy
		}
	}
	return busy
}
