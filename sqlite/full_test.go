package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips the test
// where mounting is not allowed (it needs root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file taking all the free space of dir's volume.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			return path
		}
	}
}

// TestFullDiskRecovers: on a disk smaller than SQLite's 4 MiB WAL
// checkpoint threshold, filled and then freed, writes work again without a
// restart, and a restart works. Each failed write is latch.ErrUnavailable
// (503), never an internal error. Before, the WAL filled the disk and never
// reached the automatic checkpoint, so every write failed for good.
func TestFullDiskRecovers(t *testing.T) {
	ctx := context.Background()
	dir := smallDisk(t, "2m")
	path := filepath.Join(dir, "latch.db")
	log := slog.New(slog.DiscardHandler)
	db, err := sqlite.Open(ctx, path, true, log)
	if err != nil {
		t.Fatal(err)
	}

	// A filler takes the space; writes fail, as unavailable.
	filler := fill(t, dir)
	var failed error
	for i := range 2000 {
		if failed = write(ctx, db, i); failed != nil {
			break
		}
	}
	if failed == nil {
		t.Fatal("writes kept succeeding on a full disk")
	}
	if !errors.Is(failed, latch.ErrUnavailable) {
		t.Fatalf("write on a full disk: %v, want latch.ErrUnavailable", failed)
	}

	// Freed: far more writes than the disk holds in WAL frames all succeed
	// (each retried briefly while a checkpoint gives the WAL's space back).
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		if err := retry(func() error { return write(ctx, db, 10000+i) }); err != nil {
			t.Fatalf("write %d after the space was freed: %v", i, err)
		}
	}
	if err := retry(func() error { return db.ProbeWrite(ctx) }); err != nil {
		t.Fatalf("write probe after recovery: %v", err)
	}

	// Full again, then a restart after freeing.
	filler = fill(t, dir)
	for i := range 2000 {
		if write(ctx, db, 20000+i) != nil {
			break
		}
	}
	db.Close()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, path, true, log)
	if err != nil {
		t.Fatalf("restart after freeing: %v", err)
	}
	if err := retry(func() error { return write(ctx, db, 30000) }); err != nil {
		t.Fatalf("write after the restart: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var check string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE CAST(payload AS TEXT) = 'payload 30000'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the write after the restart: %d rows, %v", n, err)
	}
}

// write is one small write that grows the WAL by a frame or two: a short
// outbox row (3000 of them fit the database on this disk many times over).
func write(ctx context.Context, db *sqlstore.DB, i int) error {
	return db.Outbox.AddOutbox(ctx, "test", fmt.Appendf(nil, "payload %d", i), time.Now())
}

// retry runs fn until it succeeds, for up to 5 s.
func retry(fn func() error) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
