// Package sqlite opens Latch's embedded default database: a single SQLite
// file (pure Go driver, no cgo) in WAL mode, with one writer connection whose
// transactions start with BEGIN IMMEDIATE and a separate pool of readers, so
// concurrent writers wait on the busy timeout instead of failing with
// "database is locked", and reads never queue behind writes.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchauth/latch/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is SQLite's dialect for sqlstore.
var Dialect = sqlstore.Dialect{
	Name:        "sqlite",
	Time:        sqlstore.SQLiteTime,
	Migrations:  sqlstore.MigrationsDir(migrations),
	UniqueIndex: uniqueIndex,
	OnClose:     `PRAGMA wal_checkpoint(TRUNCATE)`,
	BackupInto:  `VACUUM INTO $1`,
	Unavailable: unavailable,
}

// Open opens (creating if needed) the database file at path and applies the
// migrations when migrate is true. opts configure the store.
func Open(ctx context.Context, path string, migrate bool, log *slog.Logger, opts ...sqlstore.Option) (*sqlstore.DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path")
	}
	// Create the file readable by its owner only; SQLite gives the -wal
	// and -shm files the same mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	} else {
		f.Close()
	}
	// A lock held by another process is waited for 5 s at most, within the
	// request deadline (LATCH_REQUEST_TIMEOUT, default 10 s); then the
	// store answers latch.ErrUnavailable, a 503.
	pragmas := "&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_time_format=sqlite"
	// The WAL is checkpointed every 128 pages (512 KiB, not SQLite's 4 MiB)
	// and cut back to 1 MiB after a checkpoint, so it never fills a small
	// disk by itself: with SQLite's defaults a WAL on a disk smaller than
	// 4 MiB filled it, never reached a checkpoint, and every write failed
	// for good, even once space was freed.
	// busy_timeout comes first: switching a new file to WAL takes a lock
	// that processes opening it at the same instant wait for.
	write, err := sql.Open("sqlite", base+pragmas+"&_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(128)&_pragma=journal_size_limit(1048576)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	if err := pingWriter(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", base+"&mode=ro"+pragmas)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)
	db := sqlstore.New(read, write, Dialect, opts...)
	if migrate {
		if _, err := db.Migrate(ctx, log); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// pingWriter opens the writer's connection, which switches the file to WAL.
// Processes opening a new file at the same instant can be refused that
// switch at once (SQLITE_BUSY without waiting: two connections upgrading
// their locks would deadlock), so it is tried again for up to 5 s.
func pingWriter(ctx context.Context, write *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := write.PingContext(ctx)
		se, busy := errors.AsType[*sqlite.Error](err)
		if err == nil || !busy || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

// unavailable reports SQLite's "database is locked" past the busy timeout
// (SQLITE_BUSY and SQLITE_LOCKED, with their extended codes) and a full
// disk (SQLITE_FULL, or SQLITE_IOERR from a write that found no space): the
// request is fine, the node cannot take it now (503).
func unavailable(err error) bool {
	se, ok := errors.AsType[*sqlite.Error](err)
	if !ok {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
		return true
	}
	return false
}

// uniqueIndex extracts the violated index from SQLite's "UNIQUE constraint
// failed" error. An expression or named index is reported as "index 'name'";
// a column constraint as "table.column".
func uniqueIndex(err error) (string, bool) {
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return "", false
	}
	msg := se.Error()
	if i := strings.Index(msg, "index '"); i >= 0 {
		rest := msg[i+len("index '"):]
		if j := strings.IndexByte(rest, '\''); j >= 0 {
			return rest[:j], true
		}
	}
	switch {
	case strings.Contains(msg, "users.username_key"):
		return "users_username_key", true
	case strings.Contains(msg, "email_addresses.email"):
		return "email_addresses_email_key", true
	case strings.Contains(msg, "authenticators.user_id, authenticators.type"):
		return "authenticators_one_per_type", true
	}
	return "", true
}
