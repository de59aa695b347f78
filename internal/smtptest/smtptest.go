// Package smtptest runs a real, in-process SMTP server for tests.
//
// The server listens on 127.0.0.1 on a free port, speaks SMTP over TCP
// (EHLO, optional STARTTLS or implicit TLS, optional AUTH PLAIN, MAIL, RCPT,
// DATA, QUIT) and records every message it accepts, parsed into its text and
// HTML parts. Tests point the code under test at [Server.URL] and then read
// what arrived with [Server.Wait] or [Server.Messages].
//
//	srv := smtptest.Start(t, smtptest.WithTLS())
//	// ... make the code under test send a message to srv.URL() ...
//	got := srv.Wait(t, "alice@example.com", 5*time.Second)
//
// Options can make the server demand authentication ([WithAuth]) or reject
// transactions with a chosen reply code ([FailNext]) to exercise a client's
// retry logic.
package smtptest

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// maxMessageBytes bounds the size of one accepted message.
const maxMessageBytes = 10 << 20

// Received is one message the server accepted.
type Received struct {
	// From is the envelope sender (the MAIL FROM address).
	From string
	// To holds the envelope recipients (the RCPT TO addresses), in order.
	To []string
	// Subject is the decoded Subject header.
	Subject string
	// Text is the decoded text/plain part, or "" if there is none.
	Text string
	// HTML is the decoded text/html part, or "" if there is none.
	HTML string
	// Header holds the message's top-level header fields, as received.
	Header map[string][]string
	// TLS reports whether the message came over an encrypted connection
	// (STARTTLS or implicit TLS).
	TLS bool
	// AuthUser is the user name the client authenticated as, or "".
	AuthUser string
	// Raw is the message exactly as received after DATA (headers and body).
	Raw []byte
}

// Option configures a Server started by [Start].
type Option func(*options)

type options struct {
	startTLS        bool
	implicitTLS     bool
	user, pass      string
	failN, failCode int
}

// WithTLS makes the server offer STARTTLS with a self-signed certificate for
// 127.0.0.1 and localhost. Clients trust it through [Server.TLSConfig].
func WithTLS() Option {
	return func(o *options) { o.startTLS = true }
}

// WithImplicitTLS makes the server speak TLS from the first byte (SMTPS), with
// the same self-signed certificate as [WithTLS]. [Server.URL] then starts with
// "smtps://".
func WithImplicitTLS() Option {
	return func(o *options) { o.implicitTLS = true }
}

// WithAuth makes the server offer AUTH PLAIN and refuse MAIL FROM until the
// client has authenticated with this user name and password. Wrong
// credentials get a 535 reply.
func WithAuth(user, pass string) Option {
	return func(o *options) { o.user, o.pass = user, pass }
}

// FailNext makes the server reject the next n transactions with the given
// reply code (for example 421 or 451 for a transient failure, 550 for a
// permanent one). The rejection is sent in reply to the end of DATA, after
// the client has sent the whole message. Rejected messages are not recorded.
// It may be passed to [Start] or called later through [Server.FailNext].
func FailNext(n int, code int) Option {
	return func(o *options) { o.failN, o.failCode = n, code }
}

// Server is a real SMTP server on 127.0.0.1 that records every message it
// accepts. It is safe for concurrent use. Create it with [Start].
type Server struct {
	opts   options
	ln     net.Listener
	srv    *smtp.Server
	tlsCfg *tls.Config // client side: trusts the server's certificate
	served chan struct{}

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever a message arrives
	msgs     []Received
	taken    []bool // taken[i]: msgs[i] was returned by Wait
	failLeft int
	failCode int
	txCount  int
}

// Start starts a server listening on 127.0.0.1 on a free port and stops it
// when the test ends (t.Cleanup). It fails the test if the server cannot
// start.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		changed: make(chan struct{}),
		served:  make(chan struct{}),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		opt(&s.opts)
	}
	s.failLeft, s.failCode = s.opts.failN, s.opts.failCode
	if s.opts.startTLS && s.opts.implicitTLS {
		t.Fatal("smtptest: WithTLS and WithImplicitTLS cannot be combined")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}

	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "smtptest.localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)

	if s.opts.startTLS || s.opts.implicitTLS {
		serverCfg, clientCfg, err := selfSigned()
		if err != nil {
			ln.Close()
			t.Fatalf("smtptest: certificate: %v", err)
		}
		s.tlsCfg = clientCfg
		if s.opts.startTLS {
			srv.TLSConfig = serverCfg
		} else {
			ln = tls.NewListener(ln, serverCfg)
		}
	}
	s.ln, s.srv = ln, srv

	go func() {
		defer close(s.served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(s.close)
	return s
}

// close stops the server and waits until it no longer accepts connections.
func (s *Server) close() {
	_ = s.srv.Close()
	// Close the listener too: srv.Close only knows it once Serve has run.
	_ = s.ln.Close()
	<-s.served
}

// Addr returns the server's address as host:port.
func (s *Server) Addr() string {
	return s.ln.Addr().String()
}

// URL returns the server's address as a URL: "smtp://127.0.0.1:PORT", or
// "smtps://127.0.0.1:PORT" with [WithImplicitTLS]. It carries no credentials.
func (s *Server) URL() string {
	scheme := "smtp"
	if s.opts.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + s.Addr()
}

// TLSConfig returns a client TLS configuration that trusts the server's
// self-signed certificate (a RootCAs pool holding it) with ServerName set to
// 127.0.0.1. It returns nil unless the server was started with [WithTLS] or
// [WithImplicitTLS]. Each call returns a new copy.
func (s *Server) TLSConfig() *tls.Config {
	if s.tlsCfg == nil {
		return nil
	}
	return s.tlsCfg.Clone()
}

// FailNext makes the server reject the next n transactions with the given
// reply code, replacing any earlier setting; see the [FailNext] option.
func (s *Server) FailNext(n int, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLeft, s.failCode = n, code
}

// Transactions returns how many transactions (MAIL FROM commands accepted)
// the server has seen, including those rejected later by [FailNext]. Tests
// use it to check how often a client tried.
func (s *Server) Transactions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.txCount
}

// Messages returns a snapshot of every message accepted so far, in order of
// arrival, whether or not [Server.Wait] has taken it.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = m.clone()
	}
	return out
}

// Wait returns the earliest message addressed to to (compared
// case-insensitively with the envelope recipients) that no earlier Wait has
// returned, waiting up to timeout for one to arrive. Each call takes the
// message it returns, so successive calls return successive messages. It
// fails the test (t.Fatalf) on timeout.
func (s *Server) Wait(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if s.taken[i] || !hasRecipient(m.To, to) {
				continue
			}
			s.taken[i] = true
			s.mu.Unlock()
			return m.clone()
		}
		changed := s.changed
		s.mu.Unlock()

		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: no message to %s within %v (%d received in all)", to, timeout, len(s.Messages()))
			return Received{}
		}
	}
}

func hasRecipient(rcpts []string, to string) bool {
	return slices.ContainsFunc(rcpts, func(r string) bool { return strings.EqualFold(r, to) })
}

func (m Received) clone() Received {
	m.To = slices.Clone(m.To)
	m.Raw = slices.Clone(m.Raw)
	if m.Header != nil {
		h := make(map[string][]string, len(m.Header))
		for k, v := range m.Header {
			h[k] = slices.Clone(v)
		}
		m.Header = h
	}
	return m
}

// record stores an accepted message and wakes up waiters.
func (s *Server) record(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	s.taken = append(s.taken, false)
	close(s.changed)
	s.changed = make(chan struct{})
}

// newSession is the go-smtp backend: one session per connection.
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{srv: s, conn: c}, nil
}

// session is one SMTP connection's state. go-smtp starts a new session
// after STARTTLS, so authentication never carries over the upgrade.
type session struct {
	srv      *Server
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms lists PLAIN when the server requires authentication.
func (se *session) AuthMechanisms() []string {
	if se.srv.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth checks PLAIN credentials against those given to WithAuth.
func (se *session) Auth(mech string) (sasl.Server, error) {
	if se.srv.opts.user == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if (identity != "" && identity != user) || user != se.srv.opts.user || pass != se.srv.opts.pass {
			return smtp.ErrAuthFailed
		}
		se.authUser = user
		return nil
	}), nil
}

// Mail starts a transaction.
func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.srv.opts.user != "" && se.authUser == "" {
		return smtp.ErrAuthRequired
	}
	se.srv.mu.Lock()
	se.srv.txCount++
	se.srv.mu.Unlock()
	se.from = from
	se.to = nil
	return nil
}

// Rcpt adds a recipient.
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

// Data reads the message, then accepts and records it or, while FailNext is
// in effect, rejects it.
func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}

	se.srv.mu.Lock()
	code := 0
	if se.srv.failLeft > 0 {
		se.srv.failLeft--
		code = se.srv.failCode
	}
	se.srv.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{
			Code:         code,
			EnhancedCode: smtp.EnhancedCodeNotSet,
			Message:      fmt.Sprintf("smtptest: rejected as asked (FailNext %d)", code),
		}
	}

	m, err := parseMessage(raw)
	if err != nil {
		return &smtp.SMTPError{
			Code:         554,
			EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message:      "smtptest: cannot parse message: " + err.Error(),
		}
	}
	m.From = se.from
	m.To = slices.Clone(se.to)
	_, m.TLS = se.conn.TLSConnectionState()
	m.AuthUser = se.authUser
	se.srv.record(m)
	return nil
}

// Reset ends the current transaction.
func (se *session) Reset() {
	se.from = ""
	se.to = nil
}

// Logout is called when the connection closes.
func (se *session) Logout() error { return nil }
