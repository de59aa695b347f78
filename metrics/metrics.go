// Package metrics is Latch's Prometheus instrumentation (an adapter over
// github.com/prometheus/client_golang): HTTP requests by route pattern and
// status with latency histograms, the core's events (logins and signups by
// result, rate-limit hits, every event by type), webhook deliveries by
// result, and, read at each scrape, active sessions, the outbox (mail and
// webhooks waiting or given up), the database pools and the Go runtime.
package metrics

import (
	"context"
	"database/sql"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latchauth/latch"
)

// Store is what the scrape reads (sqlstore.DB).
type Store interface {
	// ActiveSessions counts the authenticated sessions not expired at now.
	ActiveSessions(ctx context.Context, now time.Time) (int64, error)
	// OutboxCounts counts a topic's messages waiting and given up.
	OutboxCounts(ctx context.Context, topic string) (pending, failed int, err error)
	// PoolStats returns the pools' statistics by name ("read", "write").
	PoolStats() map[string]sql.DBStats
}

// Metrics holds the collectors.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	events   *prometheus.CounterVec
	logins   *prometheus.CounterVec
	signups  prometheus.Counter
	limits   *prometheus.CounterVec
	webhooks *prometheus.CounterVec

	// observers caches each (route, method, status)'s counter and
	// histogram, so that a request's observation is a map lookup, not two
	// label hashes and a status string; copied on write (rare: once per
	// new combination), read without a lock.
	observers  atomic.Pointer[map[requestKey]requestObserver]
	observerMu sync.Mutex
}

type requestKey struct {
	route, method string
	status        int
}

type requestObserver struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// New registers every collector; store, unless nil, is read at each scrape.
func New(store Store) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.observers.Store(&map[requestKey]requestObserver{})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latch_http_requests_total",
		Help: "HTTP requests by route pattern (unmatched: no route), method and status."}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "latch_http_request_duration_seconds",
		Help: "HTTP request latency by route pattern.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
		[]string{"route"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latch_events_total",
		Help: "Security events committed, by type (the audit catalogue)."}, []string{"type"})
	m.logins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latch_logins_total",
		Help: "Logins by result: success, or the failure's reason (wrong_password, unknown_account, inactive, rate_limited)."}, []string{"result"})
	m.signups = prometheus.NewCounter(prometheus.CounterOpts{Name: "latch_signups_total", Help: "Accounts created by signup."})
	m.limits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latch_rate_limit_hits_total",
		Help: "Requests refused by a rate limit, by action."}, []string{"action"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latch_webhook_deliveries_total",
		Help: "Webhook delivery attempts by result: delivered, retry, failed (given up)."}, []string{"result"})
	m.reg.MustRegister(m.requests, m.duration, m.events, m.logins, m.signups, m.limits, m.webhooks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if store != nil {
		m.reg.MustRegister(&storeCollector{store: store})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest counts a request to route (a ServeMux pattern; "" for
// none) answered with status after d. Methods outside HTTP's own are
// counted as OTHER, so that a client cannot grow the label set.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	k := requestKey{route: route, method: knownMethod(method), status: status}
	o, ok := (*m.observers.Load())[k]
	if !ok {
		o = m.observer(k)
	}
	o.count.Inc()
	o.duration.Observe(d.Seconds())
}

// observer adds k's counter and histogram to the cache.
func (m *Metrics) observer(k requestKey) requestObserver {
	m.observerMu.Lock()
	defer m.observerMu.Unlock()
	old := *m.observers.Load()
	if o, ok := old[k]; ok {
		return o
	}
	o := requestObserver{count: m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status)),
		duration: m.duration.WithLabelValues(k.route)}
	next := make(map[requestKey]requestObserver, len(old)+1)
	maps.Copy(next, old)
	next[k] = o
	m.observers.Store(&next)
	return o
}

// knownMethod returns method if it is one of HTTP's, else "OTHER".
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// ObserveWebhook counts a webhook delivery attempt's result.
func (m *Metrics) ObserveWebhook(result string) { m.webhooks.WithLabelValues(result).Inc() }

// Record is an event sink (account.EventSink): it counts each event once
// its unit of work has committed.
func (m *Metrics) Record(ctx context.Context, e *latch.Event) error {
	field := func(k string) string {
		for _, f := range e.Data {
			if f.Key == k {
				return f.Value
			}
		}
		return ""
	}
	latch.AfterCommit(ctx, func() {
		m.events.WithLabelValues(e.Type).Inc()
		switch e.Type {
		case "user.logged_in":
			m.logins.WithLabelValues("success").Inc()
		case "user.login_failed":
			m.logins.WithLabelValues(field("reason")).Inc()
		case "user.signed_up":
			m.signups.Inc()
		case "rate_limit.hit":
			m.limits.WithLabelValues(field("action")).Inc()
		}
	})
	return nil
}

// storeCollector reads the store at scrape time; the session count (a
// query that grows with the table) is kept for 15 s.
type storeCollector struct {
	store Store
	mu    sync.Mutex
	at    time.Time
	count int64
}

var (
	activeDesc  = prometheus.NewDesc("latch_active_sessions", "Authenticated sessions not expired (counted at most every 15 s).", nil, nil)
	outboxDesc  = prometheus.NewDesc("latch_outbox_messages", "Outbox messages by topic (mail, webhook) and state (pending, failed).", []string{"topic", "state"}, nil)
	poolOpen    = prometheus.NewDesc("latch_db_pool_open_connections", "Open database connections by pool.", []string{"pool"}, nil)
	poolInUse   = prometheus.NewDesc("latch_db_pool_in_use_connections", "Database connections in use by pool.", []string{"pool"}, nil)
	poolWait    = prometheus.NewDesc("latch_db_pool_wait_total", "Waits for a database connection by pool.", []string{"pool"}, nil)
	poolWaitDur = prometheus.NewDesc("latch_db_pool_wait_seconds_total", "Time spent waiting for a database connection by pool.", []string{"pool"}, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{activeDesc, outboxDesc, poolOpen, poolInUse, poolWait, poolWaitDur} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.mu.Lock()
	if now := time.Now(); now.Sub(c.at) >= 15*time.Second {
		if n, err := c.store.ActiveSessions(ctx, now); err == nil {
			c.count, c.at = n, now
		}
	}
	n := c.count
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(n))
	for _, topic := range []string{"mail", "webhook"} {
		if pending, failed, err := c.store.OutboxCounts(ctx, topic); err == nil {
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(pending), topic, "pending")
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(failed), topic, "failed")
		}
	}
	for pool, s := range c.store.PoolStats() {
		ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections), pool)
		ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse), pool)
		ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, float64(s.WaitCount), pool)
		ch <- prometheus.MustNewConstMetric(poolWaitDur, prometheus.CounterValue, s.WaitDuration.Seconds(), pool)
	}
}
