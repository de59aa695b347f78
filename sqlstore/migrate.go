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
// in the schema_migrations table, and returns how many it applied. Files are named NNNN_description.sql; each runs in
// its own transaction together with its record, so a failed migration leaves
// nothing half-applied and running Migrate again is harmless.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) (applied int, err error) {
	d, fsys := db.h.d, db.h.d.Migrations
	if _, err := db.h.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	for _, name := range names {
		prefix, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil {
			return applied, fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return applied, err
		}
		did, err := migrateOne(ctx, db.h.write, d, version, name, string(body))
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, err)
		}
		if did {
			applied++
			log.Info("applied migration", "engine", d.Name, "migration", name)
		}
	}
	return applied, nil
}

func migrateOne(ctx context.Context, db *sql.DB, d Dialect, version int, name, body string) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return false, fmt.Errorf("lock: %w", err)
		}
	}
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations WHERE version = $1`, version).Scan(&one); {
	case err == nil:
		return false, nil
	case err != sql.ErrNoRows:
		return false, err
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, version, name); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// MigrationsDir returns the "migrations" folder of an adapter's embedded files.
func MigrationsDir(fsys fs.FS) fs.FS {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(err) // only a malformed embed pattern gets here
	}
	return sub
}
