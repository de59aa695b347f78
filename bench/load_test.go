package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/postgres"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/server"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 123_456, 1 << 40, 1<<63 + 12345} {
		i := histIndex(v)
		lo, hi := histBounds(i)
		if v < lo || v > hi || i >= histBuckets {
			t.Errorf("value %d: bucket %d [%d, %d]", v, i, lo, hi)
		}
		if v >= 128 && float64(hi-lo) > float64(v)/100 {
			t.Errorf("value %d: bucket %d [%d, %d] wider than 1 %%", v, i, lo, hi)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var a, b histogram
	for v := 1; v <= 100_000; v++ { // 1 µs … 100 ms
		h := &a
		if v%2 == 0 {
			h = &b
		}
		h.record(time.Duration(v) * time.Microsecond)
	}
	a.merge(&b)
	if a.n != 100_000 || a.min != 1000 || a.max != 100_000_000 {
		t.Fatalf("n %d min %d max %d", a.n, a.min, a.max)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		want := time.Duration(q*100_000) * time.Microsecond
		got := a.quantile(q)
		if diff := float64(got-want) / float64(want); diff > 0.01 || diff < -0.01 {
			t.Errorf("q%.2f = %s, want %s within 1 %%", q, got, want)
		}
	}
	if m := a.mean(); m < 49*time.Millisecond || m > 51*time.Millisecond {
		t.Errorf("mean %s", m)
	}
}

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, raw, body string
		status          int
		keep            bool
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: x\r\n\r\nhello", "hello", 200, true},
		{"chunked", "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nTrailer: 1\r\n\r\n", "hello", 201, true},
		{"close", "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno", "no", 401, false},
		{"no length", "HTTP/1.1 200 OK\r\n\r\nto the end", "to the end", 200, false},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", "", 204, true},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", "", 200, false},
	} {
		var body []byte
		status, keep, err := readResponse(bufio.NewReader(strings.NewReader(tc.raw)), true, &body)
		if err != nil || status != tc.status || keep != tc.keep || string(body) != tc.body {
			t.Errorf("%s: status %d keep %v body %q err %v", tc.name, status, keep, truncateBytes(body, 64), err)
		}
		if _, _, err := readResponse(bufio.NewReader(strings.NewReader(tc.raw)), false, nil); err != nil {
			t.Errorf("%s, discarding the body: %v", tc.name, err)
		}
	}
	for _, raw := range []string{"", "garbage\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", "HTTP/1.1 200 OK\r\nbad header\r\n\r\n"} {
		if _, _, err := readResponse(bufio.NewReader(strings.NewReader(raw)), true, new([]byte)); err == nil {
			t.Errorf("%q: no error", raw)
		}
	}
}

// TestHTTPConn checks the load generator's client against net/http's
// server: keep-alive reuse, POST bodies, and reconnection after the server
// closes the connection.
func TestHTTPConn(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("x", 100_000))) // chunked
			return
		}
		fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("X-Test"), b)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := newHTTPConn(host)
	defer c.Close()
	for i := range 3 {
		status, err := c.roundTrip(getRequest(host, "/", "X-Test: "+fmt.Sprint(i)), true)
		if err != nil || status != 200 || string(c.Body) != fmt.Sprintf("GET %d ", i) {
			t.Fatalf("GET %d: %d %q %v", i, status, c.Body, err)
		}
	}
	if status, err := c.roundTrip(postJSON(host, "/", []byte(`{"a":1}`)), true); err != nil || status != 200 || string(c.Body) != `POST  {"a":1}` {
		t.Fatalf("POST: %d %q %v", status, c.Body, err)
	}
	if status, err := c.roundTrip(getRequest(host, "/big"), true); err != nil || status != 200 || len(c.Body) != 100_000 {
		t.Fatalf("big: %d %d %v", status, len(c.Body), err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 requests, want 1 (keep-alive)", n)
	}
	if err := expect(c, getRequest(host, "/close"), 200); err != nil {
		t.Fatal(err)
	}
	if err := expect(c, getRequest(host, "/"), 200); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 after Connection: close", n)
	}
	var se *statusError
	if err := expect(c, getRequest(host, "/"), 404); !errors.As(err, &se) || se.got != 200 {
		t.Errorf("unexpected status: %v", err)
	}
}

func TestRunClosedLoop(t *testing.T) {
	var calls atomic.Int64
	var windows []bool
	m, err := runClosedLoop(context.Background(), 3, 20*time.Millisecond, 100*time.Millisecond, func(i int) (op, func(), error) {
		return func() error {
			time.Sleep(time.Millisecond)
			if calls.Add(1)%10 == 0 {
				return errors.New("every tenth fails")
			}
			return nil
		}, nil, nil
	}, func(open bool) { windows = append(windows, open) })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(windows) != "[true false]" {
		t.Errorf("window calls: %v", windows)
	}
	if m.Requests == 0 || m.Errors == 0 || m.FirstError != "every tenth fails" || m.Hist.n != m.Requests || m.Concurrency != 3 {
		t.Errorf("%+v", m)
	}
	if total := int64(m.Requests + m.Errors); total > calls.Load() {
		t.Errorf("counted %d operations of %d", total, calls.Load())
	}
}

func TestActiveSet(t *testing.T) {
	if got := fmt.Sprint(activeSet(10, 4)); got != "[0 2 5 7]" {
		t.Errorf("activeSet(10, 4) = %s", got)
	}
	if got := len(activeSet(3, 1000)); got != 3 {
		t.Errorf("activeSet(3, 1000) has %d", got)
	}
	if s := activeSet(1_000_000, 1000); s[999] != 999_000 {
		t.Errorf("last of a million: %d", s[999])
	}
}

// TestSeed checks that seeded rows are what Latch itself would read: the
// account core resolves a seeded session key of each kind to its user,
// finds the user by address, and a second seeding continues the ids.
func TestSeed(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			var d *database
			var open func() (*sqlstore.DB, error)
			if e.Name == "sqlite" {
				path := filepath.Join(t.TempDir(), "seed.db")
				d = &database{engine: "sqlite", latch: "sqlite:" + path}
				open = func() (*sqlstore.DB, error) { return sqlite.Open(ctx, path, true, quiet) }
			} else {
				d = &database{engine: "postgres", latch: testdb.PostgresURL(t)}
				open = func() (*sqlstore.DB, error) { return postgres.Open(ctx, d.latch, true, quiet) }
			}
			db, err := open() // migrates
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			hash, err := password.NewHasher(password.TestParams).Hash(benchPassword)
			if err != nil {
				t.Fatal(err)
			}
			salt := []byte("test salt")
			if err := d.openSeedConn(); err != nil {
				t.Fatal(err)
			}
			for _, r := range [][2]int{{0, 10}, {10, 1200}} {
				if err := seed(ctx, d, seedSpec{From: r[0], To: r[1], Kinds: []string{"browser", "app"}, Hash: hash, Salt: salt}, nil); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := d.sql.QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 2400 {
				t.Errorf("%d sessions, %v", n, err)
			}
			d.closeSeedConn()

			db, err = open()
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			built, err := server.New(server.Parts{DB: db, Account: account.DefaultConfig(), Mail: nopMailer{}, Hasher: password.NewHasher(password.TestParams),
				Limiter: ratelimit.NewMemory(nil), Log: quiet, Now: nil})
			if err != nil {
				t.Fatal(err)
			}
			svc := built.Core
			for _, i := range []int{0, 9, 10, 1199} {
				for _, kind := range []latch.ClientKind{latch.Browser, latch.App} {
					st, err := svc.Sessions.Resolve(ctx, latch.Client{Kind: kind}, sessionKey(salt, string(kind), i))
					if err != nil || !st.Authenticated() || st.User.Email != userEmail(i) || len(st.Methods()) != 1 {
						t.Errorf("user %d, %s session: %v %+v", i, kind, err, st)
					}
				}
			}
			u, err := db.Users.UserByEmail(ctx, userEmail(1199))
			if err != nil || u.PasswordHash != hash || !u.IsActive {
				t.Errorf("user 1199: %+v %v", u, err)
			}
			// Latch's own inserts must not collide with the seeded ids.
			if err := db.Users.CreateUser(ctx, &latch.User{PublicID: "00000000-0000-4000-8000-000000000001", PasswordHash: hash, IsActive: true,
				DateJoined: time.Now(), Updated: time.Now()}, []latch.EmailAddress{{Email: "new@bench.example", Primary: true, Created: time.Now()}}); err != nil {
				t.Errorf("insert after seeding: %v", err)
			}
			email := userEmail(5)
			if st, err := svc.Sessions.Login(ctx, &account.State{Client: latch.Client{Kind: latch.Browser}}, account.LoginInput{Email: &email, Password: benchPassword}); err != nil || !st.Authenticated() {
				t.Errorf("login of a seeded user: %v", err)
			}
		})
	}
}
