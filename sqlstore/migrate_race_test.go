package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/postgres"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

// Nodes that start together on an empty database all start, and each
// migration is applied once: three nodes (each with its own pool, as
// separate processes have) are released at the same instant, twenty times,
// each time on a fresh database.
func TestSimultaneousStarts(t *testing.T) {
	const nodes, rounds = 3, 20
	engines := []struct {
		name string
		d    sqlstore.Dialect
		// fresh returns what open needs to reach a new, empty database.
		fresh func(t *testing.T) string
		open  func(ctx context.Context, where string, log *slog.Logger) (*sqlstore.DB, error)
	}{
		{
			name:  "sqlite",
			d:     sqlite.Dialect,
			fresh: func(t *testing.T) string { return filepath.Join(t.TempDir(), "latch.db") },
			open: func(ctx context.Context, path string, log *slog.Logger) (*sqlstore.DB, error) {
				return sqlite.Open(ctx, path, false, log)
			},
		},
		{
			name:  "postgres",
			d:     postgres.Dialect,
			fresh: func(t *testing.T) string { return testdb.PostgresURL(t) },
			open: func(ctx context.Context, url string, log *slog.Logger) (*sqlstore.DB, error) {
				return postgres.Open(ctx, url, false, log)
			},
		},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			names, err := fs.Glob(e.d.Migrations, "*.sql")
			if err != nil || len(names) == 0 {
				t.Fatalf("migrations: %v %v", names, err)
			}
			sort.Strings(names)
			for round := range rounds {
				t.Run(fmt.Sprint(round), func(t *testing.T) {
					where := e.fresh(t)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					applied := &appliedLog{n: map[string]int{}}
					log := slog.New(applied)
					start := make(chan struct{})
					var wg sync.WaitGroup
					errs := make([]error, nodes)
					dbs := make([]*sqlstore.DB, nodes)
					counts := make([]int, nodes)
					for i := range nodes {
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-start
							dbs[i], errs[i] = e.open(ctx, where, log)
							if errs[i] == nil {
								counts[i], errs[i] = dbs[i].Migrate(ctx, log)
							}
						}()
					}
					close(start)
					wg.Wait()
					total := 0
					for i, db := range dbs {
						if db != nil {
							defer db.Close()
						}
						if errs[i] != nil {
							t.Errorf("node %d did not start: %v", i, errs[i])
						}
						total += counts[i]
					}
					if total != len(names) {
						t.Errorf("the nodes applied %v migrations, want %d in all", counts, len(names))
					}
					for _, name := range names {
						if got := applied.count(name); got != 1 {
							t.Errorf("migration %s applied %d times, want once", name, got)
						}
					}
					if len(applied.n) != len(names) {
						t.Errorf("applied %v, want each of %v once", applied.n, names)
					}
					if t.Failed() {
						return
					}
					// A node that starts afterwards applies nothing, and
					// the store works.
					later, err := e.open(ctx, where, log)
					if err != nil {
						t.Fatalf("later node: %v", err)
					}
					defer later.Close()
					if n, err := later.Migrate(ctx, log); n != 0 || err != nil {
						t.Errorf("Migrate again = %d, %v; want 0, nil", n, err)
					}
					if len(applied.n) != len(names) {
						t.Errorf("applied after a later start: %v", applied.n)
					}
					if _, err := later.Users.UserByID(ctx, 1); !errors.Is(err, latch.ErrNotFound) {
						t.Errorf("UserByID on an empty database: %v, want latch.ErrNotFound", err)
					}
				})
			}
		})
	}
}

// appliedLog counts the "applied migration" records by migration.
type appliedLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *appliedLog) count(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[name]
}

func (h *appliedLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *appliedLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *appliedLog) WithGroup(string) slog.Handler            { return h }

func (h *appliedLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "applied migration" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "migration" {
			h.mu.Lock()
			h.n[a.Value.String()]++
			h.mu.Unlock()
		}
		return true
	})
	return nil
}
