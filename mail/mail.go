// Package mail renders and sends Latch's outgoing email: address
// confirmations, password resets, sign-in codes and account notices.
//
// A [Mailer] renders a template kind (see below) into a [Message] with a
// subject, a plain-text part and an HTML part and writes it to a durable
// [Queue] (the store's outbox, in the unit of work of the change that asked
// for it); workers deliver it in the background, so an HTTP request never
// waits on the mail server and an acknowledged mail survives a crash, a
// restart or a mail server that is away for hours. Delivery goes over SMTP
// (smtp:// with STARTTLS when offered, or smtps:// with implicit TLS) or,
// for local development, to the console (console:). Transient failures are
// retried with exponential backoff for [Config.RetryFor]; a message that
// finally cannot be delivered is logged once at error level, naming its kind
// and recipient but never its content, and kept in the queue as failed.
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
//   - account_deleted: Email; optional Time
//   - mfa_enabled, mfa_disabled: Email, Factor (the second factor added or
//     removed, in words: "an authenticator app", "a new set of recovery
//     codes")
//
// The last seven are security notifications; each also takes the optional
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
	"encoding/json"
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

	"github.com/latchauth/latch"
)

// Defaults for the zero values in [Config].
const (
	defaultTimeout    = 10 * time.Second
	defaultBackoff    = time.Second
	defaultMaxBackoff = 30 * time.Minute
	defaultRetryFor   = 72 * time.Hour
	defaultPoll       = time.Second
	defaultSiteName   = "Latch"
)

// DefaultBrandColor is the accent colour of mail (and of the web app) unless
// an operator sets one.
const DefaultBrandColor = "#2f5d50"

// topic is the outbox topic of mail.
const topic = "mail"

// workers is the number of goroutines delivering from the queue.
const workers = 2

// Queue is the durable store of messages waiting for delivery: the outbox
// (sqlstore.Outbox). AddOutbox joins the unit of work its context carries.
type Queue interface {
	AddOutbox(ctx context.Context, topic string, payload []byte, at time.Time) error
	// ClaimOutbox returns latch.ErrNotFound when nothing is due.
	ClaimOutbox(ctx context.Context, topic string, now time.Time, lease time.Duration) (*latch.OutboxItem, error)
	DeleteOutbox(ctx context.Context, id int64) error
	RetryOutbox(ctx context.Context, id int64, at time.Time, reason string) error
	FailOutbox(ctx context.Context, id int64, reason string) error
}

// Message is one rendered email.
type Message struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"` // plain-text part
	HTML    string `json:"html"` // HTML part
	Kind    string `json:"kind"` // template kind, for logs, e.g. "password_reset_key"
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
	// BrandColor is the colour of buttons and links (#rrggbb); default
	// DefaultBrandColor, the web app's accent. LogoURL, when set, is an
	// absolute URL of a logo shown beside the site name.
	BrandColor, LogoURL string
	// TemplateDir optionally holds operator overrides: a file there named
	// like an embedded template replaces it.
	TemplateDir string
	// Timeout bounds each SMTP attempt (dial and conversation); default 10s.
	Timeout time.Duration
	// Queue holds the messages until they are delivered; required.
	Queue Queue
	// RetryFor is how long a message is retried after transient failures
	// before it is given up; default 72h.
	RetryFor time.Duration
	// Backoff is the delay before the first retry, doubling for each
	// further retry up to MaxBackoff; defaults 1s and 30m.
	Backoff, MaxBackoff time.Duration
	// Poll is how often an idle worker looks for due messages (other
	// nodes' and retries'; its own node's wake it at once); default 1s.
	Poll time.Duration
	// Lease is how long a claimed message stays hidden from other workers
	// while it is being delivered (after a crash, how long until another
	// worker takes it); default 3×Timeout.
	Lease time.Duration
	// TLSConfig is optional, e.g. for tests that trust a test CA. ServerName
	// defaults to the URL's host.
	TLSConfig *tls.Config
	// Out receives the console transport's output; default os.Stdout.
	Out io.Writer
}

// Mailer renders templates into the queue and delivers them in the
// background, so a request never waits on SMTP. It is safe for concurrent
// use. Create it with [New]; call [Mailer.Close] on shutdown to stop its
// workers (what is queued stays queued for the next start or another node).
type Mailer struct {
	cfg       Config
	log       *slog.Logger
	templates map[string]*kindTemplates
	transport transport
	now       func() time.Time

	wake chan struct{} // a message of this node was queued

	stop      context.Context // canceled by Close: workers take no more messages
	halt      context.CancelFunc
	ctx       context.Context // canceled when Close gives up waiting: deliveries end
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
	if cfg.Queue == nil {
		return nil, errors.New("mail: no queue configured")
	}

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
	stop, halt := context.WithCancel(ctx)
	m := &Mailer{
		cfg:       cfg,
		log:       log,
		templates: tmpl,
		transport: tr,
		now:       time.Now,
		wake:      make(chan struct{}, 1),
		stop:      stop,
		halt:      halt,
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
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = defaultRetryFor
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = defaultBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = defaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.Backoff)
	if cfg.Poll <= 0 {
		cfg.Poll = defaultPoll
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 3 * cfg.Timeout
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if strings.TrimSpace(cfg.SiteName) == "" {
		cfg.SiteName = defaultSiteName
	}
	if cfg.BrandColor == "" {
		cfg.BrandColor = DefaultBrandColor
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
	d, err := prepareData(kind, kinds[kind], addr, brand{m.cfg.SiteName, m.cfg.BrandColor, m.cfg.LogoURL}, data)
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
// and writes it to the queue, in the unit of work ctx carries if any: the
// message is then delivered if and only if that unit commits. It returns an
// error when rendering or the write fails; it never waits on the network.
func (m *Mailer) Send(ctx context.Context, kind, to string, data map[string]any) error {
	msg, err := m.Render(kind, to, data)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("mail: %s: %w", kind, err)
	}
	if err := m.cfg.Queue.AddOutbox(ctx, topic, payload, m.now()); err != nil {
		return fmt.Errorf("mail: queue %s: %w", kind, err)
	}
	latch.AfterCommit(ctx, func() {
		select {
		case m.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	})
	m.log.DebugContext(ctx, "mail: queued", "kind", msg.Kind, "to", msg.To)
	return nil
}

// Close stops the workers: each finishes the delivery it is making, unless
// ctx ends first, when deliveries are abandoned (their messages are made due
// again) and Close returns ctx's error. Messages still queued stay there for
// the next start or another node. Close may be called more than once.
func (m *Mailer) Close(ctx context.Context) error {
	m.closeOnce.Do(m.halt)
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		m.cancel()
		<-m.done
		return ctx.Err()
	}
}

// work claims and delivers due messages until Close.
func (m *Mailer) work() {
	for m.stop.Err() == nil {
		it, err := m.cfg.Queue.ClaimOutbox(m.stop, topic, m.now(), m.cfg.Lease)
		if err == nil {
			m.deliver(it)
			continue
		}
		if !errors.Is(err, latch.ErrNotFound) && m.stop.Err() == nil {
			m.log.Warn("mail: cannot read the queue", "error", err.Error())
		}
		t := time.NewTimer(m.cfg.Poll)
		select {
		case <-t.C:
		case <-m.wake:
			t.Stop()
		case <-m.stop.Done():
			t.Stop()
		}
	}
}

// deliver makes one attempt at a claimed message and records the outcome:
// delivered messages leave the queue, transient failures are retried with
// exponential backoff until RetryFor has passed, others are given up.
func (m *Mailer) deliver(it *latch.OutboxItem) {
	var msg Message
	if err := json.Unmarshal(it.Payload, &msg); err != nil {
		m.log.Error("mail: undeliverable queue entry", "id", it.ID, "error", err.Error())
		m.record(m.cfg.Queue.FailOutbox(m.ctx, it.ID, "unreadable: "+err.Error()), it)
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.Timeout)
	err := m.transport.deliver(ctx, msg)
	cancel()
	if err == nil {
		m.log.Debug("mail: delivered", "kind", msg.Kind, "to", msg.To, "attempts", it.Attempts)
		m.record(m.cfg.Queue.DeleteOutbox(m.ctx, it.ID), it)
		return
	}
	if m.ctx.Err() != nil { // Close gave up waiting: due again at once
		m.log.Warn("mail: delivery abandoned at shutdown", "kind", msg.Kind, "to", msg.To, "attempts", it.Attempts)
		rctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m.record(m.cfg.Queue.RetryOutbox(rctx, it.ID, m.now(), "abandoned at shutdown"), it)
		return
	}
	transient := isTransient(err)
	if !transient || m.now().Sub(it.Created) >= m.cfg.RetryFor {
		m.log.Error("mail: delivery failed", "kind", msg.Kind, "to", msg.To,
			"attempts", it.Attempts, "permanent", !transient, "error", err.Error())
		m.record(m.cfg.Queue.FailOutbox(m.ctx, it.ID, err.Error()), it)
		return
	}
	delay := m.backoff(it.Attempts)
	m.log.Warn("mail: delivery failed, will retry", "kind", msg.Kind, "to", msg.To,
		"attempt", it.Attempts, "retry_in", delay, "error", err.Error())
	m.record(m.cfg.Queue.RetryOutbox(m.ctx, it.ID, m.now().Add(delay), err.Error()), it)
}

// backoff is the delay after the given attempt: Backoff doubled for each
// earlier attempt, at most MaxBackoff.
func (m *Mailer) backoff(attempts int) time.Duration {
	d := m.cfg.Backoff
	for i := 1; i < attempts && d < m.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, m.cfg.MaxBackoff)
}

// record logs a failure to record a delivery's outcome in the queue: the
// message's lease then ends and it is attempted again.
func (m *Mailer) record(err error, it *latch.OutboxItem) {
	if err != nil {
		m.log.Warn("mail: cannot record the delivery outcome; it will be attempted again", "id", it.ID, "error", err.Error())
	}
}
