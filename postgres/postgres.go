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
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/latchauth/latch/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock starts every migration transaction: it waits for the
// advisory lock, and lets the transaction migrate, however long that takes,
// since the timeouts that bound requests would make nodes that start while
// another migrates exit.
const migrationLock = `SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; SELECT pg_advisory_xact_lock(7463002)`

// Dialect is PostgreSQL's dialect for sqlstore.
var Dialect = sqlstore.Dialect{
	Name:          "postgres",
	Time:          func(t time.Time) any { return t.UTC() },
	Migrations:    sqlstore.MigrationsDir(migrations),
	UniqueIndex:   uniqueIndex,
	MigrationLock: migrationLock,
	Unavailable:   unavailable,
	SkipLocked:    " FOR UPDATE SKIP LOCKED",
	WritableCTE:   true,
}

// Open connects to the database at url (postgres://…) and applies the
// migrations when migrate is true. opts configure the store.
func Open(ctx context.Context, url string, migrate bool, log *slog.Logger, opts ...sqlstore.Option) (*sqlstore.DB, error) {
	db, err := openPool(url)
	if err != nil {
		return nil, err
	}
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

// unavailable reports PostgreSQL's errors that mean it cannot answer now:
// a failed connect, a timeout inside pgx, and the server's SQLSTATEs for a
// statement or lock timeout, too many connections, a server shutting down
// or starting, and lost connections (class 08).
func unavailable(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if pgconn.Timeout(err) {
		return true
	}
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return false
	}
	switch pe.Code {
	case "57014", // query_canceled: statement_timeout
		"55P03",                   // lock_not_available: lock_timeout
		"53300",                   // too_many_connections
		"57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return true
	}
	return strings.HasPrefix(pe.Code, "08") // connection_exception
}

// Pool settings (README, "PostgreSQL"). A connection waits for the pool no
// longer than its request's deadline (LATCH_REQUEST_TIMEOUT) allows, as
// database/sql waits on the query's context.
const (
	// MaxOpenConns bounds the connections of one node.
	MaxOpenConns = 32
	// MaxIdleConns bounds those kept open between requests.
	MaxIdleConns = 16
	// ConnMaxIdleTime closes a connection unused this long, so the pool
	// shrinks back soon after a burst of load.
	ConnMaxIdleTime = 30 * time.Second
	// ConnectTimeout bounds opening a connection (when the URL's
	// connect_timeout does not).
	ConnectTimeout = 5 * time.Second
	// StatementTimeout is the server-side statement_timeout of every
	// connection, unless the URL sets statement_timeout (in milliseconds):
	// a statement stuck on a lock or a slow plan ends with 503.
	StatementTimeout = 10 * time.Second
	// StatementCacheCapacity is the size of each connection's caches of
	// prepared statements and their descriptions, unless the URL sets
	// statement_cache_capacity or description_cache_capacity. pgx's 512
	// are made up front, per connection, and took 3 of a 7 MB live heap
	// at 64 concurrent requests; Latch has some 80 statements, and
	// a connection serving one kind of request uses a handful.
	StatementCacheCapacity = 128
)

// openPool opens the connection pool with the settings above.
func openPool(url string) (*sql.DB, error) {
	cfg, err := poolConfig(url)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(MaxOpenConns)
	db.SetMaxIdleConns(MaxIdleConns)
	db.SetConnMaxIdleTime(ConnMaxIdleTime)
	return db, nil
}

// poolConfig reads url and applies the settings above that it leaves unset.
func poolConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	if _, set := cfg.RuntimeParams["statement_timeout"]; !set {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(StatementTimeout.Milliseconds(), 10)
	}
	// ParseConfig takes these settings out of the URL, filling in its own
	// defaults, so whether the URL set them is read from the URL itself.
	if !strings.Contains(url, "statement_cache_capacity") {
		cfg.StatementCacheCapacity = StatementCacheCapacity
	}
	if !strings.Contains(url, "description_cache_capacity") {
		cfg.DescriptionCacheCapacity = StatementCacheCapacity
	}
	return cfg, nil
}

func uniqueIndex(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}
