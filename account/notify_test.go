package account

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/mail"
)

// renderMailer renders what it is given with the real templates instead of
// sending it, and records it.
type renderMailer struct {
	t    *testing.T
	m    *mail.Mailer
	sent []mail.Message
}

func (r *renderMailer) Send(_ context.Context, kind, to string, data map[string]any) error {
	msg, err := r.m.Render(kind, to, data)
	if err != nil {
		r.t.Errorf("%s to %s: %v", kind, to, err)
		return err
	}
	r.sent = append(r.sent, msg)
	return nil
}

// fakeEmails is an EmailStore holding one user's addresses.
type fakeEmails struct {
	EmailStore
	list []latch.EmailAddress
}

func (f fakeEmails) EmailAddresses(context.Context, int64) ([]latch.EmailAddress, error) {
	return f.list, nil
}

// TestEveryNoticeRenders: each notification kind is a mail template kind,
// and the data notify gives it is what the template needs.
func TestEveryNoticeRenders(t *testing.T) {
	u, _ := url.Parse("console:")
	m, err := mail.New(mail.Config{URL: u, Out: &bytes.Buffer{}, Queue: testdb.OpenSQLite(t).Outbox}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	rm := &renderMailer{t: t, m: m}
	cfg := DefaultConfig()
	cfg.Links.RequestReset = "https://id.example.com/reset"
	s := &core{cfg: cfg, mail: rm, log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now,
		emails: fakeEmails{list: []latch.EmailAddress{
			{Email: "a@example.com", Primary: true, Verified: true},
			{Email: "b@example.com", Verified: true},
			{Email: "c@example.com"},
			{Email: "new@example.com"},
		}}}
	user := &latch.User{ID: 7, PublicID: "p-7", Email: "a@example.com"}
	st := &State{Client: latch.Client{IP: "203.0.113.9", UserAgent: "Agent/1"}, User: user}
	want := map[string][]string{
		noticePasswordChanged: {"a@example.com"},
		noticePasswordReset:   {"a@example.com"},
		noticeEmailAdded:      {"a@example.com", "b@example.com"},
		noticeEmailRemoved:    {"a@example.com", "gone@example.com"},
		noticePrimaryChanged:  {"old@example.com"},
		noticeMFAEnabled:      {"a@example.com"},
		noticeMFADisabled:     {"a@example.com"},

		noticeProviderConnected:    {"a@example.com"},
		noticeProviderDisconnected: {"a@example.com"},
	}
	for _, kind := range notices {
		rm.sent = nil
		n := notice{kind: kind, address: "new@example.com"}
		switch kind {
		case noticeEmailRemoved:
			n.address, n.verified = "gone@example.com", true
		case noticeProviderConnected, noticeProviderDisconnected:
			n.provider = "GitHub"
		case noticePrimaryChanged:
			n.previous = "old@example.com"
		case noticeMFAEnabled, noticeMFADisabled:
			n.factor = factorTOTP
		}
		s.notify(context.Background(), st, nil, n)
		var to []string
		for _, msg := range rm.sent {
			to = append(to, msg.To)
			if msg.Kind != kind {
				t.Errorf("%s sent as %s", kind, msg.Kind)
			}
		}
		if len(to) != len(want[kind]) {
			t.Errorf("%s went to %v, want %v", kind, to, want[kind])
			continue
		}
		for i := range to {
			if to[i] != want[kind][i] {
				t.Errorf("%s went to %v, want %v", kind, to, want[kind])
			}
		}
	}
	if len(want) != len(notices) {
		t.Errorf("%d notices, %d checked", len(notices), len(want))
	}

	// Switched off, nothing is sent.
	s.cfg.EmailNotifications = false
	rm.sent = nil
	for _, kind := range notices {
		s.notify(context.Background(), st, nil, notice{kind: kind, address: "new@example.com", previous: "old@example.com"})
	}
	if len(rm.sent) != 0 {
		t.Errorf("sent %d with notifications off", len(rm.sent))
	}
}
