package httpapi

import (
	"context"
	"net/http"
	"time"
)

// opsAPI serves the health checks.
type opsAPI struct{ s *Server }

// Drain marks the server as stopping: from now on /readyz answers 503, so
// that load balancers take this node out of rotation, while every other
// request is still served as before. latch serve calls it on SIGTERM, some
// time before it stops accepting connections.
func (s *Server) Drain() { s.draining.Store(true) }

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// GET /healthz: the process is up.
func (a opsAPI) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// writeChecker is a Pinger that also tells whether the database accepts
// writes (sqlstore.DB: a cheap write, at most once per few seconds).
type writeChecker interface {
	CheckWrite(ctx context.Context) error
}

// GET /readyz: the process can serve, i.e. it is not stopping and its
// database answers and accepts writes.
func (a opsAPI) readyz(w http.ResponseWriter, r *http.Request) {
	if a.s.Draining() {
		writeJSON(w, http.StatusServiceUnavailable, errorBody(http.StatusServiceUnavailable, "shutting_down",
			"This node is shutting down; send new requests to another one."))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.s.db.Ping(ctx); err != nil {
		a.s.log.Warn("readiness check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "unreachable"})
		return
	}
	if wc, ok := a.s.db.(writeChecker); ok {
		if err := wc.CheckWrite(ctx); err != nil {
			a.s.log.Warn("readiness check failed: the database does not accept writes", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "not_writable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}
