// Package testdb opens fresh databases for tests: a SQLite file in the test's
// temporary directory, and — when LATCH_TEST_POSTGRES_URL is set — a new
// PostgreSQL schema that is dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchauth/latch/postgres"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

// PostgresEnv names the variable holding the PostgreSQL URL for tests.
const PostgresEnv = "LATCH_TEST_POSTGRES_URL"

// Engine opens a fresh, migrated database for one test.
type Engine struct {
	Name string
	// URL returns a LATCH_DATABASE_URL for a fresh database, for tests that
	// start the whole server.
	URL  func(t testing.TB) string
	Open func(t testing.TB) *sqlstore.DB
}

// Engines returns SQLite always and PostgreSQL when PostgresEnv is set. When
// it is not, the PostgreSQL case is present but skips with a message saying so.
func Engines() []Engine {
	return []Engine{
		{Name: "sqlite", URL: SQLiteURL, Open: OpenSQLite},
		{Name: "postgres", URL: PostgresURL, Open: OpenPostgres},
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// SQLiteURL returns a database URL for a new SQLite file in t's temp dir.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "latch.db")
}

// OpenSQLite opens a fresh, migrated SQLite database.
func OpenSQLite(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"), true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL creates a fresh schema and returns a URL whose search_path
// points at it. It skips the test when PostgresEnv is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test) to run them", PostgresEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens a fresh, migrated PostgreSQL schema, or skips.
func OpenPostgres(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), PostgresURL(t), true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
