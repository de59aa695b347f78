package postgres_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/postgres"
)

// A node that starts while another holds the migration lock waits for it,
// however long that takes: the statement timeout that bounds requests does
// not end the wait (nor a migration), or nodes starting together while a
// long migration runs would exit.
func TestMigrationLockWaitOutlastsStatementTimeout(t *testing.T) {
	url := testdb.PostgresURL(t) + "&statement_timeout=200&lock_timeout=200"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", os.Getenv(testdb.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	holder, err := admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7463002)`); err != nil {
		t.Fatal(err)
	}
	const held = time.Second
	go func() {
		time.Sleep(held)
		holder.Commit()
	}()
	start := time.Now()
	db, err := postgres.Open(ctx, url, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("a node starting while the lock is held: %v", err)
	}
	defer db.Close()
	if d := time.Since(start); d < held {
		t.Errorf("started after %v, before the lock was released (%v)", d, held)
	}
	if n, err := db.Migrate(ctx, slog.New(slog.DiscardHandler)); n != 0 || err != nil {
		t.Errorf("Migrate again = %d, %v", n, err)
	}
}
