package smtptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

const wait = 5 * time.Second

// multipartQP is a multipart/alternative message with quoted-printable parts,
// as most mail libraries write it.
const multipartQP = "From: Sender <sender@example.com>\r\n" +
	"To: rcpt@example.com\r\n" +
	"Subject: =?UTF-8?q?Caf=C3=A9_time?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=\"BOUNDARY\"\r\n" +
	"\r\n" +
	"--BOUNDARY\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Hello caf=C3=A9, this line is long enough that it has to be wrapped with a so=\r\n" +
	"ft line break.\r\n" +
	"Second line.\r\n" +
	"--BOUNDARY\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"<p style=3D\"color:red\">Hello</p>\r\n" +
	"--BOUNDARY--\r\n"

// mixedBase64 nests a base64 multipart/alternative inside multipart/mixed
// next to an attachment.
const mixedBase64 = "From: sender@example.com\r\n" +
	"To: rcpt@example.com\r\n" +
	"Subject: Plain subject\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=OUTER\r\n" +
	"\r\n" +
	"--OUTER\r\n" +
	"Content-Type: multipart/alternative; boundary=INNER\r\n" +
	"\r\n" +
	"--INNER\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"SGVsbG8gZnJvbSBi\r\n" + // "Hello from base64\n", folded
	"YXNlNjQK\r\n" +
	"--INNER\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PGI+Ym9sZDwvYj4=\r\n" + // "<b>bold</b>"
	"--INNER--\r\n" +
	"--OUTER\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Disposition: attachment; filename=notes.txt\r\n" +
	"\r\n" +
	"not the body\r\n" +
	"--OUTER--\r\n"

const plainOnly = "From: sender@example.com\r\n" +
	"To: rcpt@example.com\r\n" +
	"Subject: Just text\r\n" +
	"\r\n" +
	"Only text.\r\n"

func TestParsesMessages(t *testing.T) {
	tests := []struct {
		name             string
		raw              string
		subject          string
		text, html       string
		wantContentTypes bool
	}{
		{
			name:    "multipart/alternative quoted-printable",
			raw:     multipartQP,
			subject: "Café time",
			text:    "Hello café, this line is long enough that it has to be wrapped with a soft line break.\nSecond line.",
			html:    "<p style=\"color:red\">Hello</p>",
		},
		{
			name:    "nested base64 with attachment",
			raw:     mixedBase64,
			subject: "Plain subject",
			text:    "Hello from base64\n",
			html:    "<b>bold</b>",
		},
		{
			name:    "single text part",
			raw:     plainOnly,
			subject: "Just text",
			text:    "Only text.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t)
			if err := smtp.SendMail(s.Addr(), nil, "sender@example.com", []string{"rcpt@example.com"}, []byte(tt.raw)); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			got := s.Wait(t, "rcpt@example.com", wait)
			if got.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", got.Subject, tt.subject)
			}
			if got.Text != tt.text {
				t.Errorf("Text = %q, want %q", got.Text, tt.text)
			}
			if got.HTML != tt.html {
				t.Errorf("HTML = %q, want %q", got.HTML, tt.html)
			}
			if got.From != "sender@example.com" {
				t.Errorf("From = %q", got.From)
			}
			if len(got.To) != 1 || got.To[0] != "rcpt@example.com" {
				t.Errorf("To = %q", got.To)
			}
			if !strings.Contains(string(got.Raw), "Subject:") {
				t.Errorf("Raw lacks headers: %q", got.Raw)
			}
			if len(got.Header["From"]) != 1 {
				t.Errorf("Header[From] = %q", got.Header["From"])
			}
		})
	}
}

func TestURLAndAddr(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Errorf("Addr = %q", s.Addr())
	}
	if s.URL() != "smtp://"+s.Addr() {
		t.Errorf("URL = %q", s.URL())
	}
	if s.TLSConfig() != nil {
		t.Error("TLSConfig without TLS should be nil")
	}
	if got := Start(t, WithImplicitTLS()).URL(); !strings.HasPrefix(got, "smtps://127.0.0.1:") {
		t.Errorf("implicit TLS URL = %q", got)
	}
}

func TestSTARTTLS(t *testing.T) {
	s := Start(t, WithTLS())
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if err := c.StartTLS(s.TLSConfig()); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("connection not encrypted")
	}
	send(t, c, "rcpt@example.com", plainOnly)
	if got := s.Wait(t, "rcpt@example.com", wait); got.Text != "Only text.\n" || !got.TLS {
		t.Errorf("Text = %q, TLS = %v", got.Text, got.TLS)
	}
}

func TestNoSTARTTLSWithoutOption(t *testing.T) {
	s := Start(t)
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered without WithTLS")
	}
}

func TestImplicitTLS(t *testing.T) {
	s := Start(t, WithImplicitTLS())
	conn, err := tls.Dial("tcp", s.Addr(), s.TLSConfig())
	if err != nil {
		t.Fatalf("tls.Dial: %v", err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send(t, c, "rcpt@example.com", plainOnly)
	if got := s.Wait(t, "rcpt@example.com", wait); !got.TLS {
		t.Error("TLS = false over implicit TLS")
	}

	// A client that does not trust the certificate is refused.
	if _, err := tls.Dial("tcp", s.Addr(), &tls.Config{ServerName: "127.0.0.1"}); err == nil {
		t.Error("untrusted client connected")
	}
}

func TestAuth(t *testing.T) {
	s := Start(t, WithAuth("user", "secret"))
	msg := []byte(plainOnly)
	to := []string{"rcpt@example.com"}

	err := smtp.SendMail(s.Addr(), nil, "sender@example.com", to, msg)
	if code := replyCode(err); code/100 != 5 {
		t.Errorf("without AUTH: err = %v, want a 5xx reply", err)
	}
	err = smtp.SendMail(s.Addr(), smtp.PlainAuth("", "user", "wrong", "127.0.0.1"), "sender@example.com", to, msg)
	if code := replyCode(err); code != 535 {
		t.Errorf("wrong password: err = %v, want 535", err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d messages accepted without authentication", n)
	}
	if err := smtp.SendMail(s.Addr(), smtp.PlainAuth("", "user", "secret", "127.0.0.1"), "sender@example.com", to, msg); err != nil {
		t.Fatalf("with AUTH: %v", err)
	}
	if got := s.Wait(t, "rcpt@example.com", wait); got.AuthUser != "user" || got.TLS {
		t.Errorf("AuthUser = %q, TLS = %v", got.AuthUser, got.TLS)
	}
}

func TestFailNext(t *testing.T) {
	for _, code := range []int{421, 451, 550} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			s := Start(t, FailNext(2, code))
			to := []string{"rcpt@example.com"}
			for i := range 2 {
				err := smtp.SendMail(s.Addr(), nil, "sender@example.com", to, []byte(plainOnly))
				if got := replyCode(err); got != code {
					t.Fatalf("attempt %d: err = %v, want reply %d", i+1, err, code)
				}
			}
			if err := smtp.SendMail(s.Addr(), nil, "sender@example.com", to, []byte(plainOnly)); err != nil {
				t.Fatalf("third attempt: %v", err)
			}
			s.Wait(t, "rcpt@example.com", wait)
			if n := s.Transactions(); n != 3 {
				t.Errorf("Transactions = %d, want 3", n)
			}
			if n := len(s.Messages()); n != 1 {
				t.Errorf("%d messages recorded, want 1", n)
			}
		})
	}
}

func TestServerFailNext(t *testing.T) {
	s := Start(t)
	s.FailNext(1, 451)
	to := []string{"rcpt@example.com"}
	if err := smtp.SendMail(s.Addr(), nil, "sender@example.com", to, []byte(plainOnly)); replyCode(err) != 451 {
		t.Fatalf("err = %v, want 451", err)
	}
	if err := smtp.SendMail(s.Addr(), nil, "sender@example.com", to, []byte(plainOnly)); err != nil {
		t.Fatal(err)
	}
}

func TestWaitTakesMessagesInOrder(t *testing.T) {
	s := Start(t)
	for i, to := range []string{"Bob@Example.com", "carol@example.com", "bob@example.com"} {
		raw := fmt.Sprintf("Subject: message %d\r\n\r\nbody %d\r\n", i, i)
		if err := smtp.SendMail(s.Addr(), nil, "sender@example.com", []string{to}, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Wait(t, "BOB@example.com", wait).Subject; got != "message 0" {
		t.Errorf("first Wait = %q, want message 0", got)
	}
	if got := s.Wait(t, "bob@example.com", wait).Subject; got != "message 2" {
		t.Errorf("second Wait = %q, want message 2", got)
	}
	if got := s.Wait(t, "carol@example.com", wait).Subject; got != "message 1" {
		t.Errorf("carol's Wait = %q, want message 1", got)
	}
	if n := len(s.Messages()); n != 3 {
		t.Errorf("Messages() has %d, want 3 (Wait does not remove)", n)
	}
}

func TestWaitBlocksUntilArrival(t *testing.T) {
	s := Start(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = smtp.SendMail(s.Addr(), nil, "sender@example.com", []string{"late@example.com"}, []byte(plainOnly))
	}()
	if got := s.Wait(t, "late@example.com", wait); got.Subject != "Just text" {
		t.Errorf("Subject = %q", got.Subject)
	}
}

// fatalRecorder is a testing.TB that records Fatalf instead of stopping.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
}

func TestWaitTimesOut(t *testing.T) {
	s := Start(t)
	rec := &fatalRecorder{}
	start := time.Now()
	s.Wait(rec, "nobody@example.com", 50*time.Millisecond)
	if rec.msg == "" || !strings.Contains(rec.msg, "nobody@example.com") {
		t.Errorf("Fatalf message = %q", rec.msg)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Error("Wait returned before its timeout")
	}
}

// send sends raw from an already connected client.
func send(t *testing.T, c *smtp.Client, to, raw string) {
	t.Helper()
	if err := c.Mail("sender@example.com"); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatalf("RCPT: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}
}

// replyCode returns the SMTP reply code inside err, or 0.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
