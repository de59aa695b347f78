package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/metrics"
)

// BenchmarkInstrumentation is what the instrumentation adds to each
// request: a request id (random, in the context and the answer) and a
// counter and histogram update by route and status.
func BenchmarkInstrumentation(b *testing.B) {
	m := metrics.New(nil)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", ok},
		{"instrumented", httpapi.WithRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ok.ServeHTTP(w, r)
			m.ObserveRequest("GET /_allauth/app/v1/auth/session", r.Method, 200, time.Since(start))
		}))},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/_allauth/app/v1/auth/session", nil)
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// TestHandlerServes: an observed request shows in the text format.
func TestHandlerServes(t *testing.T) {
	m := metrics.New(nil)
	m.ObserveRequest("", "GET", 404, time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `latch_http_requests_total{method="GET",route="unmatched",status="404"} 1`) {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}

// TestObserveRequestLabels: repeated and concurrent observations land on
// the same series, and a method outside HTTP's is counted as OTHER, so
// that clients cannot grow the label set.
func TestObserveRequestLabels(t *testing.T) {
	m := metrics.New(nil)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 50 {
				m.ObserveRequest("GET /a", "GET", 200, time.Millisecond)
				m.ObserveRequest("GET /a", "GET", 404, time.Millisecond)
			}
		}()
	}
	for range 4 {
		<-done
	}
	m.ObserveRequest("", "BREW", 405, time.Millisecond)
	m.ObserveRequest("", "XYZZY", 405, time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`latch_http_requests_total{method="GET",route="GET /a",status="200"} 200`,
		`latch_http_requests_total{method="GET",route="GET /a",status="404"} 200`,
		`latch_http_requests_total{method="OTHER",route="unmatched",status="405"} 2`,
		`latch_http_request_duration_seconds_count{route="GET /a"} 400`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in\n%s", want, body)
		}
	}
	if strings.Contains(body, "BREW") {
		t.Error("a made-up method became a label value")
	}
}
