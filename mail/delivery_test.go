package mail

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/smtptest"
)

const (
	testFrom = "Latch <no-reply@latch.example>"
	testCode = "493817"
	testLink = "https://id.example.com/confirm/secret-key-123"
	waitFor  = 3 * time.Second
)

// lockedBuffer is an io.Writer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the logged lines that contain every one of subs.
func (l *lockedBuffer) lines(subs ...string) []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

func textLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newTest is New with a queue in memory (unless cfg has one) and short
// polls, for the package's tests.
func newTest(cfg Config, log *slog.Logger) (*Mailer, error) {
	if cfg.Queue == nil {
		cfg.Queue = newMemQueue()
	}
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	return New(cfg, log)
}

// closeMailer waits until the queue of m (in memory) has nothing pending,
// then closes m.
func closeMailer(t *testing.T, m *Mailer) {
	t.Helper()
	if q, ok := m.cfg.Queue.(*memQueue); ok {
		q.settle(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// newSMTPMailer returns a Mailer sending to rawURL with tiny timeouts and
// backoffs, logging to logs.
func newSMTPMailer(t *testing.T, rawURL string, logs io.Writer, edit func(*Config)) *Mailer {
	t.Helper()
	cfg := Config{
		URL:      mustURL(t, rawURL),
		From:     testFrom,
		SiteName: "Acme",
		Timeout:  2 * time.Second,
		Backoff:  time.Millisecond,
		RetryFor: 200 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := newTest(cfg, textLogger(logs))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { closeMailer(t, m) })
	return m
}

func TestSMTPDelivery(t *testing.T) {
	tests := []struct {
		name     string
		opts     []smtptest.Option
		url      func(*smtptest.Server) string
		trustTLS bool
		wantTLS  bool
		wantUser string
	}{
		{name: "plain", url: (*smtptest.Server).URL},
		{name: "STARTTLS opportunistic", opts: []smtptest.Option{smtptest.WithTLS()},
			url: (*smtptest.Server).URL, trustTLS: true, wantTLS: true},
		{name: "STARTTLS required", opts: []smtptest.Option{smtptest.WithTLS()},
			url:      func(s *smtptest.Server) string { return s.URL() + "?starttls=require" },
			trustTLS: true, wantTLS: true},
		{name: "STARTTLS off", opts: []smtptest.Option{smtptest.WithTLS()},
			url: func(s *smtptest.Server) string { return s.URL() + "?starttls=off" }},
		{name: "implicit TLS", opts: []smtptest.Option{smtptest.WithImplicitTLS()},
			url: (*smtptest.Server).URL, trustTLS: true, wantTLS: true},
		{name: "AUTH PLAIN", opts: []smtptest.Option{smtptest.WithAuth("latch", "p@ss word")},
			url:      func(s *smtptest.Server) string { return "smtp://latch:p%40ss%20word@" + s.Addr() },
			wantUser: "latch"},
		{name: "AUTH PLAIN after STARTTLS", opts: []smtptest.Option{smtptest.WithTLS(), smtptest.WithAuth("latch", "pw")},
			url:      func(s *smtptest.Server) string { return "smtp://latch:pw@" + s.Addr() + "?starttls=require" },
			trustTLS: true, wantTLS: true, wantUser: "latch"},
		{name: "AUTH over implicit TLS", opts: []smtptest.Option{smtptest.WithImplicitTLS(), smtptest.WithAuth("latch", "pw")},
			url:      func(s *smtptest.Server) string { return "smtps://latch:pw@" + s.Addr() },
			trustTLS: true, wantTLS: true, wantUser: "latch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts...)
			var logs lockedBuffer
			m := newSMTPMailer(t, tt.url(srv), &logs, func(c *Config) {
				if tt.trustTLS {
					c.TLSConfig = srv.TLSConfig()
				}
			})
			if err := m.Send(t.Context(), "email_confirmation", "Alice@Example.com", map[string]any{"Code": testCode, "Link": testLink}); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Wait(t, "alice@example.com", waitFor)

			if got.Subject != "[Acme] Confirm your email address" {
				t.Errorf("Subject = %q", got.Subject)
			}
			for _, part := range []struct{ name, body string }{{"text", got.Text}, {"html", got.HTML}} {
				if !strings.Contains(part.body, testCode) || !strings.Contains(part.body, testLink) {
					t.Errorf("%s part lacks code or link:\n%s", part.name, part.body)
				}
			}
			if !strings.Contains(got.HTML, "<!DOCTYPE html>") {
				t.Errorf("HTML part is not the HTML template:\n%s", got.HTML)
			}
			ct := strings.Join(got.Header["Content-Type"], "")
			if !strings.HasPrefix(ct, "multipart/alternative") {
				t.Errorf("Content-Type = %q, want multipart/alternative", ct)
			}
			if got.From != "no-reply@latch.example" {
				t.Errorf("envelope From = %q", got.From)
			}
			if h := strings.Join(got.Header["From"], ""); !strings.Contains(h, "no-reply@latch.example") || !strings.Contains(h, "Latch") {
				t.Errorf("From header = %q", h)
			}
			if h := strings.Join(got.Header["Message-Id"], ""); !strings.HasSuffix(h, "@latch.example>") {
				t.Errorf("Message-ID = %q", h)
			}
			if h := strings.Join(got.Header["Auto-Submitted"], ""); h != "auto-generated" {
				t.Errorf("Auto-Submitted = %q", h)
			}
			if got.TLS != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", got.TLS, tt.wantTLS)
			}
			if got.AuthUser != tt.wantUser {
				t.Errorf("AuthUser = %q, want %q", got.AuthUser, tt.wantUser)
			}

			closeMailer(t, m)
			if n := len(logs.lines("level=DEBUG", "mail: delivered", "kind=email_confirmation", "to=Alice@Example.com")); n != 1 {
				t.Errorf("%d debug lines for the delivery, want 1; logs:\n%s", n, logs.String())
			}
			if n := len(logs.lines("level=ERROR")); n != 0 {
				t.Errorf("error logged:\n%s", logs.String())
			}
		})
	}
}

func TestTransientFailureRetried(t *testing.T) {
	for _, code := range []int{421, 451} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.FailNext(2, code))
			var logs lockedBuffer
			m := newSMTPMailer(t, srv.URL(), &logs, nil)
			if err := m.Send(t.Context(), "login_code", "bob@example.com", map[string]any{"Code": testCode}); err != nil {
				t.Fatal(err)
			}
			got := srv.Wait(t, "bob@example.com", waitFor)
			if !strings.Contains(got.Text, testCode) {
				t.Errorf("Text:\n%s", got.Text)
			}
			closeMailer(t, m)
			if n := srv.Transactions(); n != 3 {
				t.Errorf("Transactions = %d, want 3 (two rejected, one accepted)", n)
			}
			if len(logs.lines("level=ERROR")) != 0 {
				t.Errorf("error logged although delivered:\n%s", logs.String())
			}
			if len(logs.lines("mail: delivered", "attempts=3")) != 1 {
				t.Errorf("no delivery after 3 attempts logged:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), testCode) {
				t.Errorf("code in logs:\n%s", logs.String())
			}
		})
	}
}

// assertOneFailure checks that logs hold exactly one error line, for kind
// and to, after attempts attempts (0: any number), and that no log line
// carries the message's secrets.
func assertOneFailure(t *testing.T, logs *lockedBuffer, kind, to string, attempts int, secrets ...string) {
	t.Helper()
	errs := logs.lines("level=ERROR")
	if len(errs) != 1 {
		t.Fatalf("%d error lines, want 1; logs:\n%s", len(errs), logs.String())
	}
	line := errs[0]
	wants := []string{"kind=" + kind, "to=" + to, "error="}
	if attempts > 0 {
		wants = append(wants, fmt.Sprintf("attempts=%d", attempts))
	}
	for _, want := range wants {
		if !strings.Contains(line, want) {
			t.Errorf("error line lacks %q: %s", want, line)
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("logs contain %q:\n%s", s, logs.String())
		}
	}
}

func TestPermanentFailureNotRetried(t *testing.T) {
	tests := []struct {
		kind    string
		data    map[string]any
		secrets []string
	}{
		{"login_code", map[string]any{"Code": testCode}, []string{testCode}},
		{"password_reset_key", map[string]any{"Link": testLink, "Username": "carol"}, []string{testLink, "secret-key-123"}},
		{"email_confirmation", map[string]any{"Code": testCode, "Link": testLink}, []string{testCode, testLink}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.FailNext(5, 550))
			var logs lockedBuffer
			m := newSMTPMailer(t, srv.URL(), &logs, nil)
			if err := m.Send(t.Context(), tt.kind, "carol@example.com", tt.data); err != nil {
				t.Fatal(err)
			}
			closeMailer(t, m)

			if n := srv.Transactions(); n != 1 {
				t.Errorf("Transactions = %d, want 1 (5xx is not retried)", n)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages accepted", n)
			}
			assertOneFailure(t, &logs, tt.kind, "carol@example.com", 1, tt.secrets...)
			if line := logs.lines("level=ERROR")[0]; !strings.Contains(line, "550") || !strings.Contains(line, "permanent=true") {
				t.Errorf("error line should give the reply and say it is permanent: %s", line)
			}
		})
	}
}

// TestRetriedUntilRetryFor: transient failures are retried with backoff
// until RetryFor has passed since the message was queued; it is then given
// up, logged once and kept in the queue as failed.
func TestRetriedUntilRetryFor(t *testing.T) {
	srv := smtptest.Start(t, smtptest.FailNext(1000, 451))
	var logs lockedBuffer
	m := newSMTPMailer(t, srv.URL(), &logs, func(c *Config) { c.RetryFor = 100 * time.Millisecond })
	if err := m.Send(t.Context(), "login_code", "dave@example.com", map[string]any{"Code": testCode}); err != nil {
		t.Fatal(err)
	}
	closeMailer(t, m)
	if n := srv.Transactions(); n < 3 {
		t.Errorf("Transactions = %d, want several attempts", n)
	}
	assertOneFailure(t, &logs, "login_code", "dave@example.com", 0, testCode)
	if n := len(logs.lines("level=WARN", "will retry")); n != srv.Transactions()-1 {
		t.Errorf("%d retry lines for %d attempts:\n%s", n, srv.Transactions(), logs.String())
	}
	if p, f := m.cfg.Queue.(*memQueue).counts(); p != 0 || f != 1 {
		t.Errorf("queue: %d pending, %d failed; want 0, 1", p, f)
	}
}

func TestBackoff(t *testing.T) {
	m := &Mailer{cfg: Config{Backoff: time.Second, MaxBackoff: 30 * time.Minute}}
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {11, 1024 * time.Second}, {12, 30 * time.Minute}, {500, 30 * time.Minute}} {
		if got := m.backoff(tt.attempts); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
}

func TestConnectionRefusedRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	var logs lockedBuffer
	m := newSMTPMailer(t, "smtp://"+addr, &logs, func(c *Config) { c.RetryFor = 50 * time.Millisecond })
	if err := m.Send(t.Context(), "login_code", "frank@example.com", map[string]any{"Code": testCode}); err != nil {
		t.Fatalf("Send must not fail on the network: %v", err)
	}
	closeMailer(t, m)
	assertOneFailure(t, &logs, "login_code", "frank@example.com", 0, testCode)
	if line := logs.lines("level=ERROR")[0]; !strings.Contains(line, "permanent=false") {
		t.Errorf("refused connection should count as transient: %s", line)
	}
}

func TestConfigurationFailuresArePermanent(t *testing.T) {
	tests := []struct {
		name string
		opts []smtptest.Option
		url  func(*smtptest.Server) string
	}{
		{"STARTTLS required but not offered", nil,
			func(s *smtptest.Server) string { return s.URL() + "?starttls=require" }},
		{"untrusted certificate", []smtptest.Option{smtptest.WithTLS()}, (*smtptest.Server).URL},
		{"wrong password", []smtptest.Option{smtptest.WithAuth("latch", "right")},
			func(s *smtptest.Server) string { return "smtp://latch:wrong-password@" + s.Addr() }},
		{"server offers no AUTH", nil,
			func(s *smtptest.Server) string { return "smtp://latch:pw@" + s.Addr() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts...)
			var logs lockedBuffer
			m := newSMTPMailer(t, tt.url(srv), &logs, nil) // no TLSConfig: the test CA is not trusted
			if err := m.Send(t.Context(), "login_code", "gina@example.com", map[string]any{"Code": testCode}); err != nil {
				t.Fatal(err)
			}
			closeMailer(t, m)
			assertOneFailure(t, &logs, "login_code", "gina@example.com", 1, testCode, "wrong-password")
			if n := srv.Transactions(); n != 0 {
				t.Errorf("Transactions = %d, want 0", n)
			}
		})
	}
}

// blockingTransport delivers nothing until released.
type blockingTransport struct {
	release chan struct{}
	mu      sync.Mutex
	got     []Message
}

func (b *blockingTransport) deliver(ctx context.Context, msg Message) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, msg)
	return nil
}

func (b *blockingTransport) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.got)
}

// newBlockingMailer returns a Mailer on q whose transport blocks until
// released.
func newBlockingMailer(t *testing.T, q Queue, logs io.Writer) (*Mailer, *blockingTransport) {
	t.Helper()
	cfg := Config{Queue: q, Backoff: time.Millisecond, Timeout: time.Minute, Poll: 5 * time.Millisecond}
	applyDefaults(&cfg)
	tmpl, err := loadTemplates("", discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	tr := &blockingTransport{release: make(chan struct{})}
	return start(cfg, textLogger(logs), tmpl, tr), tr
}

// failingQueue refuses every write, as a database that is away does.
type failingQueue struct{ *memQueue }

var errStoreAway = errors.New("store away")

func (failingQueue) AddOutbox(context.Context, string, []byte, time.Time) error { return errStoreAway }

// TestSendWritesTheQueue: Send returns once the message is in the queue,
// without waiting on delivery, and fails when the queue cannot take it.
func TestSendWritesTheQueue(t *testing.T) {
	q := newMemQueue()
	m, tr := newBlockingMailer(t, q, io.Discard)
	for range 5 {
		if err := m.Send(t.Context(), "password_changed", "hank@example.com", nil); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := q.counts(); p != 5 {
		t.Errorf("%d pending, want 5", p)
	}
	close(tr.release)
	closeMailer(t, m)
	if n := tr.count(); n != 5 {
		t.Errorf("%d delivered, want 5", n)
	}

	f, _ := newBlockingMailer(t, failingQueue{newMemQueue()}, io.Discard)
	defer f.Close(t.Context())
	if err := f.Send(t.Context(), "password_changed", "hank@example.com", nil); !errors.Is(err, errStoreAway) {
		t.Errorf("Send on a failing queue: err = %v, want errStoreAway", err)
	}
}

// TestCloseLeavesTheQueue: Close ends the deliveries in progress when its
// context ends; nothing is lost: every message is still queued and due, and
// the next Mailer on the queue delivers each once.
func TestCloseLeavesTheQueue(t *testing.T) {
	q := newMemQueue()
	var logs lockedBuffer
	m, tr := newBlockingMailer(t, q, &logs)
	for i := range 4 {
		if err := m.Send(t.Context(), "login_code", fmt.Sprintf("ivy%d@example.com", i), map[string]any{"Code": testCode}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // let the workers claim
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: err = %v, want DeadlineExceeded", err)
	}
	select {
	case <-m.done:
	default:
		t.Fatal("workers still running after Close returned")
	}
	if n := tr.count(); n != 0 {
		t.Errorf("%d delivered, want 0", n)
	}
	if n := len(logs.lines("level=ERROR")); n != 0 {
		t.Errorf("error logged although nothing was lost:\n%s", logs.String())
	}
	if p, f := q.counts(); p != 4 || f != 0 {
		t.Fatalf("queue: %d pending, %d failed; want 4, 0", p, f)
	}

	srv := smtptest.Start(t)
	next := newSMTPMailer(t, srv.URL(), io.Discard, func(c *Config) { c.Queue = q })
	for i := range 4 {
		srv.Wait(t, fmt.Sprintf("ivy%d@example.com", i), waitFor)
	}
	closeMailer(t, next)
	if n := len(srv.Messages()); n != 4 {
		t.Errorf("%d messages delivered, want 4", n)
	}
}

func TestConsoleBackend(t *testing.T) {
	var out lockedBuffer
	m := newConsoleMailer(t, Config{SiteName: "Acme", From: testFrom, Out: &out})
	if err := m.Send(t.Context(), "password_reset_key", "jack@example.com", map[string]any{"Link": testLink}); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), "login_code", "jack@example.com", map[string]any{"Code": testCode}); err != nil {
		t.Fatal(err)
	}
	closeMailer(t, m)
	got := out.String()
	for _, want := range []string{
		"==================== mail: password_reset_key ====================",
		"From: " + testFrom,
		"To: jack@example.com",
		"Subject: [Acme] Reset your password",
		"To choose a new password, open this link:\n\n" + testLink,
		"Subject: [Acme] Your sign-in code",
		"    " + testCode,
		"==================== end of mail ====================",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<!DOCTYPE") {
		t.Error("console output should show the text part only")
	}
	if n := strings.Count(got, "end of mail"); n != 2 {
		t.Errorf("%d messages printed, want 2", n)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		url  string // "" for a nil URL
		from string
		ok   bool
	}{
		{"nil URL", "", testFrom, false},
		{"console", "console:", "", true},
		{"console with slashes", "console://", testFrom, true},
		{"smtp", "smtp://mail.example.com:587", testFrom, true},
		{"smtp default port", "smtp://mail.example.com", testFrom, true},
		{"smtp with credentials", "smtp://user:pass@mail.example.com:587?starttls=require", testFrom, true},
		{"smtps", "smtps://mail.example.com", testFrom, true},
		{"starttls opportunistic", "smtp://mail.example.com?starttls=opportunistic", testFrom, true},
		{"starttls off", "smtp://mail.example.com?starttls=off", testFrom, true},
		{"smtp without From", "smtp://mail.example.com:587", "", false},
		{"bad From", "smtp://mail.example.com:587", "not an address", false},
		{"unknown scheme", "http://mail.example.com", testFrom, false},
		{"no scheme", "mail.example.com", testFrom, false},
		{"no host", "smtp://:25", testFrom, false},
		{"bad port", "smtp://mail.example.com:99999", testFrom, false},
		{"bad starttls", "smtp://mail.example.com?starttls=maybe", testFrom, false},
		{"starttls with smtps", "smtps://mail.example.com?starttls=require", testFrom, false},
		{"unknown parameter", "smtp://mail.example.com?tls=1", testFrom, false},
		{"path", "smtp://mail.example.com/x", testFrom, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{From: tt.from, TemplateDir: dir, Out: io.Discard}
			if tt.url != "" {
				cfg.URL = mustURL(t, tt.url)
			}
			m, err := newTest(cfg, discardLogger())
			if tt.ok {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				closeMailer(t, m)
				return
			}
			if err == nil {
				closeMailer(t, m)
				t.Fatal("New accepted an invalid config")
			}
			if strings.Contains(err.Error(), "pass@") {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}

func TestIsTransient(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"421 reply", fmt.Errorf("dial failed: %w", &textproto.Error{Code: 421, Msg: "try later"}), true},
		{"451 reply", &textproto.Error{Code: 451, Msg: "greylisted"}, true},
		{"550 reply", &textproto.Error{Code: 550, Msg: "no such user"}, false},
		{"535 reply", fmt.Errorf("SMTP AUTH failed: %w", &textproto.Error{Code: 535, Msg: "bad credentials"}), false},
		{"connection refused", fmt.Errorf("dial failed: %w", refused), true},
		{"timeout", context.DeadlineExceeded, true},
		{"connection closed", io.EOF, true},
		{"unknown CA", x509.UnknownAuthorityError{}, false},
		{"configuration", errors.New("server does not support SMTP AUTH"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTransient(tt.err); got != tt.want {
				t.Errorf("isTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestNewNeedsAQueue(t *testing.T) {
	if _, err := New(Config{URL: mustURL(t, "console:"), Out: io.Discard}, discardLogger()); err == nil || !strings.Contains(err.Error(), "queue") {
		t.Errorf("New without a queue: err = %v, want one naming the queue", err)
	}
}
