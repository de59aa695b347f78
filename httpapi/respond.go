package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/latchauth/latch"
)

// envelope is the headless API's response shape: status always, data and
// meta when present, errors only on error responses.
type envelope struct {
	Status int          `json:"status"`
	Data   any          `json:"data,omitempty"`
	Meta   any          `json:"meta,omitempty"`
	Errors []errorEntry `json:"errors,omitempty"`
}

// errorEntry is one error; param is omitted for form-level errors, which
// frontends rely on.
type errorEntry struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Param   string `json:"param,omitempty"`
}

func errorBody(status int, code, message string) envelope {
	return envelope{Status: status, Errors: []errorEntry{{Message: message, Code: code}}}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"status":500}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeError turns an error from a handler or the core into the spec's JSON.
// Unknown errors become a generic 500; their cause is logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	var input *latch.InputError
	var limited *latch.RateLimitError
	var tooLarge *http.MaxBytesError
	var status *statusError
	switch {
	case errors.As(err, &status):
		writeJSON(w, status.status, errorBody(status.status, status.code, status.message))
	case errors.As(err, &input):
		body := envelope{Status: http.StatusBadRequest}
		for _, e := range input.Errors {
			body.Errors = append(body.Errors, errorEntry{Message: e.Message, Code: e.Code, Param: e.Param})
		}
		writeJSON(w, http.StatusBadRequest, body)
	case errors.As(err, &limited):
		secs := int(limited.RetryAfter.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		writeJSON(w, http.StatusTooManyRequests, errorBody(http.StatusTooManyRequests, "rate_limited",
			"Too many requests; try again in "+strconv.Itoa(max(secs, 1))+" seconds."))
	case errors.As(err, &tooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody(http.StatusRequestEntityTooLarge, "too_large",
			"The request body is larger than "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes."))
	case errors.Is(err, latch.ErrUnauthenticated):
		s.writeAuth(w, r, c, c.st)
	case errors.Is(err, latch.ErrSessionGone):
		writeJSON(w, http.StatusGone, envelope{Status: http.StatusGone,
			Data: flowsData{Flows: s.flows(&c.anon)}, Meta: authMeta{IsAuthenticated: false}})
	case errors.Is(err, latch.ErrConflict):
		writeJSON(w, http.StatusConflict, envelope{Status: http.StatusConflict})
	case errors.Is(err, latch.ErrForbidden):
		writeJSON(w, http.StatusForbidden, envelope{Status: http.StatusForbidden})
	case errors.Is(err, latch.ErrNotFound):
		writeJSON(w, http.StatusNotFound, envelope{Status: http.StatusNotFound})
	default:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody(http.StatusInternalServerError, "internal_error",
			"Something went wrong on our side; it has been logged."))
	}
}
