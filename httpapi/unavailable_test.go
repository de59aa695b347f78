package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/latchtest"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/postgres"
)

// post sends a JSON body to the app API without the OpenAPI check of
// client.do (the documents do not list 503 yet) and decodes the answer.
func post(t *testing.T, srv *latchServer, path, body string) (int, http.Header, envelopeBody) {
	t.Helper()
	res, err := http.Post(srv.URL+"/_allauth/app/v1"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var e envelopeBody
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("%s: %d, not JSON: %q", path, res.StatusCode, raw)
	}
	return res.StatusCode, res.Header, e
}

type envelopeBody struct {
	Status int `json:"status"`
	Errors []struct {
		Code string `json:"code"`
	} `json:"errors"`
}

// expectUnavailable checks the answer to a request the store could not serve:
// 503 service_unavailable in the API's error format, with Retry-After.
func expectUnavailable(t *testing.T, srv *latchServer, path, body string) {
	t.Helper()
	status, h, e := post(t, srv, path, body)
	if status != http.StatusServiceUnavailable || e.Status != status || len(e.Errors) != 1 || e.Errors[0].Code != "service_unavailable" {
		t.Fatalf("%s: %d %+v, want 503 service_unavailable", path, status, e)
	}
	if got := h.Get("Retry-After"); got == "" || got == "0" {
		t.Fatalf("Retry-After %q, want a few seconds", got)
	}
	if h.Get("Content-Type") != "application/json" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
}

func creds(email string) string {
	return `{"email":"` + email + `","password":"` + goodPassword + `"}`
}

// A database that cannot answer is a 503 with Retry-After, never a 500; a
// client's mistake is still a 4xx.
func TestStoreUnavailableIs503(t *testing.T) {
	srv := startLatch(t, testdb.OpenSQLite(t))
	if status, _, _ := post(t, srv, "/auth/signup", creds("ann@example.com")); status != 200 {
		t.Fatalf("signup: %d", status)
	}
	srv.db.Close()
	expectUnavailable(t, srv, "/auth/signup", creds("bob@example.com"))
	expectUnavailable(t, srv, "/auth/login", creds("ann@example.com"))
	if status, _, _ := post(t, srv, "/auth/login", `{not json`); status != http.StatusBadRequest {
		t.Fatalf("malformed body with the database away: %d, want 400", status)
	}
}

// A statement that outlasts the request's deadline (LATCH_REQUEST_TIMEOUT)
// answers 503 when the deadline passes, not 500 and not when the database
// lets go.
func TestRequestTimeoutIs503(t *testing.T) {
	url := testdb.PostgresURL(t)
	db, err := postgres.Open(context.Background(), url, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ls := latchtest.Start(t, latchtest.Options{DB: db, Log: io.Discard, NoSessionCache: true,
		HTTP: func(c *httpapi.Config) { c.RequestTimeout = 300 * time.Millisecond }})
	srv := &latchServer{Server: ls.Server, db: ls.DB, smtp: ls.SMTP, keys: ls.Keys, now: time.Now()}
	if status, _, _ := post(t, srv, "/auth/signup", creds("ann@example.com")); status != 200 {
		t.Fatalf("signup: %d", status)
	}

	// Another client holds the users table: every statement reading it waits.
	locker, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	tx, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE users IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/auth/login", "/auth/signup"} {
		start := time.Now()
		expectUnavailable(t, srv, path, creds("bob@example.com"))
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("%s answered after %s with a 300ms request timeout", path, d)
		}
	}
	tx.Rollback()
	if status, _, _ := post(t, srv, "/auth/signup", creds("bob@example.com")); status != 200 {
		t.Fatalf("signup after the lock: %d", status)
	}
	// A client's mistake stays a 4xx.
	if status, _, _ := post(t, srv, "/auth/login", `{"email":"bob@example.com","password":"wrong-password-1"}`); status != http.StatusBadRequest {
		t.Fatalf("wrong password: %d, want 400", status)
	}
}
