package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchauth/latch/sqlstore"
)

// TestReadyzWriteProbe: a database that answers reads but not writes makes
// /readyz answer 503 not_writable, as the OpenAPI document says; the result
// is kept between probes.
func TestReadyzWriteProbe(t *testing.T) {
	s := startOpenAPIServer(t, nil)
	ops := s.client(t, "")
	oaWant(t, ops.do("GET", "/readyz", nil), 200)

	// A unit of work that does not end holds the only writer connection,
	// so no write can start; reads go on. The store's last probe (just
	// above) succeeded, so the failure shows once its interval has passed.
	hold, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.db.Atomic(context.Background(), func(ctx context.Context) error {
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	defer func() {
		close(release)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	oaWant(t, ops.do("GET", "/readyz", nil), 200)
	time.Sleep(sqlstore.WriteCheckInterval)
	r := ops.do("GET", "/readyz", nil)
	oaWant(t, r, 503)
	if r.body["database"] != "not_writable" || r.body["status"] != "unavailable" {
		t.Errorf("body %v", r.body)
	}
	oaWant(t, ops.do("GET", "/readyz", nil), 503)
	oaWant(t, ops.do("GET", "/healthz", nil), 200)
}
