// Package postgres opens Latch's production database: PostgreSQL through
// pgx, with its own migrations. Any number of stateless Latch nodes can share
// one database; migrations take an advisory lock so that nodes starting
// together apply each one once.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/latchauth/latch/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is PostgreSQL's dialect for sqlstore.
var Dialect = sqlstore.Dialect{
	Name:          "postgres",
	Time:          func(t time.Time) any { return t.UTC() },
	Migrations:    sqlstore.MigrationsDir(migrations),
	UniqueIndex:   uniqueIndex,
	MigrationLock: `SELECT pg_advisory_xact_lock(7463002)`,
}

// Open connects to the database at url (postgres://…) and applies the
// migrations when migrate is true. opts configure the store.
func Open(ctx context.Context, url string, migrate bool, log *slog.Logger, opts ...sqlstore.Option) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	store := sqlstore.New(db, db, Dialect, opts...)
	if migrate {
		if _, err := store.Migrate(ctx, log); err != nil {
			store.Close()
			return nil, err
		}
	}
	return store, nil
}

func uniqueIndex(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}
