package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch/internal/testdb"
)

// TestImportDjangoCommand runs latch import-django on a small Django-shaped
// SQLite database: the summary line, --dry-run, a second run, skips on
// standard error, and a login with the Django password.
func TestImportDjangoCommand(t *testing.T) {
	src := filepath.Join(t.TempDir(), "django.sqlite3")
	db, err := sql.Open("sqlite", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE auth_user (id integer PRIMARY KEY, password varchar(128) NOT NULL, last_login datetime NULL, is_superuser bool NOT NULL,
			username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL, email varchar(254) NOT NULL,
			is_staff bool NOT NULL, is_active bool NOT NULL, date_joined datetime NOT NULL)`,
		// hashlib.pbkdf2_hmac('sha256', b'password', b'salt', 1000), as Django encodes it.
		`INSERT INTO auth_user VALUES (1, 'pbkdf2_sha256$1000$salt$YywoEuRtRgQQK6dhjp1tfS+BKPYma0oDJk0qBGC33LM=', NULL, 0, 'rita', '', '', 'rita@example.com', 0, 1, '2022-01-02 03:04:05.000000')`,
		`INSERT INTO auth_user VALUES (2, '!x', NULL, 0, '', '', '', '', 0, 1, '2022-01-02 03:04:05.000000')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	env := testEnv(testdb.SQLiteURL(t))
	from := "sqlite:" + src
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--dry-run"}, "dry run: imported 1, updated 0, skipped 1"},
		{nil, "imported 1, updated 0, skipped 1"},
		{nil, "imported 0, updated 1, skipped 1"},
	} {
		out, err := latchCmd(t, env, "", append([]string{"import-django", "--from", from}, c.args...)...)
		if err != nil || !strings.HasPrefix(out, c.want+" (") {
			t.Errorf("import-django %v: %q %v, want %q", c.args, out, err, c.want)
		}
	}
	if _, err := latchCmd(t, env, "", "import-django", "--from", from, "--user-table", "users"); err == nil || !strings.Contains(err.Error(), "no table users") {
		t.Errorf("a missing table: %v", err)
	}
	if _, err := latchCmd(t, env, "", "import-django"); err == nil {
		t.Error("no --from accepted")
	}
	base, _ := startServe(t, env)
	if status, body := post(t, base+"/_allauth/app/v1/auth/login", "", `{"username":"rita","password":"password"}`); status != 200 {
		t.Errorf("login with the Django password: %d %v", status, body)
	}
}
