package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/smtptest"
	"github.com/latchauth/latch/internal/testdb"
)

// TestQueuedMailSurvivesKill: with the mail server away, five signups are
// acknowledged; the process is killed (SIGKILL) with their verification
// mails queued; a new process, once a mail server answers, delivers every
// one of them, each once. (Before the outbox, the queue was in memory and a
// kill lost all five.) A mail claimed when the process died is taken again
// once its lease (3×LATCH_EMAIL_TIMEOUT) ends.
func TestQueuedMailSurvivesKill(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dbURL := e.URL(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			away := "smtp://" + ln.Addr().String()
			ln.Close() // nothing listens there: every attempt is refused
			p := startProcess(t, "LATCH_DATABASE_URL", dbURL, "LATCH_EMAIL_URL", away, "LATCH_EMAIL_FROM", "Latch <no-reply@example.com>",
				"LATCH_RATE_LIMITS", "off", "LATCH_EMAIL_TIMEOUT", "1s")
			client := &http.Client{Timeout: 20 * time.Second}
			const n = 5
			for i := range n {
				res, err := client.Post(p.base+"/_allauth/app/v1/auth/signup", "application/json",
					strings.NewReader(fmt.Sprintf(`{"email":"kill%d@example.com","password":"amber-Falcon-38"}`, i)))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 && res.StatusCode != 401 {
					t.Fatalf("signup %d: status %d", i, res.StatusCode)
				}
			}
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-p.exited

			srv := smtptest.Start(t)
			startProcess(t, "LATCH_DATABASE_URL", dbURL, "LATCH_EMAIL_URL", srv.URL(), "LATCH_EMAIL_FROM", "Latch <no-reply@example.com>")
			for i := range n {
				m := srv.Wait(t, fmt.Sprintf("kill%d@example.com", i), 30*time.Second)
				if !strings.Contains(m.Subject, "onfirm") {
					t.Errorf("mail to kill%d: subject %q", i, m.Subject)
				}
			}
			time.Sleep(300 * time.Millisecond) // a duplicate would arrive by now
			if got := len(srv.Messages()); got != n {
				t.Errorf("%d mails delivered, want %d (each once)", got, n)
			}
		})
	}
}
