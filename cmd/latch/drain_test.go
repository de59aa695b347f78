package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testdb"
)

// TestLatchProcess is not a test: it is the `latch` process that
// TestServeDrainsOnSIGTERM starts, this test binary run with
// LATCH_TEST_RUN_MAIN=1 (so that it is built with the test's flags, -race
// included).
func TestLatchProcess(t *testing.T) {
	if os.Getenv("LATCH_TEST_RUN_MAIN") != "1" {
		t.Skip("the latch process of TestServeDrainsOnSIGTERM")
	}
	os.Args = []string{"latch", "serve"}
	main()
	os.Exit(0)
}

// latchProcess is a `latch serve` process.
type latchProcess struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	// exited is closed once the process has exited, with err its status.
	exited chan struct{}
	err    error
}

// startProcess starts `latch serve` as a process of its own with the
// settings in env (NAME, VALUE, …) and waits until it listens.
func startProcess(t *testing.T, env ...string) *latchProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLatchProcess$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	get := testEnv("", env...)
	for _, name := range []string{"LATCH_ADDR", "LATCH_DATABASE_URL", "LATCH_SECRET_KEY", "LATCH_ARGON2_MEMORY_KIB", "LATCH_ARGON2_ITERATIONS", "LATCH_LOG_LEVEL", "LATCH_SHUTDOWN_DELAY"} {
		cmd.Env = append(cmd.Env, name+"="+get(name))
	}
	for i := 0; i+1 < len(env); i += 2 {
		cmd.Env = append(cmd.Env, env[i]+"="+env[i+1])
	}
	cmd.Env = append(cmd.Env, "LATCH_TEST_RUN_MAIN=1")
	p := &latchProcess{cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`listening on http://(\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("latch serve exited before listening: %s", p.stderr)
		}
		p.base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("latch serve did not listen within 30s: %s", p.stderr)
	}
	return p
}

// drainResult is one request of the stream sent while the server drains.
type drainResult struct {
	sent   time.Time
	status int
	closed bool // the answer said Connection: close
	err    error
}

// TestServeDrainsOnSIGTERM: a real `latch serve` process gets SIGTERM
// under a stream of requests, with one request in flight. /readyz answers
// 503 at once while every other request is still served, on new
// connections too, for LATCH_SHUTDOWN_DELAY; then new connections are
// refused (not reset), the request in flight finishes and is answered, and
// the process exits 0 with everything acknowledged stored (on SQLite, in
// the database file alone).
func TestServeDrainsOnSIGTERM(t *testing.T) {
	const delay = time.Second
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dbURL := e.URL(t)
			p := startProcess(t, "LATCH_DATABASE_URL", dbURL, "LATCH_SHUTDOWN_DELAY", delay.String(), "LATCH_SHUTDOWN_TIMEOUT", "20s",
				"LATCH_RATE_LIMITS", "off")
			api := p.base + "/_allauth/app/v1"
			client := &http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}
			signup := func(email string) (*http.Response, error) {
				res, err := client.Post(api+"/auth/signup", "application/json",
					strings.NewReader(`{"email":"`+email+`","password":"amber-Falcon-38"}`))
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				return res, err
			}
			if res, err := signup("first@example.com"); err != nil || res.StatusCode != 200 {
				t.Fatalf("signup before SIGTERM: %v %v", res, err)
			}
			acknowledged := []string{"first@example.com"}

			// The request in flight: its headers and half its body are sent
			// before SIGTERM, the rest only once the listener has closed.
			body, rest := io.Pipe()
			slow := make(chan drainResult, 1)
			wrote := make(chan struct{})
			go func() {
				req, _ := http.NewRequest("POST", api+"/auth/signup", body)
				req.Header.Set("Content-Type", "application/json")
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{WroteHeaders: func() { close(wrote) }}))
				res, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
				r := drainResult{sent: time.Now(), err: err}
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					r.status = res.StatusCode
				}
				slow <- r
			}()
			rest.Write([]byte(`{"email":"slow@example.com",`))
			<-wrote

			// The stream: two clients, each on its keep-alive connections,
			// signing up and reading the configuration until told to stop.
			stop := make(chan struct{})
			var mu sync.Mutex
			var results []drainResult
			var wg sync.WaitGroup
			for c := range 2 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						start := time.Now()
						var res *http.Response
						var err error
						email := fmt.Sprintf("s%d-%d@example.com", c, i)
						if i%2 == 0 {
							res, err = signup(email)
						} else if res, err = client.Get(api + "/config"); err == nil {
							io.Copy(io.Discard, res.Body)
							res.Body.Close()
						}
						r := drainResult{sent: start, err: err}
						if err == nil {
							r.status, r.closed = res.StatusCode, res.Close
						}
						mu.Lock()
						results = append(results, r)
						if i%2 == 0 && err == nil && res.StatusCode == 200 {
							acknowledged = append(acknowledged, email)
						}
						mu.Unlock()
					}
				})
			}
			time.Sleep(50 * time.Millisecond)

			sent := time.Now()
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// /readyz turns 503 at once, in the API's error format.
			var unready time.Time
			for unready.IsZero() {
				res, err := http.Get(p.base + "/readyz")
				if err != nil {
					t.Fatalf("/readyz after SIGTERM: %v", err)
				}
				var out struct {
					Status int
					Errors []struct{ Code string }
				}
				json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				switch {
				case res.StatusCode == 503 && out.Status == 503 && len(out.Errors) == 1 && out.Errors[0].Code == "shutting_down":
					unready = time.Now()
				case res.StatusCode != 200:
					t.Fatalf("/readyz after SIGTERM: %d %+v", res.StatusCode, out)
				case time.Since(sent) > delay/2:
					t.Fatalf("/readyz still 200 %s after SIGTERM", time.Since(sent))
				default:
					time.Sleep(5 * time.Millisecond)
				}
			}
			// Requests keep being served well into the delay; then the stream
			// stops, as a load balancer's would.
			time.Sleep(delay / 4)
			close(stop)
			wg.Wait()

			// The listener closes once the delay has passed: new connections
			// are then refused, not reset.
			var refused time.Time
			for refused.IsZero() {
				conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
				switch {
				case err == nil:
					conn.Close()
					time.Sleep(10 * time.Millisecond)
				case errors.Is(err, syscall.ECONNREFUSED):
					refused = time.Now()
				default:
					t.Fatalf("a new connection during the shutdown: %v", err)
				}
				if time.Since(sent) > 10*time.Second {
					t.Fatal("still accepting connections 10s after SIGTERM")
				}
			}
			if d := refused.Sub(sent); d < delay {
				t.Errorf("connections refused %s after SIGTERM, before LATCH_SHUTDOWN_DELAY=%s", d, delay)
			}
			select {
			case <-p.exited:
				t.Fatalf("the process exited (%v) with a request in flight: %s", p.err, p.stderr)
			default:
			}
			// The request in flight is answered.
			rest.Write([]byte(`"password":"amber-Falcon-38"}`))
			rest.Close()
			if r := <-slow; r.err != nil || r.status != 200 {
				t.Errorf("the request in flight at SIGTERM: %d %v", r.status, r.err)
			} else {
				acknowledged = append(acknowledged, "slow@example.com")
			}
			select {
			case <-p.exited:
				if p.err != nil {
					t.Fatalf("exit: %v: %s", p.err, p.stderr)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no exit 20s after the last request: %s", p.stderr)
			}

			var during, closed int
			for _, r := range results {
				if r.err != nil || r.status != 200 {
					t.Errorf("a request of the stream sent %s after SIGTERM: %d %v", r.sent.Sub(sent), r.status, r.err)
				}
				if r.sent.After(unready) {
					during++
					if r.closed {
						closed++
					}
				}
			}
			if during == 0 || closed != during {
				t.Errorf("%d requests sent after /readyz turned 503, %d of them with Connection: close; want some, all", during, closed)
			}
			t.Logf("%d requests, %d sent after /readyz turned 503 (%s after SIGTERM), refused %s after SIGTERM", len(results), during, unready.Sub(sent), refused.Sub(sent))

			// Everything acknowledged is stored: on SQLite in the database
			// file alone, its WAL checkpointed into it.
			if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
				if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
					t.Errorf("the WAL holds %d bytes after the exit", fi.Size())
				}
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				copied := filepath.Join(t.TempDir(), "latch.db")
				if err := os.WriteFile(copied, b, 0o600); err != nil {
					t.Fatal(err)
				}
				dbURL = "sqlite:" + copied
			}
			base, _ := startServe(t, testEnv(dbURL, "LATCH_RATE_LIMITS", "off"))
			for _, email := range acknowledged {
				if status, body := post(t, base+"/_allauth/app/v1/auth/login", "", `{"email":"`+email+`","password":"amber-Falcon-38"}`); status != 200 {
					t.Errorf("login of %s, acknowledged before the exit: %d %v", email, status, body)
				}
			}
		})
	}
}

func TestShutdownSettings(t *testing.T) {
	c, err := loadConfig(func(string) string { return "" })
	if err != nil || c.ShutdownDelay != 5*time.Second || c.ShutdownTimeout != 30*time.Second {
		t.Fatalf("defaults: delay %v, timeout %v, %v; want 5s, 30s", c.ShutdownDelay, c.ShutdownTimeout, err)
	}
	env := map[string]string{"LATCH_SHUTDOWN_DELAY": "0", "LATCH_SHUTDOWN_TIMEOUT": "1m"}
	if c, err := loadConfig(func(k string) string { return env[k] }); err != nil || c.ShutdownDelay != 0 || c.ShutdownTimeout != time.Minute {
		t.Errorf("%v: delay %v, timeout %v, %v", env, c.ShutdownDelay, c.ShutdownTimeout, err)
	}
	for _, name := range []string{"LATCH_SHUTDOWN_DELAY", "LATCH_SHUTDOWN_TIMEOUT"} {
		for _, v := range []string{"-1s", "soon", "5"} {
			if _, err := loadConfig(func(k string) string { return map[string]string{name: v}[k] }); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: %v, want a refusal naming the variable", name, v, err)
			}
		}
	}
	if w := unknownSettings([]string{"LATCH_SHUTDOWN_DELAY=1s", "LATCH_SHUTDOWN_TIMEOUT=1s"}); len(w) != 0 {
		t.Errorf("warnings for known settings: %v", w)
	}
}
