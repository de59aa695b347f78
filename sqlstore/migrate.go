package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
)

// Migrate applies, in order, every migration of the dialect not yet recorded
// in the schema_migrations table, and returns how many it applied. Files are
// named NNNN_description.sql; each runs in its own transaction together with
// its record, so a failed migration leaves nothing half-applied and running
// Migrate again is harmless.
//
// Nodes may start together on one database, so everything a run does to the
// database happens under the migration lock, one transaction at a time on
// one connection: creating schema_migrations and reading what it holds, then
// each pending migration, which checks its record again under the lock
// before it runs. On PostgreSQL every such transaction first takes the
// Dialect's MigrationLock (an advisory transaction lock); SQLite's writer
// begins every transaction with BEGIN IMMEDIATE, which holds the database's
// write lock from the start.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (applied int, err error) {
	d, fsys := db.h.d, db.h.d.Migrations
	type migration struct {
		version    int
		name, body string
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	all := make([]migration, 0, len(names))
	for _, name := range names {
		prefix, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil {
			return 0, fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return 0, err
		}
		all = append(all, migration{version, name, string(body)})
	}

	conn, err := db.h.write.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()

	var done map[int]bool
	err = migrationTx(ctx, conn, d, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var err error
		done, err = appliedVersions(ctx, tx)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, m := range all {
		if done[m.version] {
			continue
		}
		did := false
		err := migrationTx(ctx, conn, d, func(tx *sql.Tx) error {
			// Another node may have applied it since the read above.
			var one int
			switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations WHERE version = $1`, m.version).Scan(&one); {
			case err == nil:
				return nil
			case err != sql.ErrNoRows:
				return err
			}
			if _, err := tx.ExecContext(ctx, m.body); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return err
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if did {
			applied++
			log.Info("applied migration", "engine", d.Name, "migration", m.name)
		}
	}
	return applied, nil
}

// migrationTx runs fn in a transaction on conn that holds the migration
// lock from its first statement, and commits if fn succeeds.
func migrationTx(ctx context.Context, conn *sql.Conn, d Dialect, fn func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// appliedVersions reads the versions recorded in schema_migrations.
func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

// MigrationsDir returns the "migrations" folder of an adapter's embedded files.
func MigrationsDir(fsys fs.FS) fs.FS {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(err) // only a malformed embed pattern gets here
	}
	return sub
}
