package sqlite_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlite"
)

// After a clean close the database file alone holds everything (the WAL is
// checkpointed into it), it is readable by its owner only, and a backup taken
// while it is open is a working copy.
func TestCloseLeavesOneFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "latch.db")
	db, err := sqlite.Open(ctx, path, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	u := &latch.User{PublicID: "00000000-0000-4000-8000-000000000001", PasswordHash: "x", IsActive: true, DateJoined: now, Updated: now}
	if err := db.Users.CreateUser(ctx, u, []latch.EmailAddress{{Email: "wal@example.com", Primary: true, Created: now}}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	// Only latch.db is copied: no -wal, no -shm.
	copyDir := t.TempDir()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(copyDir, "latch.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(copyDir, "latch.db"), backup} {
		db, err := sqlite.Open(ctx, p, false, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.Users.UserByEmail(ctx, "wal@example.com"); err != nil || got.PublicID != u.PublicID {
			t.Errorf("%s: the user is missing (%v)", p, err)
		}
		db.Close()
	}
}
