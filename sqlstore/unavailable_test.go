package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/postgres"
	"github.com/latchauth/latch/sqlstore"
)

// A database that cannot answer is latch.ErrUnavailable; a missing record
// stays latch.ErrNotFound.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	t.Run("closed sqlite", func(t *testing.T) {
		db := testdb.OpenSQLite(t)
		if _, err := db.Users.UserByID(ctx, 12345); !errors.Is(err, latch.ErrNotFound) || errors.Is(err, latch.ErrUnavailable) {
			t.Fatalf("missing user: %v, want not found", err)
		}
		db.Close()
		if _, err := db.Users.UserByID(ctx, 1); !errors.Is(err, latch.ErrUnavailable) {
			t.Fatalf("closed database: %v, want ErrUnavailable", err)
		}
		err := db.Atomic(ctx, func(ctx context.Context) error { return db.Sessions.DeleteSession(ctx, 1) })
		if !errors.Is(err, latch.ErrUnavailable) {
			t.Fatalf("unit of work on a closed database: %v, want ErrUnavailable", err)
		}
	})
	t.Run("postgres dead port", func(t *testing.T) {
		// Nothing listens on port 1: connection refused.
		pool, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		db := sqlstore.New(pool, pool, postgres.Dialect)
		if _, err := db.Users.UserByEmail(ctx, "a@example.com"); !errors.Is(err, latch.ErrUnavailable) {
			t.Fatalf("refused connection: %v, want ErrUnavailable", err)
		}
		if err := db.Atomic(ctx, func(context.Context) error { return nil }); !errors.Is(err, latch.ErrUnavailable) {
			t.Fatalf("unit of work, refused connection: %v, want ErrUnavailable", err)
		}
	})
	t.Run("postgres deadline and statement timeout", func(t *testing.T) {
		url := testdb.PostgresURL(t)
		db, err := postgres.Open(ctx, url, true, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// Another client holds the users table: every read of it waits.
		locker, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer locker.Close()
		tx, err := locker.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := db.Users.UserByID(short, 1); !errors.Is(err, latch.ErrUnavailable) {
			t.Fatalf("deadline spent waiting: %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("the read took %s past a 200ms deadline", d)
		}
		// The server's statement_timeout ends a wait without any deadline.
		slow, err := postgres.Open(ctx, url+"&statement_timeout=150", false, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		if _, err := slow.Users.UserByID(ctx, 1); !errors.Is(err, latch.ErrUnavailable) {
			t.Fatalf("statement timeout: %v, want ErrUnavailable", err)
		}
	})
}
