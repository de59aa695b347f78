package main

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// runImportDjango times `latch import-django` (-import-django N): it writes
// a Django-shaped SQLite database of n users (auth_user with
// pbkdf2_sha256 hashes as Django 5 writes them, and one allauth
// account_emailaddress row each), imports it into a fresh Latch database
// of engine, then imports it again (every user updated), and prints both
// times.
func (h *harness) runImportDjango(ctx context.Context, engine string, n int) error {
	src := filepath.Join(h.tmp, "django-"+engine+".sqlite3")
	start := time.Now()
	if err := writeDjangoDB(ctx, src, n); err != nil {
		return fmt.Errorf("write the Django database: %w", err)
	}
	fmt.Fprintf(h.out, "Django database with %d users written in %s\n", n, time.Since(start).Round(time.Millisecond))
	d, err := h.newDatabase(ctx, engine, "import")
	if err != nil {
		return err
	}
	defer d.cleanup()
	env := h.latchEnv(d, "127.0.0.1:0")
	if err := h.migrate(ctx, env); err != nil {
		return err
	}
	for _, run := range []string{"first run", "second run (updates)"} {
		start := time.Now()
		out, err := runCommand(ctx, filepath.Join(h.bins, latchBinary), []string{"import-django", "--from", "sqlite:" + src}, env)
		if err != nil {
			return fmt.Errorf("latch import-django: %w\n%s", err, out)
		}
		took := time.Since(start)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		fmt.Fprintf(h.out, "import-django, %s, %s: %s in %s (%.0f users/s)\n", engine, run, lines[len(lines)-1], took.Round(time.Millisecond),
			float64(n)/took.Seconds())
	}
	return nil
}

// writeDjangoDB creates a Django-shaped SQLite database with n users.
func writeDjangoDB(ctx context.Context, path string, n int) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL,
			"is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "first_name" varchar(150) NOT NULL, "last_name" varchar(150) NOT NULL,
			"email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL)`,
		`CREATE TABLE "account_emailaddress" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "email" varchar(254) NOT NULL, "verified" bool NOT NULL,
			"primary" bool NOT NULL, "user_id" integer NOT NULL REFERENCES "auth_user" ("id"))`,
		`CREATE INDEX "account_emailaddress_user_id_2c513194" ON "account_emailaddress" ("user_id")`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	userStmt, err := tx.PrepareContext(ctx, `INSERT INTO auth_user (id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
		VALUES ($1, $2, $3, 0, $4, '', '', $5, 0, 1, $6)`)
	if err != nil {
		return err
	}
	emailStmt, err := tx.PrepareContext(ctx, `INSERT INTO account_emailaddress (email, verified, "primary", user_id) VALUES ($1, $2, 1, $3)`)
	if err != nil {
		return err
	}
	joined := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		// Django 5.1's default: 870,000 iterations. The import never
		// verifies it, so one real hash per thousand users is enough.
		salt := fmt.Sprintf("salt%012d", i/1000)
		key, _ := pbkdf2.Key(sha256.New, "bench-password", []byte(salt), 1, 32)
		hash := "pbkdf2_sha256$870000$" + salt + "$" + base64.StdEncoding.EncodeToString(key)
		at := joined.Add(time.Duration(i) * time.Minute).Format("2006-01-02 15:04:05.000000")
		var last any
		if i%3 != 0 {
			last = at
		}
		email := fmt.Sprintf("user%07d@example.com", i)
		if _, err := userStmt.ExecContext(ctx, i, hash, last, fmt.Sprintf("user%07d", i), email, at); err != nil {
			return err
		}
		if _, err := emailStmt.ExecContext(ctx, email, i%2 == 0, i); err != nil {
			return err
		}
	}
	return tx.Commit()
}
