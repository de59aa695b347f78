// Package webhook delivers the core's security events to the operator's
// endpoints (LATCH_WEBHOOKS) as signed JSON POSTs. The event sink writes
// one outbox row per subscribed endpoint in the unit of work of the change
// (so an event is delivered if and only if its change committed, and
// survives a crash or restart); workers on every node claim the rows one
// at a time (PostgreSQL: FOR UPDATE SKIP LOCKED), deliver them, and retry
// failures with exponential backoff.
//
// Each delivery is a POST of
//
//	{"id", "type", "at", "user": {"id", "email", "username"} | null, "data": {…}}
//
// with the headers Latch-Event-Id (the same on every retry) and
// Latch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"
// keyed with the endpoint's secret>.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchauth/latch"
)

// Topic is the outbox topic of webhook deliveries.
const Topic = "webhook"

// Endpoint is one entry of LATCH_WEBHOOKS.
type Endpoint struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events"` // event types; "*" is every one
}

// Parse reads LATCH_WEBHOOKS: a JSON array of endpoints, inline or the path
// of a file holding one. known lists the event types that may be named.
func Parse(value string, known []string) ([]Endpoint, error) {
	text := strings.TrimSpace(value)
	if text == "" {
		return nil, nil
	}
	if !strings.HasPrefix(text, "[") {
		b, err := os.ReadFile(text)
		if err != nil {
			return nil, fmt.Errorf("read webhooks file: %w", err)
		}
		text = string(b)
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var list []Endpoint
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("not a JSON array of {url, secret, events}: %w", err)
	}
	for i, e := range list {
		u, err := url.Parse(e.URL)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return nil, fmt.Errorf("webhook %d: url must be http(s)://host/…", i)
		case len(e.Secret) < 16:
			return nil, fmt.Errorf("webhook %d: secret must be at least 16 characters", i)
		case len(e.Events) == 0:
			return nil, fmt.Errorf("webhook %d: events must name at least one event type (or \"*\")", i)
		}
		for _, ev := range e.Events {
			if ev != "*" && !slices.Contains(known, ev) {
				return nil, fmt.Errorf("webhook %d: unknown event type %q", i, ev)
			}
		}
	}
	return list, nil
}

func (e Endpoint) wants(typ string) bool {
	return slices.Contains(e.Events, "*") || slices.Contains(e.Events, typ)
}

// Outbox is the durable queue (sqlstore.Outbox).
type Outbox interface {
	AddOutbox(ctx context.Context, topic string, payload []byte, at time.Time) error
	ClaimOutbox(ctx context.Context, topic string, now time.Time, lease time.Duration) (*latch.OutboxItem, error)
	DeleteOutbox(ctx context.Context, id int64) error
	RetryOutbox(ctx context.Context, id int64, at time.Time, reason string) error
	FailOutbox(ctx context.Context, id int64, reason string) error
}

// Body is the JSON body of a delivery.
type Body struct {
	ID   string            `json:"id"`
	Type string            `json:"type"`
	At   string            `json:"at"`
	User *BodyUser         `json:"user"`
	Data map[string]string `json:"data"`
}

// BodyUser is the user an event is about.
type BodyUser struct {
	ID       string  `json:"id"`
	Email    *string `json:"email"`
	Username *string `json:"username"`
}

// item is an outbox row: which endpoint, and the body to sign and send.
type item struct {
	Endpoint int             `json:"endpoint"`
	URL      string          `json:"url"` // to tell a reordered configuration
	EventID  string          `json:"event_id"`
	Body     json.RawMessage `json:"body"`
}

// Sink is the event sink that queues deliveries (account.EventSink).
type Sink struct {
	endpoints []Endpoint
	outbox    Outbox
	wake      func()
}

// NewSink returns the sink for endpoints; wake, unless nil, is called after
// a commit that queued deliveries (the local workers start at once).
func NewSink(endpoints []Endpoint, outbox Outbox, wake func()) *Sink {
	return &Sink{endpoints: endpoints, outbox: outbox, wake: wake}
}

// Record queues one delivery per endpoint subscribed to e's type, in the
// unit of work of ctx.
func (s *Sink) Record(ctx context.Context, e *latch.Event) error {
	var body []byte
	var id string
	queued := false
	for i, ep := range s.endpoints {
		if !ep.wants(e.Type) {
			continue
		}
		if body == nil {
			var err error
			if id, body, err = encode(e); err != nil {
				return err
			}
		}
		payload, err := json.Marshal(item{Endpoint: i, URL: ep.URL, EventID: id, Body: body})
		if err != nil {
			return err
		}
		if err := s.outbox.AddOutbox(ctx, Topic, payload, e.At); err != nil {
			return fmt.Errorf("queue webhook: %w", err)
		}
		queued = true
	}
	if queued && s.wake != nil {
		latch.AfterCommit(ctx, s.wake)
	}
	return nil
}

func encode(e *latch.Event) (string, []byte, error) {
	var b [16]byte
	rand.Read(b[:])
	id := "evt_" + hex.EncodeToString(b[:])
	body := Body{ID: id, Type: e.Type, At: e.At.UTC().Format(time.RFC3339Nano), Data: map[string]string{}}
	if e.User != nil && e.User.PublicID != "" {
		body.User = &BodyUser{ID: e.User.PublicID, Email: orNull(e.User.Email), Username: orNull(e.User.Username)}
	}
	for _, f := range e.Data {
		body.Data[f.Key] = f.Value
	}
	out, err := json.Marshal(body)
	return id, out, err
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Sign returns the Latch-Signature header of body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Config shapes the deliverer.
type Config struct {
	Endpoints []Endpoint
	Outbox    Outbox
	Client    *http.Client  // default: 10 s timeout
	Workers   int           // default 2
	Backoff   time.Duration // first retry delay, doubling; default 5 s
	// MaxBackoff bounds the delay; default 1 h.
	MaxBackoff time.Duration
	// RetryFor is how long a delivery is retried before it is given up;
	// default 24 h.
	RetryFor time.Duration
	Poll     time.Duration // how often idle workers look for due rows; default 1 s
	Log      *slog.Logger
	Now      func() time.Time
	// Observe, unless nil, is told each attempt's outcome: "delivered",
	// "retry" or "failed" (for metrics).
	Observe func(result string)
}

// Deliverer runs the delivery workers.
type Deliverer struct {
	cfg    Config
	wake   chan struct{}
	stop   context.CancelFunc
	ctx    context.Context
	wg     sync.WaitGroup
	lease  time.Duration
	closed sync.Once
}

// Start starts the workers; Close stops them.
func Start(cfg Config) *Deliverer {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = 24 * time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, stop := context.WithCancel(context.Background())
	d := &Deliverer{cfg: cfg, wake: make(chan struct{}, cfg.Workers), ctx: ctx, stop: stop,
		lease: 3*cfg.Client.Timeout + time.Second}
	for range cfg.Workers {
		d.wg.Go(d.work)
	}
	return d
}

// Wake makes idle workers look for due deliveries at once.
func (d *Deliverer) Wake() {
	for range d.cfg.Workers {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// Close stops the workers after their current attempt; what is left stays
// in the outbox for the next start (or another node).
func (d *Deliverer) Close() {
	d.closed.Do(func() {
		d.stop()
		d.wg.Wait()
	})
}

func (d *Deliverer) work() {
	for d.ctx.Err() == nil {
		it, err := d.cfg.Outbox.ClaimOutbox(d.ctx, Topic, d.cfg.Now(), d.lease)
		if err == nil {
			d.deliver(it)
			continue
		}
		if !errors.Is(err, latch.ErrNotFound) && d.ctx.Err() == nil {
			d.cfg.Log.Warn("webhook: cannot read the outbox", "error", err.Error())
		}
		t := time.NewTimer(d.cfg.Poll)
		select {
		case <-t.C:
		case <-d.wake:
			t.Stop()
		case <-d.ctx.Done():
			t.Stop()
		}
	}
}

func (d *Deliverer) observe(result string) {
	if d.cfg.Observe != nil {
		d.cfg.Observe(result)
	}
}

// deliver makes one attempt and records its outcome in the outbox.
func (d *Deliverer) deliver(it *latch.OutboxItem) {
	var x item
	log := d.cfg.Log
	if err := json.Unmarshal(it.Payload, &x); err != nil || x.Endpoint < 0 || x.Endpoint >= len(d.cfg.Endpoints) || d.cfg.Endpoints[x.Endpoint].URL != x.URL {
		// The endpoint left the configuration since.
		log.Warn("webhook: delivery for an endpoint no longer configured, dropped", "id", it.ID)
		d.record(d.cfg.Outbox.FailOutbox(d.ctx, it.ID, "endpoint no longer configured"))
		d.observe("failed")
		return
	}
	ep := d.cfg.Endpoints[x.Endpoint]
	err := d.post(ep, x)
	if err == nil {
		log.Debug("webhook: delivered", "url", ep.URL, "event_id", x.EventID, "attempts", it.Attempts)
		d.record(d.cfg.Outbox.DeleteOutbox(context.WithoutCancel(d.ctx), it.ID))
		d.observe("delivered")
		return
	}
	if d.ctx.Err() != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		d.record(d.cfg.Outbox.RetryOutbox(ctx, it.ID, d.cfg.Now(), "abandoned at shutdown"))
		return
	}
	if d.cfg.Now().Sub(it.Created) >= d.cfg.RetryFor {
		log.Error("webhook: delivery given up", "url", ep.URL, "event_id", x.EventID, "attempts", it.Attempts, "error", err.Error())
		d.record(d.cfg.Outbox.FailOutbox(d.ctx, it.ID, err.Error()))
		d.observe("failed")
		return
	}
	delay := d.cfg.Backoff
	for i := 1; i < it.Attempts && delay < d.cfg.MaxBackoff; i++ {
		delay *= 2
	}
	delay = min(delay, d.cfg.MaxBackoff)
	log.Warn("webhook: delivery failed, will retry", "url", ep.URL, "event_id", x.EventID, "attempt", it.Attempts, "retry_in", delay, "error", err.Error())
	d.record(d.cfg.Outbox.RetryOutbox(d.ctx, it.ID, d.cfg.Now().Add(delay), err.Error()))
	d.observe("retry")
}

func (d *Deliverer) post(ep Endpoint, x item) error {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, ep.URL, bytes.NewReader(x.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Latch-Webhook/1")
	req.Header.Set("Latch-Event-Id", x.EventID)
	req.Header.Set("Latch-Signature", Sign(ep.Secret, d.cfg.Now(), x.Body))
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("endpoint answered %d", res.StatusCode)
	}
	return nil
}

func (d *Deliverer) record(err error) {
	if err != nil {
		d.cfg.Log.Warn("webhook: cannot record the delivery outcome; it will be attempted again", "error", err.Error())
	}
}
