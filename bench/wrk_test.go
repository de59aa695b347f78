package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// decodeLuaString reads the Lua short string literal at the start of s
// (Lua 5.1's rules, which LuaJIT follows) and returns its bytes and the
// rest of s.
func decodeLuaString(s string) (string, string, error) {
	if s == "" || (s[0] != '"' && s[0] != '\'') {
		return "", s, errors.New("not a string literal")
	}
	q := s[0]
	var out strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return out.String(), s[i+1:], nil
		case c == '\n' || c == '\r':
			return "", s, errors.New("unescaped line break in a short string")
		case c != '\\':
			out.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break
		}
		if e := strings.IndexByte(`abfnrtv\"'`, s[i]); e >= 0 {
			out.WriteByte("\a\b\f\n\r\t\v\\\"'"[e])
			continue
		}
		j := i
		for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return "", s, fmt.Errorf("invalid escape \\%c", s[i])
		}
		n, _ := strconv.Atoi(s[i:j])
		if n > 255 {
			return "", s, fmt.Errorf("escape \\%d too large", n)
		}
		out.WriteByte(byte(n))
		i = j - 1
	}
	return "", s, errors.New("unfinished string")
}

// decodeLuaList reads a table constructor of string literals (luaList's form).
func decodeLuaList(s string) ([]string, error) {
	s, ok := strings.CutPrefix(strings.TrimSpace(s), "{")
	if !ok {
		return nil, errors.New("no {")
	}
	var out []string
	for {
		s = strings.TrimSpace(s)
		if rest, ok := strings.CutPrefix(s, "}"); ok {
			if rest != "" {
				return nil, fmt.Errorf("text after the table: %q", rest)
			}
			return out, nil
		}
		v, rest, err := decodeLuaString(s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		s, ok = strings.CutPrefix(strings.TrimSpace(rest), ",")
		if !ok {
			return nil, errors.New("no comma after an item")
		}
	}
}

func TestLuaStringRoundTrips(t *testing.T) {
	for _, in := range []string{
		"",
		"plain text",
		`a "quoted" value and a 'single' one`,
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"long brackets ]] [[ ]=] [==[ and a backslash \\ at the end\\",
		"\x00\x01\x1f\x7f\x80\xff",
		"an escape followed by digits \n123 and \t9",
		"é ü 日本",
		`{"refresh_token":"a-b_c"}`,
	} {
		lit := luaString([]byte(in))
		got, rest, err := decodeLuaString(lit)
		if err != nil || rest != "" || got != in {
			t.Errorf("luaString(%q) = %s, decoded %q, rest %q, %v", in, lit, got, rest, err)
		}
		if strings.ContainsAny(lit, "\r\n") {
			t.Errorf("luaString(%q) = %s holds a raw line break", in, lit)
		}
	}
	items := [][]byte{[]byte("one\r\n"), []byte(`"two"`), []byte("]]three[["), nil}
	got, err := decodeLuaList(luaList(items))
	if err != nil || len(got) != len(items) {
		t.Fatalf("luaList: %q, %v", got, err)
	}
	for i := range items {
		if got[i] != string(items[i]) {
			t.Errorf("item %d: %q, want %q", i, got[i], items[i])
		}
	}
}

func TestParseWrkSummary(t *testing.T) {
	good := `{"requests":1000,"duration_us":2000000,"bytes":123456,"errors":{"connect":0,"read":1,"write":0,"status":7,"timeout":2,"lost":3},` +
		`"latency_us":{"mean":512.5,"p50":400,"p90":900,"p99":2500,"max":10000},"tokens":["a","b"]}`
	for _, tc := range []struct {
		name, in string
		wantErr  bool
	}{
		{"good", good, false},
		{"truncated", good[:len(good)/2], true},
		{"empty", "", true},
		{"no requests", `{"duration_us":1,"latency_us":{"mean":1,"p50":1,"p90":1,"p99":1,"max":1}}`, true},
		{"no duration", `{"requests":1,"latency_us":{"mean":1,"p50":1,"p90":1,"p99":1,"max":1}}`, true},
		{"no latency", `{"requests":1,"duration_us":1}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseWrkSummary([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := s.measurement(16, time.Hour)
			if m.Requests != 990 || m.Errors != 13 || m.Duration != 2*time.Second || m.Concurrency != 16 {
				t.Errorf("requests %d errors %d duration %s conc %d", m.Requests, m.Errors, m.Duration, m.Concurrency)
			}
			if m.Lat.Mean != 512500*time.Nanosecond || m.Lat.P50 != 400*time.Microsecond || m.Lat.P99 != 2500*time.Microsecond || m.Lat.Max != 10*time.Millisecond {
				t.Errorf("latencies %+v", m.Lat)
			}
			if !strings.Contains(m.FirstError, "7 answers with status ≥ 400") || fmt.Sprint(s.Tokens) != "[a b]" {
				t.Errorf("first error %q, tokens %v", m.FirstError, s.Tokens)
			}
		})
	}
	// A plan that carried its warm-up: its window's counts and duration.
	s, err := parseWrkSummary([]byte(strings.Replace(good, `"tokens"`, `"window":{"ok":400,"bad":5},"tokens"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if m := s.measurement(64, 5*time.Second); m.Requests != 400 || m.Errors != 1+2+5+3 || m.Duration != 5*time.Second {
		t.Errorf("window: requests %d errors %d duration %s", m.Requests, m.Errors, m.Duration)
	}
	// A "wrk" that exits without running done(): no summary file.
	w := &wrkRunner{bin: "true", dir: t.TempDir()}
	if _, _, err := w.run(context.Background(), &wrkPlan{addr: "127.0.0.1:1"}, 1, 1, 0, 0, nil); err == nil || !strings.Contains(err.Error(), "no summary") {
		t.Errorf("a run that wrote no summary: %v", err)
	}
}

// testWrk returns a runner for wrk, skipping the test without it.
func testWrk(t *testing.T) *wrkRunner {
	t.Helper()
	path, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed (scripts/bench-setup)")
	}
	return &wrkRunner{bin: path, dir: t.TempDir()}
}

// TestWrkCountsWhatTheServerSaw runs real wrk for a second against a server
// that counts requests and checks that each arrived byte for byte as the
// harness built it (header values with quotes, brackets, backslashes and
// non-ASCII bytes) and that wrk reports what the server answered: at most
// the requests in flight as wrk stopped (one per connection) go unreported.
func TestWrkCountsWhatTheServerSaw(t *testing.T) {
	w := testWrk(t)
	values := []string{`plain`, `"quoted" 'single'`, `]] [[ ]=] \ %s %d`, "caf\xc3\xa9"}
	var seen, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		k, err := strconv.Atoi(r.URL.Query().Get("k"))
		if err != nil || k < 0 || k >= len(values) || r.Header.Get("X-Odd") != values[k] {
			bad.Add(1)
			rw.WriteHeader(http.StatusBadRequest)
			return
		}
		io.WriteString(rw, `{"ok":true}`)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var reqs [][]byte
	for k, v := range values {
		reqs = append(reqs, getRequest(addr, "/?k="+strconv.Itoa(k), "X-Odd: "+v))
	}
	const conc = 4
	var windows []bool
	m, err := w.measure(context.Background(), conc, 0, time.Second, func() (*wrkPlan, error) { return wrkCycle(addr, reqs), nil }, nil,
		func(open bool) { windows = append(windows, open) })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(windows) != "[true false]" {
		t.Errorf("window calls: %v", windows)
	}
	if bad.Load() != 0 || m.Errors != 0 {
		t.Errorf("%d requests arrived altered; wrk counted %d errors (%s)", bad.Load(), m.Errors, m.FirstError)
	}
	if got := seen.Load(); m.Requests == 0 || uint64(got) < m.Requests || uint64(got) > m.Requests+conc {
		t.Errorf("wrk reported %d requests, the server saw %d", m.Requests, got)
	}
	if m.Duration < time.Second || m.Lat.P50 <= 0 || m.Lat.P99 < m.Lat.P50 || m.Lat.Max < m.Lat.P99 || m.GenCPU <= 0 {
		t.Errorf("duration %s, latencies %+v, wrk's CPU %s", m.Duration, m.Lat, m.GenCPU)
	}
}

// refreshServer issues refresh tokens and accepts each once, like Latch's
// rotation; it counts tokens presented again after they were spent.
type refreshServer struct {
	mu      sync.Mutex
	n       int
	valid   map[string]bool
	spent   map[string]bool
	reused  int
	unknown int
}

func (s *refreshServer) issue() string {
	s.n++
	tok := fmt.Sprintf("tok-%d", s.n)
	s.valid[tok] = true
	return tok
}

func (s *refreshServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Token string `json:"refresh_token"`
	}
	err := json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil && s.valid[body.Token]:
		delete(s.valid, body.Token)
		s.spent[body.Token] = true
		fmt.Fprintf(w, `{"status":200,"data":{"user":{"id":1}},"meta":{"access_token":"x","refresh_token":"%s"}}`, s.issue())
		return
	case s.spent[body.Token]:
		s.reused++
	default:
		s.unknown++
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// TestWrkRefreshChains runs the refresh script under real wrk (a warm-up
// run, then the measured one, as a cell does) against a server that refuses
// reused tokens: no token may be sent twice, the tokens the threads hold at
// the end must be unspent, and a thread without tokens must show errors
// rather than stall.
func TestWrkRefreshChains(t *testing.T) {
	w := testWrk(t)
	for _, tc := range []struct {
		name       string
		tokens     int
		wantErrors bool
	}{
		{"enough tokens", 40, false},
		{"one token for four connections", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := &refreshServer{valid: map[string]bool{}, spent: map[string]bool{}}
			srv := httptest.NewServer(rs)
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")
			tg := &target{spare: make(chan string, tc.tokens)}
			for range tc.tokens {
				tg.spare <- rs.issue()
			}
			const conc = 4
			m, err := w.measure(context.Background(), conc, time.Second, time.Second,
				func() (*wrkPlan, error) { return wrkRefresh(addr, tg.takeRefreshTokens(conc)), nil }, tg.returnRefreshTokens, nil)
			if err != nil {
				t.Fatal(err)
			}
			rs.mu.Lock()
			defer rs.mu.Unlock()
			if rs.reused != 0 {
				t.Errorf("%d spent tokens were sent again", rs.reused)
			}
			if !tc.wantErrors && m.Requests == 0 {
				t.Errorf("no successful refreshes: %+v", m)
			}
			if tc.wantErrors && rs.unknown == 0 {
				t.Error("no thread sent the known-bad token")
			}
			if got := m.Errors > 0; got != tc.wantErrors {
				t.Errorf("%d errors (%s), want errors: %v", m.Errors, m.FirstError, tc.wantErrors)
			}
			if !tc.wantErrors && rs.unknown != 0 {
				t.Errorf("%d unknown tokens sent", rs.unknown)
			}
			left := len(tg.spare)
			for range left {
				if tok := <-tg.spare; !rs.valid[tok] {
					t.Errorf("token %q came back spent or unknown", tok)
				}
			}
			if !tc.wantErrors && left < tc.tokens-2*conc {
				t.Errorf("%d of %d tokens came back; at most %d (one per connection and run) may be lost", left, tc.tokens, 2*conc)
			}
		})
	}
}

// TestEvaluateTargets checks issue 18's targets on a made-up run: the
// ratios come from the paired cells of the last load generator only, the
// p99 from the pair's baseline, RSS from every cell of a scenario.
func TestEvaluateTargets(t *testing.T) {
	cell := func(gen, sc string, c int, vsBase, vsHash, p99, baseP99, rss float64) *result {
		return &result{DB: "sqlite", Users: 1000, LoadGen: gen, Scenario: sc, Concurrency: c, RPS: 1,
			VsBaseline: vsBase, VsHash: vsHash, P99Ms: p99, BaselineP99Ms: baseP99, RSSPeakMB: rss}
	}
	r := &report{Settings: settings{Mode: "standard", LoadGens: []string{loadGenGo, loadGenWrk}, Concurrency: []int{1, 16, 64}},
		Results: []*result{
			cell(loadGenGo, "session-token", 16, 0.95, 0, 1, 1, 10), // not the last generator: ignored
			cell(loadGenWrk, "session-token", 16, 0.81, 0, 1, 1, 30),
			cell(loadGenWrk, "session-token", 64, 0.79, 0, 2.7, 2, 70),
			cell(loadGenWrk, "jwt-verify", 16, 0.90, 0, 1, 1, 20),
			cell(loadGenWrk, "refresh", 64, 0.39, 0, 1, 1, 40),
			cell(loadGenWrk, "login", 1, 0, 0.93, 1, 0, 40),
			cell(loadGenWrk, "login", 64, 0, 0.91, 1, 0, 63.9),
		}}
	got := map[string]string{}
	for _, o := range evaluateTargets(r) {
		got[o.Target] = fmt.Sprintf("%g %v", o.Value, o.Met)
	}
	want := map[string]string{
		"session-token req/s vs baseline, c=16":                  "0.81 true",
		"session-token req/s vs baseline, c=64":                  "0.79 false",
		"jwt-verify req/s vs baseline, c=16":                     "0.9 true",
		"refresh req/s vs baseline, c=64":                        "0.39 false",
		"login req/s vs hash, c=1":                               "0.93 true",
		"login req/s vs hash, c=64":                              "0.91 false",
		"session-token p99 vs baseline's p99, c=64":              "1.35 false",
		"Latch peak RSS during session-token, every concurrency": "70 false",
		"Latch peak RSS during refresh, every concurrency":       "40 true",
		"Latch peak RSS during login, every concurrency":         "63.9 true",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("targets:\n got %v\nwant %v", got, want)
	}
}

// TestWrkPostBodies runs the login and signup scripts under real wrk against
// a server that decodes every body: each must be JSON with the seeded
// password and an address of the expected form, and signup addresses must
// never repeat.
func TestWrkPostBodies(t *testing.T) {
	w := testWrk(t)
	const users = 50
	for _, tc := range []struct {
		name   string
		body   string
		email  func(string) bool
		unique bool
	}{
		{"login", wrkLoginBody(users), func(e string) bool {
			var i int
			_, err := fmt.Sscanf(e, "user%07d@bench.example", &i)
			return err == nil && e == userEmail(i) && i >= 0 && i < users
		}, false},
		{"signup", wrkSignupBody("run1-w1"), func(e string) bool {
			return strings.HasPrefix(e, "signup-run1-w1-") && strings.HasSuffix(e, "@bench.example")
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[string]int{}
			var bad []string
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				var v struct{ Email, Password string }
				b, _ := io.ReadAll(r.Body)
				err := json.Unmarshal(b, &v)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || r.Method != http.MethodPost || r.URL.Path != "/p" || v.Password != benchPassword || !tc.email(v.Email) {
					bad = append(bad, string(b))
					rw.WriteHeader(http.StatusBadRequest)
					return
				}
				seen[v.Email]++
			}))
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")
			m, err := w.measure(context.Background(), 2, 0, time.Second, func() (*wrkPlan, error) { return wrkPost(addr, "/p", tc.body, 1), nil }, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(bad) > 0 || m.Errors != 0 || m.Requests == 0 {
				t.Fatalf("%d requests, %d errors; bad bodies: %q", m.Requests, m.Errors, bad[:min(len(bad), 3)])
			}
			total := 0
			for _, n := range seen {
				total += n
			}
			if m.Requests > uint64(total) || m.Duration != time.Second || m.GenCPU <= 0 {
				t.Errorf("window: %d answers of the %d the server gave, %s, wrk's CPU %s", m.Requests, total, m.Duration, m.GenCPU)
			}
			for e, n := range seen {
				if tc.unique && n > 1 {
					t.Errorf("%s signed up %d times", e, n)
				}
			}
			if !tc.unique && len(seen) < 2 {
				t.Errorf("logins used %d distinct users", len(seen))
			}
		})
	}
}
