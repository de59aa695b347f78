package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testdb"
)

// TestWebhooksSurviveKill: with the webhook endpoint away, three signups
// are acknowledged and the process is killed (SIGKILL) with their
// deliveries queued; a new process delivers each once the endpoint
// answers, each event once.
// listedDelivery is a webhook delivery as the admin API lists it.
type listedDelivery struct {
	State     string
	LastError string `json:"last_error"`
	Attempts  int
	Type      string
}

// attemptedAndFailed reports whether every delivery has had an attempt that
// failed and recorded why.
func attemptedAndFailed(ds []listedDelivery) bool {
	for _, d := range ds {
		if d.Attempts == 0 || d.LastError == "" {
			return false
		}
	}
	return true
}

func TestWebhooksSurviveKill(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dbURL := e.URL(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close() // nothing listens there yet: every attempt is refused
			hooks := `[{"url":"http://` + addr + `/hook","secret":"kill-test-secret-0123456789","events":["user.signed_up"]}]`
			key, err := latchCmd(t, testEnv(dbURL), "", "apikeys", "create", "--name", "ops")
			if err != nil {
				t.Fatal(err)
			}
			key = strings.TrimSpace(key)
			p := startProcess(t, "LATCH_DATABASE_URL", dbURL, "LATCH_WEBHOOKS", hooks, "LATCH_RATE_LIMITS", "off")
			client := &http.Client{Timeout: 20 * time.Second}
			const n = 3
			for i := range n {
				res, err := client.Post(p.base+"/_allauth/app/v1/auth/signup", "application/json",
					strings.NewReader(fmt.Sprintf(`{"email":"hook%d@example.com","password":"amber-Falcon-38"}`, i)))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			// The admin API lists them, waiting, with the reason of the failed attempt.
			var list struct{ Data []listedDelivery }
			for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
				req, _ := http.NewRequest("GET", p.base+"/_latch/admin/v1/webhooks/deliveries", nil)
				req.Header.Set("Authorization", "Bearer "+key)
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				json.NewDecoder(res.Body).Decode(&list)
				res.Body.Close()
				// An attempt is counted when it starts and its error recorded
				// when it fails: wait for both on every delivery.
				if len(list.Data) == n && attemptedAndFailed(list.Data) {
					break
				}
			}
			if len(list.Data) != n || list.Data[0].Type != "user.signed_up" || !attemptedAndFailed(list.Data) || list.Data[0].State != "pending" {
				t.Errorf("deliveries listed: %+v", list.Data)
			}
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-p.exited

			var mu sync.Mutex
			seen := map[string]int{}
			ids := map[string]bool{}
			ln, err = net.Listen("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body struct {
					ID   string
					Type string
					User struct{ Email string }
				}
				json.NewDecoder(r.Body).Decode(&body)
				mu.Lock()
				seen[body.User.Email]++
				ids[r.Header.Get("Latch-Event-Id")] = true
				mu.Unlock()
			})}
			go srv.Serve(ln)
			defer srv.Close()
			startProcess(t, "LATCH_DATABASE_URL", dbURL, "LATCH_WEBHOOKS", hooks)
			deadline := time.Now().Add(60 * time.Second)
			for {
				mu.Lock()
				k := len(seen)
				mu.Unlock()
				if k == n || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for i := range n {
				if c := seen[fmt.Sprintf("hook%d@example.com", i)]; c != 1 {
					t.Errorf("hook%d: delivered %d times, want once", i, c)
				}
			}
			if len(ids) != n {
				t.Errorf("%d event ids for %d events", len(ids), n)
			}
		})
	}
}
