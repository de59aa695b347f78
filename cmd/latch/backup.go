package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// backup writes a consistent copy of the SQLite database while Latch may be
// serving from it. PostgreSQL is backed up with its own tools.
func backup(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("backup", "Write a consistent copy of the SQLite database to PATH (latch backup PATH), safe while latch serve runs.\nFor PostgreSQL use pg_dump.", e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: latch backup PATH")
	}
	path := fs.Arg(0)
	c, err := loadConfig(e.getenv)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		return errors.New("latch backup copies SQLite databases; for PostgreSQL run pg_dump, e.g. pg_dump --format=custom --file=latch.dump \"$LATCH_DATABASE_URL\"")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists; name a new file", path)
	}
	db, err := openDB(ctx, c, false, newLogger(c, e.stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Wrote a copy of the database to %s.\n", path)
	return nil
}
