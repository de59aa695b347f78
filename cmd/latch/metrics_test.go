package main

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/latchauth/latch/internal/testdb"
)

func scrape(t *testing.T, url string) map[string][]map[string]string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("GET %s: %d, X-Request-Id %q", url, res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse as the Prometheus text format: %v", err)
	}
	out := map[string][]map[string]string{}
	for name, f := range families {
		for _, m := range f.Metric {
			labels := map[string]string{}
			for _, l := range m.Label {
				labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Counter != nil:
				labels["="] = model.SampleValue(m.Counter.GetValue()).String()
			case m.Gauge != nil:
				labels["="] = model.SampleValue(m.Gauge.GetValue()).String()
			case m.Histogram != nil:
				labels["="] = model.SampleValue(float64(m.Histogram.GetSampleCount())).String()
			}
			out[name] = append(out[name], labels)
		}
	}
	return out
}

// value returns the value of the series of name whose labels include want.
func value(series map[string][]map[string]string, name string, want ...string) string {
	for _, labels := range series[name] {
		ok := true
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				ok = false
			}
		}
		if ok {
			return labels["="]
		}
	}
	return ""
}

// TestMetricsAndRequestIDs: /metrics parses with the Prometheus text
// parser and counts what happened (requests by route pattern and status,
// logins and signups by result, active sessions, pools, Go runtime); every
// answer has an X-Request-Id (a sane incoming one kept) that the request's
// log line carries; with LATCH_METRICS_ADDR /metrics moves there only.
func TestMetricsAndRequestIDs(t *testing.T) {
	var logs lockedBuffer
	env := testEnv(testdb.SQLiteURL(t), "LATCH_LOG_LEVEL", "info", "LATCH_RATE_LIMITS", "off")
	base, stop := startServeLogging(t, env, &logs)
	app := base + "/_allauth/app/v1"
	if status, body := post(t, app+"/auth/signup", "", `{"email":"mia@example.com","password":"amber-Falcon-38"}`); status != 200 {
		t.Fatalf("signup: %d %v", status, body)
	}
	post(t, app+"/auth/login", "", `{"email":"mia@example.com","password":"wrong-password-1"}`)
	post(t, app+"/auth/login", "", `{"email":"mia@example.com","password":"amber-Falcon-38"}`)
	http.Get(base + "/no/such/path")

	m := scrape(t, base+"/metrics")
	for _, c := range []struct {
		name   string
		labels []string
		want   string
	}{
		{"latch_http_requests_total", []string{"route", "POST /_allauth/app/v1/auth/login", "status", "200"}, "1"},
		{"latch_http_requests_total", []string{"route", "POST /_allauth/app/v1/auth/login", "status", "400"}, "1"},
		{"latch_http_requests_total", []string{"route", "unmatched", "status", "404"}, "1"},
		{"latch_http_request_duration_seconds", []string{"route", "POST /_allauth/app/v1/auth/login"}, "2"},
		{"latch_logins_total", []string{"result", "success"}, "2"}, // the signup logs in too
		{"latch_logins_total", []string{"result", "wrong_password"}, "1"},
		{"latch_signups_total", nil, "1"},
		{"latch_events_total", []string{"type", "user.signed_up"}, "1"},
		{"latch_active_sessions", nil, "2"},
		{"latch_outbox_messages", []string{"topic", "mail", "state", "failed"}, "0"},
	} {
		if got := value(m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %q, want %s", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "latch_db_pool_open_connections"} {
		if len(m[name]) == 0 {
			t.Errorf("no %s", name)
		}
	}

	// Request ids.
	for _, c := range []struct{ sent, keep string }{{"trace-42.a:b", "trace-42.a:b"}, {"bad id; drop table", ""}, {"", ""}} {
		req, _ := http.NewRequest("GET", app+"/config", nil)
		if c.sent != "" {
			req.Header.Set("X-Request-Id", c.sent)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		got := res.Header.Get("X-Request-Id")
		if c.keep != "" && got != c.keep || c.keep == "" && !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) {
			t.Errorf("sent %q: X-Request-Id %q", c.sent, got)
		}
	}
	stop()
	if !strings.Contains(logs.String(), "request_id=trace-42.a:b") {
		t.Errorf("the request log does not carry the request id:\n%s", logs.String())
	}

	// LATCH_METRICS_ADDR: /metrics there only.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	base, _ = startServe(t, testEnv(testdb.SQLiteURL(t), "LATCH_METRICS_ADDR", addr))
	if res, err := http.Get(base + "/metrics"); err != nil || res.StatusCode != 404 {
		t.Errorf("/metrics on the main listener with LATCH_METRICS_ADDR: %v %v", res.StatusCode, err)
	}
	if m := scrape(t, "http://"+addr+"/metrics"); len(m["go_goroutines"]) == 0 {
		t.Error("no metrics on LATCH_METRICS_ADDR")
	}
}

// lockedBuffer is a log the server writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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
