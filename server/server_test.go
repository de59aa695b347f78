package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/server"
	"github.com/latchauth/latch/sessioncache"
)

type noMail struct{}

func (noMail) Send(context.Context, string, string, map[string]any) error { return nil }

// TestNew builds a server without signing keys and with the session cache:
// sessions work through the cache, access tokens are refused rather than
// signed by a nil keyring, and the API answers.
func TestNew(t *testing.T) {
	db := testdb.OpenSQLite(t)
	cfg := account.DefaultConfig()
	cfg.RateLimits = nil
	s, err := server.New(server.Parts{DB: db, Account: cfg, Mail: noMail{}, Hasher: password.NewHasher(password.TestParams),
		Limiter: ratelimit.NewMemory(nil), Cache: &sessioncache.Config{Size: 10, TTL: time.Minute}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Cache == nil {
		t.Fatal("no session cache")
	}
	ctx := context.Background()
	client := latch.Client{Kind: latch.App}
	st, err := s.Core.Users.Signup(ctx, &account.State{Client: client}, account.SignupInput{Email: "ann@example.com", Password: "a long enough passphrase"})
	if err != nil || st.NewKey == "" {
		t.Fatalf("signup: %v %+v", err, st)
	}
	if st, err := s.Core.Sessions.Resolve(ctx, client, st.NewKey); err != nil || !st.Authenticated() {
		t.Fatalf("resolve: %v %+v", err, st)
	}
	if err := s.Core.Tokens.IssueTokens(ctx, st); err == nil {
		t.Error("access tokens issued without signing keys")
	}
	w := httptest.NewRecorder()
	s.API.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != http.StatusOK {
		t.Errorf("/readyz: %d %s", w.Code, w.Body)
	}
}
