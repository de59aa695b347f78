package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/smtptest"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/redis"
)

// testEnv is a cheap-hashing configuration on a fresh database.
func testEnv(dbURL string, extra ...string) func(string) string {
	m := map[string]string{
		"LATCH_ADDR":              "127.0.0.1:0",
		"LATCH_DATABASE_URL":      dbURL,
		"LATCH_SECRET_KEY":        strings.Repeat("k", 40),
		"LATCH_ARGON2_MEMORY_KIB": "64",
		"LATCH_ARGON2_ITERATIONS": "1",
		"LATCH_LOG_LEVEL":         "warn",
		"LATCH_SHUTDOWN_DELAY":    "0",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return func(k string) string { return m[k] }
}

// startServe runs `latch serve` through the real entry point and returns
// its base URL and a function that stops it (as SIGTERM does) and waits.
func startServe(t *testing.T, getenv func(string) string) (string, func()) {
	t.Helper()
	return startServeLogging(t, getenv, io.Discard)
}

// startServeLogging is startServe with the server's log written to logs.
func startServeLogging(t *testing.T, getenv func(string) string, logs io.Writer) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, getenv, strings.NewReader(""), pw, logs)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve printed nothing: %v (exit: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`http://(\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve exited with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop within 10s")
		}
	}
	t.Cleanup(stop)
	return "http://" + m[1], stop
}

func post(t *testing.T, url, token string, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Session-Token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, out
}

// TestServeRestartKeepsData: what was acknowledged before a restart is there
// after it, on each engine.
func TestServeRestartKeepsData(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			env := testEnv(e.URL(t))
			base, stop := startServe(t, env)
			api := base + "/_allauth/app/v1"
			status, body := post(t, api+"/auth/signup", "", `{"email":"rita@example.com","username":"rita","password":"amber-Falcon-38"}`)
			if status != 200 {
				t.Fatalf("signup: %d %v", status, body)
			}
			token := body["meta"].(map[string]any)["session_token"].(string)
			stop()

			base, _ = startServe(t, env)
			api = base + "/_allauth/app/v1"
			req, _ := http.NewRequest("GET", api+"/auth/session", nil)
			req.Header.Set("X-Session-Token", token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("session after restart: %d", res.StatusCode)
			}
			if status, body := post(t, api+"/auth/login", "", `{"username":"rita","password":"amber-Falcon-38"}`); status != 200 {
				t.Errorf("login after restart: %d %v", status, body)
			}
		})
	}
}

func TestCreateSuperuser(t *testing.T) {
	dbURL := testdb.SQLiteURL(t)
	env := testEnv(dbURL)
	var out bytes.Buffer
	err := run(context.Background(), []string{"createsuperuser", "--email", "Root@Example.com", "--username", "root", "--password-stdin"},
		env, strings.NewReader("quartz-Meadow-55\n"), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "root@example.com") {
		t.Errorf("output: %q", out.String())
	}
	err = run(context.Background(), []string{"createsuperuser", "--email", "root@example.com", "--password-stdin"},
		env, strings.NewReader("quartz-Meadow-55\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("duplicate superuser: %v", err)
	}
	err = run(context.Background(), []string{"createsuperuser", "--email", "x@example.com", "--password-stdin"},
		env, strings.NewReader("password\n"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "too common") {
		t.Errorf("common password accepted: %v", err)
	}
	err = run(context.Background(), []string{"createsuperuser"}, env, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Errorf("non-terminal interactive run: %v", err)
	}

	base, _ := startServe(t, env)
	status, body := post(t, base+"/_allauth/app/v1/auth/login", "", `{"email":"root@example.com","password":"quartz-Meadow-55"}`)
	if status != 200 {
		t.Fatalf("superuser login: %d %v", status, body)
	}
}

func TestMigrateCommand(t *testing.T) {
	env := testEnv(testdb.SQLiteURL(t))
	entries, _ := os.ReadDir("../../sqlite/migrations")
	for i, want := range []string{fmt.Sprintf("Applied %d migration", len(entries)), "Applied 0 migration"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate"}, env, nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("run %d: %q, want %q", i, out.String(), want)
		}
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct{ name, value string }{
		{"LATCH_ADDR", "nonsense"},
		{"LATCH_DATABASE_URL", "mysql://x"},
		{"LATCH_SECRET_KEY", "short"},
		{"LATCH_PUBLIC_URL", "ftp://x"},
		{"LATCH_EMAIL_URL", "smtp://host"},
		{"LATCH_EMAIL_VERIFICATION", "sometimes"},
		{"LATCH_LOGIN_METHODS", "phone"},
		{"LATCH_CORS_ALLOWED_ORIGINS", "localhost:5173"},
		{"LATCH_APP_TOKEN_STRATEGY", "cookie"},
		{"LATCH_SESSION_TTL", "2 weeks"},
		{"LATCH_RATE_LIMITS", "login=many"},
		{"LATCH_COOKIE_SAMESITE", "none"},
		{"LATCH_LOGIN_BY_CODE", "yes"},
		{"LATCH_COMPAT", "rails"},
		{"LATCH_REDIS_URL", "http://127.0.0.1:6379"},
		{"LATCH_JWT_ALGORITHM", "HS256"},
		{"LATCH_JWT_REFRESH_GRACE", "1h"},
		{"LATCH_FRONTEND_PATHS", "verify_email=/verify"},
		{"LATCH_ADDR", "127.0.0.1:99999"},
		{"LATCH_ADDR", "bad_host!:8000"},
		{"LATCH_PASSWORD_RESET_LINK_TTL", "soon"},
		{"LATCH_EMAIL_VERIFICATION_LINK_TTL", "-1h"},
	}
	for _, tt := range tests {
		file := filepath.Join(t.TempDir(), "x.db")
		err := run(context.Background(), []string{"serve"}, testEnv("sqlite:"+file, tt.name, tt.value),
			nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s=%q: error %v does not name the variable", tt.name, tt.value, err)
		}
		if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s=%q: the database was created before the setting was refused", tt.name, tt.value)
		}
	}
}

func TestHTTPSWithConsoleMailerRefused(t *testing.T) {
	env := map[string]string{"LATCH_PUBLIC_URL": "https://auth.example.com"}
	getenv := func(k string) string { return env[k] }
	if _, err := loadConfig(getenv); err == nil || !strings.Contains(err.Error(), "LATCH_EMAIL_URL") {
		t.Errorf("https public URL with the default console mailer: %v, want a refusal naming LATCH_EMAIL_URL", err)
	}
	env["LATCH_EMAIL_URL"] = "console:"
	if _, err := loadConfig(getenv); err != nil {
		t.Errorf("with LATCH_EMAIL_URL=console: set explicitly: %v", err)
	}
}

func TestLinkLifetimesAndTouchInterval(t *testing.T) {
	tests := []struct {
		env                  map[string]string
		reset, verify, touch time.Duration
	}{
		{map[string]string{}, time.Hour, 24 * time.Hour, time.Minute},
		{map[string]string{"LATCH_SESSION_TTL": "5m", "LATCH_PASSWORD_RESET_LINK_TTL": "30m", "LATCH_EMAIL_VERIFICATION_LINK_TTL": "72h"},
			30 * time.Minute, 72 * time.Hour, 30 * time.Second},
	}
	for _, tt := range tests {
		c, err := loadConfig(func(k string) string { return tt.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if a := c.Account; a.ResetLinkTTL != tt.reset || a.VerificationLinkTTL != tt.verify || a.TouchInterval != tt.touch {
			t.Errorf("%v: reset %v, verify %v, touch %v; want %v, %v, %v", tt.env, a.ResetLinkTTL, a.VerificationLinkTTL, a.TouchInterval, tt.reset, tt.verify, tt.touch)
		}
	}
}

func TestUnknownSettingsNameTheNearest(t *testing.T) {
	got := unknownSettings([]string{"LATCH_DATABSE_URL=postgres://x", "LATCH_ADDR=:1", "LATCH_TEST_POSTGRES_URL=x", "PATH=/bin", "LATCH_EMAL_URL=smtp://x:1"})
	want := []string{
		"unknown setting LATCH_DATABSE_URL is ignored; did you mean LATCH_DATABASE_URL?",
		"unknown setting LATCH_EMAL_URL is ignored; did you mean LATCH_EMAIL_URL?",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHelpAndVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, os.Getenv, nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "latch ") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
	out.Reset()
	run(context.Background(), []string{"serve", "--help"}, os.Getenv, nil, &out, io.Discard)
	for _, s := range settings {
		if !strings.Contains(out.String(), s.name) {
			t.Errorf("serve --help does not list %s", s.name)
		}
	}
	for _, cmd := range []string{"migrate", "createsuperuser", "version"} {
		out.Reset()
		run(context.Background(), []string{cmd, "--help"}, os.Getenv, nil, &out, io.Discard)
		if !strings.Contains(out.String(), "Usage: latch "+cmd) {
			t.Errorf("%s --help: %q", cmd, out.String())
		}
	}
	if err := run(context.Background(), []string{"bogus"}, os.Getenv, nil, io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
}

// TestServeMailsOverSMTP runs the real server against an SMTP server the
// test starts: a code-login request arrives as a real SMTP message, and the
// code in it logs the user in.
func TestServeMailsOverSMTP(t *testing.T) {
	smtp := smtptest.Start(t)
	base, _ := startServe(t, testEnv(testdb.SQLiteURL(t), "LATCH_EMAIL_URL", smtp.URL(), "LATCH_LOGIN_BY_CODE", "true",
		"LATCH_EMAIL_FROM", "Example <auth@example.com>", "LATCH_SITE_NAME", "Example"))
	api := base + "/_allauth/app/v1"
	if status, body := post(t, api+"/auth/signup", "", `{"email":"sol@example.com","password":"amber-Falcon-38"}`); status != 200 {
		t.Fatalf("signup: %d %v", status, body)
	}
	m := smtp.Wait(t, "sol@example.com", 5*time.Second)
	if m.From != "auth@example.com" || !strings.Contains(m.Subject, "Example") || !strings.Contains(m.Text, base+"/account/verify-email/") {
		t.Errorf("verification mail: from %q, subject %q, text %s", m.From, m.Subject, m.Text)
	}
	status, body := post(t, api+"/auth/code/request", "", `{"email":"sol@example.com"}`)
	if status != 401 {
		t.Fatalf("code request: %d %v", status, body)
	}
	token := body["meta"].(map[string]any)["session_token"].(string)
	code := regexp.MustCompile(`[A-Z]{4}-[A-Z]{4}`).FindString(smtp.Wait(t, "sol@example.com", 5*time.Second).Text)
	if status, body := post(t, api+"/auth/code/confirm", token, `{"code":"`+code+`"}`); status != 200 {
		t.Errorf("code confirm: %d %v", status, body)
	}
}

// TestServeJWT: an app client gets tokens from the real server, a separate
// verifier checks them against the JWKS alone, refresh rotates, and
// `latch keys rotate` adds a key that the JWKS then publishes.
func TestServeJWT(t *testing.T) {
	dbURL := testdb.SQLiteURL(t)
	env := testEnv(dbURL, "LATCH_APP_TOKEN_STRATEGY", "jwt")
	base, _ := startServe(t, env)
	api := base + "/_allauth/app/v1"
	status, body := post(t, api+"/auth/signup", "", `{"email":"uli@example.com","password":"amber-Falcon-38"}`)
	if status != 200 {
		t.Fatalf("signup: %d %v", status, body)
	}
	meta := body["meta"].(map[string]any)
	access, refresh := meta["access_token"].(string), meta["refresh_token"].(string)

	jwks := func() *jwt.KeySet {
		res, err := http.Get(base + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		ks, err := jwt.ParseJWKS(b)
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}
	if c, err := jwks().Verify(access, time.Now(), 0, base, base); err != nil || c.Email != "uli@example.com" {
		t.Fatalf("verify against the JWKS: %+v, %v", c, err)
	}
	status, body = post(t, api+"/tokens/refresh", "", `{"refresh_token":"`+refresh+`"}`)
	if status != 200 || body["data"].(map[string]any)["refresh_token"] == refresh {
		t.Fatalf("refresh: %d %v", status, body)
	}

	var out bytes.Buffer
	if err := run(context.Background(), []string{"keys", "rotate"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"keys", "list"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("keys list after a rotation: %q", out.String())
	}
}

// TestServeWithRedis: two nodes with LATCH_REDIS_URL share the login budget.
func TestServeWithRedis(t *testing.T) {
	url := os.Getenv("LATCH_TEST_REDIS_URL")
	if url == "" {
		t.Skip("set LATCH_TEST_REDIS_URL to run the Redis test")
	}
	dbURL := testdb.SQLiteURL(t)
	prefixRand := fmt.Sprintf("%d", time.Now().UnixNano())
	env := testEnv(dbURL, "LATCH_REDIS_URL", url, "LATCH_RATE_LIMITS", "login=3/m/ip;login_failed=;signup=", "LATCH_SITE_NAME", prefixRand)
	// Start from an empty budget: earlier runs spent this IP's in Redis.
	rl, err := redis.Open(context.Background(), url, "latch:rl:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	if err := rl.Reset(context.Background(), "login:ip:127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	a, _ := startServe(t, env)
	b, _ := startServe(t, env)
	statuses := []int{}
	for i, base := range []string{a, b, a, b} {
		status, _ := post(t, base+"/_allauth/app/v1/auth/login", "", `{"email":"n`+prefixRand+fmt.Sprint(i)+`@example.com","password":"x"}`)
		statuses = append(statuses, status)
	}
	if fmt.Sprint(statuses) != "[400 400 400 429]" {
		t.Errorf("login statuses across two nodes = %v, want the fourth refused", statuses)
	}
}

// TestServeNodesShareRevocation: two `latch serve` nodes on one PostgreSQL
// database, each with its session cache. A session both have checked (and
// so cached) ends on both the moment it is logged out on one.
func TestServeNodesShareRevocation(t *testing.T) {
	env := testEnv(testdb.PostgresURL(t))
	a, _ := startServe(t, env)
	b, _ := startServe(t, env)
	status, body := post(t, a+"/_allauth/app/v1/auth/signup", "", `{"email":"vera@example.com","password":"amber-Falcon-38"}`)
	if status != 200 {
		t.Fatalf("signup: %d %v", status, body)
	}
	token := body["meta"].(map[string]any)["session_token"].(string)
	check := func(base string) int {
		req, _ := http.NewRequest("GET", base+"/_allauth/app/v1/auth/session", nil)
		req.Header.Set("X-Session-Token", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for range 3 {
		if check(a) != 200 || check(b) != 200 {
			t.Fatal("the new session does not check out on both nodes")
		}
	}
	req, _ := http.NewRequest("DELETE", a+"/_allauth/app/v1/auth/session", nil)
	req.Header.Set("X-Session-Token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	// NOTIFY arrives asynchronously: allow it a moment, far below the TTL.
	deadline := time.Now().Add(2 * time.Second)
	for check(b) != 410 {
		if time.Now().After(deadline) {
			t.Fatal("node b still accepts the session logged out on node a")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	env := testEnv("sqlite:"+filepath.Join(dir, "latch.db"), "LATCH_LOG_LEVEL", "error")
	if err := run(context.Background(), []string{"migrate"}, env, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.db")
	if err := run(context.Background(), []string{"backup", out}, env, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v", fi, err)
	}
	if err := run(context.Background(), []string{"backup", out}, env, nil, io.Discard, io.Discard); err == nil {
		t.Error("a backup over an existing file was not refused")
	}
	pg := testEnv("postgres://nobody@127.0.0.1:1/x", "LATCH_LOG_LEVEL", "error")
	if err := run(context.Background(), []string{"backup", filepath.Join(dir, "pg.db")}, pg, nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("PostgreSQL backup: %v, want a pg_dump hint", err)
	}
}
