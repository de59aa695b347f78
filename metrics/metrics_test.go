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
