package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch/internal/testdb"
)

// latchCmd runs a latch command and returns its standard output.
func latchCmd(t *testing.T, env func(string) string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, env, strings.NewReader(stdin), &out, io.Discard)
	return out.String(), err
}

func getStatus(t *testing.T, url string, headers ...string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestUsersAndAPIKeysCommands drives latch users and latch apikeys against
// a running latch serve on each engine (PostgreSQL: the server's session
// cache hears of the command's changes; SQLite: the test turns the cache
// off, since another process's changes reach it only after its TTL).
func TestUsersAndAPIKeysCommands(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			extra := []string{}
			if e.Name == "sqlite" {
				extra = []string{"LATCH_SESSION_CACHE_SIZE", "0"}
			}
			env := testEnv(e.URL(t), extra...)
			base, _ := startServe(t, env)
			app := base + "/_allauth/app/v1"
			const pw, pw2 = "quartz-Meadow-55", "cobalt-River-81"

			out, err := latchCmd(t, env, pw+"\n", "users", "create", "--email", "Ann@Example.com", "--username", "ann", "--password-stdin", "--verified")
			if err != nil || !strings.Contains(out, "created") {
				t.Fatalf("create: %q %v", out, err)
			}
			if _, err := latchCmd(t, env, "", "users", "create", "--email", "ann@example.com"); err == nil || !strings.Contains(err.Error(), "already registered") {
				t.Errorf("duplicate: %v", err)
			}
			if _, err := latchCmd(t, env, "password\n", "users", "create", "--email", "bo@example.com", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "too common") {
				t.Errorf("common password: %v", err)
			}
			if _, err := latchCmd(t, env, "", "users", "create", "--email", "staffer@example.com", "--staff"); err != nil {
				t.Fatal(err)
			}
			out, err = latchCmd(t, env, "", "users", "list", "--sort", "email")
			if err != nil || strings.Count(out, "\n") != 3 || !strings.Contains(out, "ann@example.com") || strings.Index(out, "ann@") > strings.Index(out, "staffer@") {
				t.Errorf("list: %q %v", out, err)
			}
			if out, _ := latchCmd(t, env, "", "users", "list", "--staff"); strings.Contains(out, "ann@") || !strings.Contains(out, "staffer@") {
				t.Errorf("list --staff: %q", out)
			}

			status, body := post(t, app+"/auth/login", "", `{"email":"ann@example.com","password":"`+pw+`"}`)
			if status != 200 {
				t.Fatalf("login: %d %v", status, body)
			}
			token := body["meta"].(map[string]any)["session_token"].(string)

			// Deactivation ends the session at once; activation lets her in again.
			if out, err := latchCmd(t, env, "", "users", "deactivate", "ann@example.com"); err != nil || !strings.Contains(out, "deactivated") {
				t.Fatalf("deactivate: %q %v", out, err)
			}
			if got := getStatus(t, app+"/auth/session", "X-Session-Token", token); got != 410 {
				t.Errorf("session after deactivate: %d, want 410", got)
			}
			if status, _ := post(t, app+"/auth/login", "", `{"email":"ann@example.com","password":"`+pw+`"}`); status != 401 {
				t.Errorf("login while inactive: %d", status)
			}
			if _, err := latchCmd(t, env, "", "users", "activate", "ann"); err != nil {
				t.Fatal(err)
			}
			// set-password, flags after the user.
			if _, err := latchCmd(t, env, pw2+"\n", "users", "set-password", "ann@example.com", "--password-stdin"); err != nil {
				t.Fatal(err)
			}
			if status, _ := post(t, app+"/auth/login", "", `{"email":"ann@example.com","password":"`+pw+`"}`); status != 400 {
				t.Errorf("old password after set-password: %d", status)
			}
			if status, _ := post(t, app+"/auth/login", "", `{"email":"ann@example.com","password":"`+pw2+`"}`); status != 200 {
				t.Errorf("new password: %d", status)
			}
			if _, err := latchCmd(t, env, "", "users", "set-password", "ann@example.com"); err == nil {
				t.Error("set-password without --password-stdin accepted")
			}
			if _, err := latchCmd(t, env, "", "users", "deactivate", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no such user") {
				t.Errorf("unknown user: %v", err)
			}

			// API keys: created once, used on the admin API, listed, revoked.
			key, err := latchCmd(t, env, "", "apikeys", "create", "--name", "ci")
			key = strings.TrimSpace(key)
			if err != nil || !strings.HasPrefix(key, "latch_admin_") {
				t.Fatalf("apikeys create: %q %v", key, err)
			}
			if _, err := latchCmd(t, env, "", "apikeys", "create", "--name", "ci"); err == nil {
				t.Error("a second key named ci")
			}
			admin := base + "/_latch/admin/v1/users"
			if got := getStatus(t, admin, "Authorization", "Bearer "+key); got != 200 {
				t.Errorf("admin API with the key: %d", got)
			}
			if out, _ := latchCmd(t, env, "", "apikeys", "list"); !strings.Contains(out, "ci") || strings.Contains(out, key) {
				t.Errorf("apikeys list: %q", out)
			}
			if out, err := latchCmd(t, env, "", "apikeys", "revoke", "ci"); err != nil || !strings.Contains(out, "revoked") {
				t.Errorf("revoke: %q %v", out, err)
			}
			if got := getStatus(t, admin, "Authorization", "Bearer "+key); got != 401 {
				t.Errorf("admin API with a revoked key: %d", got)
			}

			// Delete: she is gone, her address free.
			if _, err := latchCmd(t, env, "", "users", "delete", "ann"); err != nil {
				t.Fatal(err)
			}
			if status, _ := post(t, app+"/auth/login", "", `{"email":"ann@example.com","password":"`+pw2+`"}`); status != 400 {
				t.Errorf("login after delete: %d", status)
			}
			if out, _ := latchCmd(t, env, "", "users", "list"); strings.Contains(out, "ann@") {
				t.Errorf("list after delete: %q", out)
			}
		})
	}
}
