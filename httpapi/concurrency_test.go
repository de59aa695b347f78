package httpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch/sqlstore"
)

// TestConcurrentSignups: many clients signing up and logging in at once all
// succeed — no "database is locked" reaches a user on SQLite.
func TestConcurrentSignups(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t))
		const n = 24
		var wg sync.WaitGroup
		failures := make(chan string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := newClient(t, srv, "app")
				r := c.do("POST", "/auth/signup", map[string]any{"email": fmt.Sprintf("user%d@example.com", i), "password": goodPassword})
				if r.Status != 200 {
					failures <- r.Raw
					return
				}
				if r := c.do("GET", "/auth/session", nil); r.Status != 200 {
					failures <- r.Raw
				}
			}(i)
		}
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Errorf("concurrent signup failed: %s", f)
		}
	})
}

// TestLogsHoldNoSecrets: the request log never contains passwords, session
// keys or CSRF tokens.
func TestLogsHoldNoSecrets(t *testing.T) {
	var logs syncBuffer
	srv := startLatchLogging(t, openSQLite(t), &logs)
	app := newClient(t, srv, "app")
	app.signup("pia@example.com", "pia")
	token := app.token
	app.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "ember-Quiver-64"})
	b := newClient(t, srv, "browser")
	b.do("POST", "/auth/login", map[string]any{"email": "pia@example.com", "password": "ember-Quiver-64"})
	b.do("POST", "/auth/login", map[string]any{"email": "pia@example.com", "password": "wrong-guess-77"})
	out := logs.String()
	if !strings.Contains(out, "/auth/login") {
		t.Fatalf("requests not logged: %s", out)
	}
	for _, secret := range []string{goodPassword, "ember-Quiver-64", "wrong-guess-77", token, app.token, b.cookie("sessionid"), b.csrf()} {
		if secret != "" && strings.Contains(out, secret) {
			t.Errorf("log contains a secret %q", secret)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
