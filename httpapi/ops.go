package httpapi

import (
	"context"
	"net/http"
	"time"
)

// opsAPI serves the health checks.
type opsAPI struct{ s *Server }

// GET /healthz: the process is up.
func (a opsAPI) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// GET /readyz: the process can serve, i.e. its database answers.
func (a opsAPI) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.s.db.Ping(ctx); err != nil {
		a.s.log.Warn("readiness check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}
