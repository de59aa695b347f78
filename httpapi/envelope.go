package httpapi

import (
	"net/http"
	"time"
)

// exchange is what the envelope keeps of one request: its context and the
// recorder of its answer, in one allocation.
type exchange struct {
	ctx      requestContext
	rec      statusRecorder
	idHeader [1]string // the X-Request-Id value, shared with the header map
	idBuf    [32]byte  // a new request id's bytes, which the id's string shares
}

// headerClose is the Connection value of answers sent while draining.
var headerClose = []string{"close"}

// ServeHTTP is the envelope of every request, in one function rather than
// a chain of wrappers (each of which cost an allocation or two per
// request): the request id, the request timeout, the security and CORS
// headers, draining, panic recovery, the route, then the metrics and the
// request log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &exchange{}
	id := RequestID(r.Context()) // an outer WithRequestID's
	if id == "" {
		id = incomingRequestID(r, &x.idBuf)
	}
	x.ctx.init(r.Context(), id, start.Add(s.timeout))
	defer x.ctx.end()
	r = r.WithContext(&x.ctx)

	hd := w.Header()
	x.idHeader[0] = id
	hd[requestIDHeader] = x.idHeader[:]
	s.setSecurityHeaders(hd)
	if s.Draining() {
		// Clients, a load balancer's pool included, open new connections,
		// which go to other nodes, and no idle keep-alive connection is left
		// for Shutdown to close under a request sent on it.
		hd["Connection"] = headerClose
	}
	x.rec.ResponseWriter = w
	h := s.handler
	if s.cfg.Metrics != nil && r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		h = s.cfg.Metrics
	}
	if origin := headerValue(r.Header, "Origin"); origin == "" || !s.corsHeaders(&x.rec, r, origin) {
		s.serveRecovering(h, &x.rec, r)
	}

	status := x.rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(r.Pattern, r.Method, status, time.Since(start))
	}
	if s.access.enabled(r.Context()) {
		s.access.done(r, status, x.rec.bytes, start)
	}
}
