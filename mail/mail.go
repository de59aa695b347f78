// Package mail renders and sends Latch's outgoing email: address
// confirmations, password resets, sign-in codes and account notices.
//
// A [Mailer] renders a template kind (see below) into a [Message] with a
// subject, a plain-text part and an HTML part, queues it and delivers it in
// the background, so an HTTP request never waits on the mail server.
// Delivery goes over SMTP (smtp:// with STARTTLS when offered, or smtps://
// with implicit TLS) or, for local development, to the console (console:).
// Transient failures are retried with exponential backoff; a message that
// finally cannot be delivered is logged once at error level, naming its kind
// and recipient but never its content.
//
// # Templates
//
// Each kind has three templates, embedded in the binary: <kind>_subject.txt
// and <kind>_message.txt (text/template) and <kind>_message.html
// (html/template, usually built on the shared layout in base.html). An
// operator can replace any of them, base.html included, by putting a file
// with the same name in [Config.TemplateDir]. The kinds and their data are:
//
//   - email_confirmation, email_confirmation_signup: Email; Code or Link (at
//     least one)
//   - password_reset_key: Email, Link; optional Username
//   - password_reset_code: Email, Code
//   - login_code: Email, Code
//   - unknown_account: Email; optional SignupLink
//   - account_already_exists: Email; optional ResetLink
//   - password_changed, password_reset: Email
//   - email_added, email_removed: Email, Address (the address added or
//     removed)
//   - primary_email_changed: Email, OldEmail, NewEmail
//
// The last five are security notifications; each also takes the optional
// Time, IP and UserAgent of the change and a ResetLink.
//
// Every template also gets SiteName ([Config.SiteName], unless the data sets
// its own). Email defaults to the recipient's address. Optional keys that are missing render as "", so templates test
// them with {{if .Link}}; a missing required key makes rendering fail rather
// than send a broken message.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values in [Config].
const (
	defaultTimeout   = 10 * time.Second
	defaultRetries   = 3
	defaultBackoff   = time.Second
	defaultQueueSize = 1000
	defaultSiteName  = "Latch"
)

// maxBackoff caps the doubling retry delay (unless Config.Backoff is larger).
const maxBackoff = time.Minute

// workers is the number of goroutines delivering from the queue.
const workers = 2

// ErrQueueFull is returned by [Mailer.Send] when the delivery queue has no
// room; the message is dropped.
var ErrQueueFull = errors.New("mail: queue full")

// ErrClosed is returned by [Mailer.Send] after [Mailer.Close].
var ErrClosed = errors.New("mail: mailer closed")

// Message is one rendered email.
type Message struct {
	To      string
	Subject string
	Text    string // plain-text part
	HTML    string // HTML part
	Kind    string // template kind, for logs, e.g. "password_reset_key"
}

// Config configures a Mailer. Zero values mean the documented defaults.
type Config struct {
	// URL selects the transport:
	//   - console: prints each message to Out (for local development).
	//   - smtp://[user:pass@]host[:port] (port 25 by default) uses STARTTLS
	//     when the server offers it and plain SMTP otherwise. Add
	//     ?starttls=require to refuse to send without STARTTLS, or
	//     ?starttls=off to never use it.
	//   - smtps://[user:pass@]host[:port] (port 465 by default) uses TLS from
	//     the start (implicit TLS).
	// With a user, the Mailer authenticates with AUTH PLAIN, or LOGIN when
	// the server offers only that. Credentials are only sent over TLS or to
	// a server on localhost.
	URL *url.URL
	// From is the sender address, e.g. "Latch <no-reply@example.com>".
	// Required for SMTP; the console transport defaults to
	// "no-reply@localhost".
	From string
	// SiteName is shown in subjects and bodies; default "Latch".
	SiteName string
	// TemplateDir optionally holds operator overrides: a file there named
	// like an embedded template replaces it.
	TemplateDir string
	// Timeout bounds each SMTP attempt (dial and conversation); default 10s.
	Timeout time.Duration
	// Retries is the number of attempts after the first for transient
	// failures; 0 means the default (3) and a negative value disables
	// retries.
	Retries int
	// Backoff is the delay before the first retry, doubling for each
	// further retry (up to a minute); default 1s.
	Backoff time.Duration
	// QueueSize is how many messages may wait for delivery; default 1000.
	QueueSize int
	// TLSConfig is optional, e.g. for tests that trust a test CA. ServerName
	// defaults to the URL's host.
	TLSConfig *tls.Config
	// Out receives the console transport's output; default os.Stdout.
	Out io.Writer
}

// Mailer renders templates and delivers messages in the background, so a
// request never waits on SMTP. It is safe for concurrent use. Create it with
// [New]; call [Mailer.Close] on shutdown to deliver what is queued and stop
// its workers.
type Mailer struct {
	cfg       Config
	log       *slog.Logger
	templates map[string]*kindTemplates
	transport transport

	mu     sync.RWMutex // guards closed and sends on queue against Close
	closed bool
	queue  chan Message

	ctx       context.Context // canceled when Close gives up waiting
	cancel    context.CancelFunc
	closeOnce sync.Once
	done      chan struct{} // closed when every worker has exited
}

// transport delivers one message; it does not retry.
type transport interface {
	deliver(ctx context.Context, msg Message) error
}

// New validates the configuration, parses every template (embedded and
// overridden) and starts the delivery workers.
func New(cfg Config, log *slog.Logger) (*Mailer, error) {
	if log == nil {
		log = slog.Default()
	}
	applyDefaults(&cfg)

	tr, err := newTransport(&cfg)
	if err != nil {
		return nil, err
	}
	tmpl, err := loadTemplates(cfg.TemplateDir, log)
	if err != nil {
		return nil, err
	}

	return start(cfg, log, tmpl, tr), nil
}

// start creates the Mailer and its delivery workers. cfg must be complete.
func start(cfg Config, log *slog.Logger, tmpl map[string]*kindTemplates, tr transport) *Mailer {
	ctx, cancel := context.WithCancel(context.Background())
	m := &Mailer{
		cfg:       cfg,
		log:       log,
		templates: tmpl,
		transport: tr,
		queue:     make(chan Message, cfg.QueueSize),
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(m.work)
	}
	go func() {
		wg.Wait()
		cancel()
		close(m.done)
	}()
	return m
}

// applyDefaults replaces zero values in cfg with the defaults.
func applyDefaults(cfg *Config) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = defaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = defaultBackoff
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = defaultQueueSize
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if strings.TrimSpace(cfg.SiteName) == "" {
		cfg.SiteName = defaultSiteName
	}
}

// newTransport checks cfg.URL and cfg.From and builds the transport they
// describe. It fills in cfg.From for the console transport.
func newTransport(cfg *Config) (transport, error) {
	u := cfg.URL
	if u == nil {
		return nil, errors.New("mail: no URL configured (use console: or smtp://host:port)")
	}
	switch strings.ToLower(u.Scheme) {
	case "console":
		if cfg.From == "" {
			cfg.From = "no-reply@localhost"
		}
		if _, err := mail.ParseAddress(cfg.From); err != nil {
			return nil, fmt.Errorf("mail: invalid From address %q: %w", cfg.From, err)
		}
		return &consoleTransport{out: cfg.Out, from: cfg.From}, nil
	case "smtp", "smtps":
		return newSMTPTransport(cfg)
	case "":
		return nil, fmt.Errorf("mail: URL %q has no scheme (use console:, smtp:// or smtps://)", u.Redacted())
	default:
		return nil, fmt.Errorf("mail: unsupported URL scheme %q (use console:, smtp:// or smtps://)", u.Scheme)
	}
}

// parsePort returns the URL's port, or def when it has none.
func parsePort(u *url.URL, def int) (int, error) {
	p := u.Port()
	if p == "" {
		return def, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("mail: invalid port %q in URL", p)
	}
	return n, nil
}

// Render returns the message Send would queue (for tests and previews).
func (m *Mailer) Render(kind, to string, data map[string]any) (Message, error) {
	kt, ok := m.templates[kind]
	if !ok {
		return Message{}, fmt.Errorf("mail: unknown template kind %q", kind)
	}
	to = strings.TrimSpace(to)
	addr, err := mail.ParseAddress(to)
	if err != nil {
		return Message{}, fmt.Errorf("mail: %s: invalid recipient address: %w", kind, err)
	}
	d, err := prepareData(kind, kinds[kind], addr, m.cfg.SiteName, data)
	if err != nil {
		return Message{}, err
	}
	subject, text, html, err := kt.render(d)
	if err != nil {
		return Message{}, fmt.Errorf("mail: %s: %w", kind, err)
	}
	return Message{To: to, Subject: subject, Text: text, HTML: html, Kind: kind}, nil
}

// Send renders template kind with data (the Mailer adds "SiteName" to data)
// and queues it; it returns an error only when rendering fails or the queue
// is full (never blocks on the network). After Close it returns ErrClosed.
// ctx only carries values for logging; delivery is not tied to it, so a
// message queued during a request is sent even after the request ends.
func (m *Mailer) Send(ctx context.Context, kind, to string, data map[string]any) error {
	msg, err := m.Render(kind, to, data)
	if err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	select {
	case m.queue <- msg:
		m.log.DebugContext(ctx, "mail: queued", "kind", msg.Kind, "to", msg.To)
		return nil
	default:
		m.log.WarnContext(ctx, "mail: queue full, message dropped", "kind", msg.Kind, "to", msg.To)
		return ErrQueueFull
	}
}

// Close stops accepting messages and waits until the queue is delivered or
// ctx ends. When ctx ends first, pending retries are abandoned, messages
// still queued are logged as not delivered, and Close returns ctx's error.
// Close may be called more than once.
func (m *Mailer) Close(ctx context.Context) error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		close(m.queue)
		m.mu.Unlock()
	})
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		m.cancel()
		return ctx.Err()
	}
}

// work delivers queued messages until the queue is closed and empty.
func (m *Mailer) work() {
	for msg := range m.queue {
		m.deliver(msg)
	}
}

// deliver sends one message, retrying transient failures, and logs the
// outcome.
func (m *Mailer) deliver(msg Message) {
	delay := m.cfg.Backoff
	limit := max(maxBackoff, m.cfg.Backoff)
	for attempt := 1; ; attempt++ {
		if m.ctx.Err() != nil {
			m.log.Error("mail: not delivered: mailer shut down", "kind", msg.Kind, "to", msg.To, "attempts", attempt-1)
			return
		}
		ctx, cancel := context.WithTimeout(m.ctx, m.cfg.Timeout)
		err := m.transport.deliver(ctx, msg)
		cancel()
		if err == nil {
			m.log.Debug("mail: delivered", "kind", msg.Kind, "to", msg.To, "attempts", attempt)
			return
		}

		transient := isTransient(err)
		if !transient || attempt > m.cfg.Retries || m.ctx.Err() != nil {
			m.log.Error("mail: delivery failed", "kind", msg.Kind, "to", msg.To,
				"attempts", attempt, "permanent", !transient, "error", err.Error())
			return
		}
		m.log.Debug("mail: delivery failed, will retry", "kind", msg.Kind, "to", msg.To,
			"attempt", attempt, "retry_in", delay, "error", err.Error())

		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-m.ctx.Done():
			t.Stop()
		}
		delay = min(delay*2, limit)
	}
}
