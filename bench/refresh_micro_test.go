package main

// Micro-benchmarks of refresh-token rotation (issue 18): the HTTP endpoint
// in-process, concurrent rotations of distinct families (what group commit
// on SQLite is for), and the replay of a token whose family is revoked.
//
//	go test -run '^$' -bench 'Refresh(HTTP|Parallel|Replay)' -benchtime 2000x ./bench

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/sqlstore"
)

// refreshChains logs the stack's user in n more times through the app
// client and returns the refresh token of each login: n independent families.
func (s *stack) refreshChains(b *testing.B, n int) []string {
	b.Helper()
	client := latch.Client{Kind: latch.App, IP: "127.0.0.1", UserAgent: "latch-bench"}
	chains := make([]string, n)
	for i := range chains {
		st, err := s.svc.Sessions.Login(context.Background(), &account.State{Client: client}, account.LoginInput{Email: &s.email, Password: benchPassword})
		if err != nil || st.RefreshToken == "" {
			b.Fatalf("login: %v", err)
		}
		chains[i] = st.RefreshToken
	}
	return chains
}

// cpuTime is the CPU time this process has used (user and system), for
// reporting CPU per operation: wall time here mostly measures the disk's
// fsync and the other processes sharing the cores.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs loop after resetting the stack's counters and reports the
// store calls and the process's CPU µs per operation.
func (s *stack) measure(b *testing.B, loop func()) {
	s.start(b)
	t0 := cpuTime(b)
	loop()
	b.ReportMetric(float64(cpuTime(b)-t0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	s.reportStore(b)
}

// BenchmarkRefreshHTTP is POST /_allauth/app/v1/tokens/refresh through
// httpapi.Server.ServeHTTP, each request spending the token the previous
// answer returned. Building the request (and finding the token in the
// answer) is counted too: the body changes every time.
func BenchmarkRefreshHTTP(b *testing.B) {
	engines(b, func(b *testing.B, db *sqlstore.DB) {
		s := newStack(b, db, slog.LevelInfo)
		token := s.refresh
		var w recorder
		s.measure(b, func() {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/_allauth/app/v1/tokens/refresh",
					strings.NewReader(`{"refresh_token":"`+token+`"}`))
				req.Header.Set("Content-Type", "application/json")
				serve(b, s.api, &w, req, http.StatusOK)
				if token = refreshToken(w.body.Bytes()); token == "" {
					b.Fatalf("no refresh token in %s", w.body.String())
				}
			}
		})
	})
}

// BenchmarkRefreshCore is rotation in the core (account.Service.Refresh),
// one at a time, each spending the token the previous one returned; as
// BenchmarkRefresh, with the CPU per rotation.
func BenchmarkRefreshCore(b *testing.B) {
	engines(b, func(b *testing.B, db *sqlstore.DB) {
		s := newStack(b, db, slog.LevelInfo)
		ctx := context.Background()
		token := s.refresh
		s.measure(b, func() {
			for b.Loop() {
				_, next, err := s.svc.Tokens.Refresh(ctx, token)
				if err != nil {
					b.Fatal(err)
				}
				token = next
			}
		})
	})
}

// BenchmarkRefreshParallel is rotation in the core by 16 goroutines at once
// (GOMAXPROCS × parallelism), each chaining its own family, as the harness's
// refresh scenario does: ns/op is the inverse of the throughput.
func BenchmarkRefreshParallel(b *testing.B) {
	engines(b, func(b *testing.B, db *sqlstore.DB) {
		s := newStack(b, db, slog.LevelInfo)
		const workers = 16
		b.SetParallelism((workers + 1) / 2) // ≥ 16 goroutines on 2 cores
		chains := s.refreshChains(b, 64)
		var next atomic.Int64
		ctx := context.Background()
		s.measure(b, func() {
			b.RunParallel(func(pb *testing.PB) {
				token := chains[next.Add(1)-1]
				for pb.Next() {
					_, n, err := s.svc.Tokens.Refresh(ctx, token)
					if err != nil {
						b.Error(err)
						return
					}
					token = n
				}
			})
		})
	})
}

// BenchmarkRefreshReplay sends one refresh token again and again, as a
// naive load script would. grace: spent, and repeated within the grace
// window, so each answer is the same pair. revoked: its family is gone
// (revoked, as reuse after the grace window does), so each is refused: one
// store call that changes no row (the counting store reports it as a write,
// since it goes through the rotation).
func BenchmarkRefreshReplay(b *testing.B) {
	engines(b, func(b *testing.B, db *sqlstore.DB) {
		s := newStack(b, db, slog.LevelInfo)
		ctx := context.Background()
		b.Run("grace", func(b *testing.B) {
			token := s.refreshChains(b, 1)[0]
			if _, _, err := s.svc.Tokens.Refresh(ctx, token); err != nil {
				b.Fatal(err)
			}
			s.measure(b, func() {
				for b.Loop() {
					if _, _, err := s.svc.Tokens.Refresh(ctx, token); err != nil {
						b.Fatalf("replay within the grace window: %v", err)
					}
				}
			})
		})
		b.Run("revoked", func(b *testing.B) {
			token := s.refreshChains(b, 1)[0]
			if err := s.svc.Tokens.RevokeRefresh(ctx, token); err != nil {
				b.Fatal(err)
			}
			s.measure(b, func() {
				for b.Loop() {
					if _, _, err := s.svc.Tokens.Refresh(ctx, token); !errors.Is(err, account.ErrInvalidRefresh) {
						b.Fatalf("replay: %v, want ErrInvalidRefresh", err)
					}
				}
			})
		})
	})
}

// RotateRefreshToken is one write: one transaction, or a share of a group
// commit on SQLite.
func (c *countingStore) RotateRefreshToken(ctx context.Context, hash []byte, now time.Time, next []byte, ttl time.Duration) (*latch.RefreshToken, error) {
	c.w()
	return c.DB.Refresh.RotateRefreshToken(ctx, hash, now, next, ttl)
}
