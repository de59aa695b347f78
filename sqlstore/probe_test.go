package sqlstore_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

// The write probe writes on both engines, again and again.
func TestProbeWrite(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			db := e.Open(t)
			ctx := context.Background()
			for range 3 {
				if err := db.ProbeWrite(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := sqlstore.NewWriteCheck(db, time.Minute).Check(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A database that answers reads but not writes fails the write probe while
// Ping succeeds; a WriteCheck probes at most once per interval and answers
// the last result in between.
func TestWriteCheck(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	db, err := sqlite.Open(ctx, path, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	probes := func() int64 {
		t.Helper()
		var n int64
		if err := raw.QueryRow(`SELECT coalesce(max(n), 0) FROM write_probe`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	const every = 300 * time.Millisecond
	c := sqlstore.NewWriteCheck(db, every)
	for range 5 {
		if err := c.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := probes(); n != 1 {
		t.Fatalf("%d probes within the interval, want 1", n)
	}

	// Another connection holds the write lock: writes wait past the
	// probe's timeout, reads go on.
	hold, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	if _, err := hold.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(every)
	start := time.Now()
	if err := c.Check(ctx); err == nil {
		t.Fatal("write probe succeeded while the database could not be written")
	}
	if d := time.Since(start); d > sqlstore.WriteProbeTimeout+time.Second {
		t.Errorf("probe took %v, want at most about %v", d, sqlstore.WriteProbeTimeout)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping while writes are blocked: %v", err)
	}
	if _, err := hold.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	// The failure is answered until the interval has passed, then the
	// recovery is seen.
	if err := c.Check(ctx); err == nil {
		t.Error("the failure was not kept for the interval")
	}
	time.Sleep(every)
	if err := c.Check(ctx); err != nil {
		t.Errorf("after the lock was released: %v", err)
	}
}
