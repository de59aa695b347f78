package mail

import (
	"io"
	"testing"

	"github.com/latchauth/latch/internal/smtptest"
)

func TestASCIIDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bob@example.com", "bob@example.com"},
		{"bob@bücher.de", "bob@xn--bcher-kva.de"},
		{"δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp"}, // the local part is left alone
		{"bob@xn--bcher-kva.de", "bob@xn--bcher-kva.de"},
		{"bob@exa_mple.com", "bob@exa_mple.com"}, // not IDNA: unchanged
		{"no-at-sign", "no-at-sign"},
	}
	for _, tt := range tests {
		if got := asciiDomain(tt.in); got != tt.want {
			t.Errorf("asciiDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestIDNRecipientSentASCII: an address stored with a Unicode domain is
// delivered to the domain's A-label form, which SMTP servers without
// SMTPUTF8 accept.
func TestIDNRecipientSentASCII(t *testing.T) {
	srv := smtptest.Start(t)
	m := newSMTPMailer(t, srv.URL(), io.Discard, nil)
	if err := m.Send(t.Context(), "email_confirmation", "bob@bücher.de", map[string]any{"Code": testCode, "Link": testLink}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Wait(t, "bob@xn--bcher-kva.de", waitFor)
	if len(got.To) != 1 || got.To[0] != "bob@xn--bcher-kva.de" {
		t.Errorf("RCPT TO %q", got.To)
	}
	closeMailer(t, m)
}
