package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/jsonstr"
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

// writeJSON answers with body as encoding/json marshals it, plus a newline.
func writeJSON(w http.ResponseWriter, status int, body any) {
	buf := bodyBuffer()
	defer recycle(buf)
	// Encode writes what Marshal returns, newline added, and nothing on error.
	if err := json.NewEncoder(buf).Encode(body); err != nil {
		writeBody(w, http.StatusInternalServerError, unencodable)
		return
	}
	writeBody(w, status, buf.Bytes())
}

// unencodable is the answer when encoding a body fails (on a NaN, say, which
// JSON cannot express), as it has always been.
var unencodable = []byte(`{"status":500}` + "\n")

// netHTTPBuffer is the size of the buffer net/http fills before it sends
// an answer without a declared Content-Length chunked.
const netHTTPBuffer = 2048

// writeBody sends an encoded JSON body, its trailing newline included.
// net/http adds the Content-Length of a body that fits its buffer by
// itself, without allocating; larger bodies are given theirs here, so that
// they are not sent chunked (TestContentLength).
func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = headerJSON
	if len(b) > netHTTPBuffer {
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	w.WriteHeader(status)
	w.Write(b)
}

// bodyBuffers recycles the buffers response bodies are encoded into: a
// ResponseWriter copies what it is given, so a buffer is free once written.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// bodyBuffer takes an empty buffer from the pool; recycle gives it back.
func bodyBuffer() *bytes.Buffer {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

// recycle returns a buffer to the pool, unless an unusually large body grew it.
func recycle(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		bodyBuffers.Put(buf)
	}
}

// appendJSONFloat appends f as encoding/json writes a float64 (ES6 number
// formatting). It reports false for NaN and infinities, which it refuses.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		// e-07 becomes e-7.
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b, true
}

// appendJSONField appends ,"name":"value" — or nothing for an empty value,
// as omitempty does.
func appendJSONField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return jsonstr.Append(b, value, true)
}

// writeError turns an error from a handler or the core into the spec's JSON.
// Unknown errors become a generic 500; their cause is logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	// errors.AsType, unlike errors.As, needs no target variable on the heap.
	if status, ok := errors.AsType[*statusError](err); ok {
		writeJSON(w, status.status, errorBody(status.status, status.code, status.message))
		return
	}
	if input, ok := errors.AsType[*latch.InputError](err); ok {
		if input.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(max(int(input.RetryAfter.Round(time.Second)/time.Second), 1)))
		}
		body := envelope{Status: http.StatusBadRequest, Errors: make([]errorEntry, 0, len(input.Errors))}
		for _, e := range input.Errors {
			body.Errors = append(body.Errors, errorEntry{Message: e.Message, Code: e.Code, Param: e.Param})
		}
		writeJSON(w, http.StatusBadRequest, body)
		return
	}
	if limited, ok := errors.AsType[*latch.RateLimitError](err); ok {
		secs := int(limited.RetryAfter.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		writeJSON(w, http.StatusTooManyRequests, errorBody(http.StatusTooManyRequests, "rate_limited",
			"Too many requests; try again in "+strconv.Itoa(max(secs, 1))+" seconds."))
		return
	}
	if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody(http.StatusRequestEntityTooLarge, "too_large",
			"The request body is larger than "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes."))
		return
	}
	switch {
	case errors.Is(err, latch.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		// The request's deadline (WithRequestTimeout) passed in the store or
		// in what the core waited for: the same answer.
		s.log.WarnContext(r.Context(), "store unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		writeUnavailable(w)
	case errors.Is(err, latch.ErrUnauthenticated):
		s.writeAuth(w, r, c, c.st)
	case errors.Is(err, latch.ErrReauthenticationRequired) && c.st.Authenticated():
		mfaAPI{s}.writeReauthenticate(w, r, c)
	case errors.Is(err, latch.ErrSessionGone):
		buf := bodyBuffer()
		defer recycle(buf)
		buf.Write(appendFlowsJSON(buf.AvailableBuffer(), http.StatusGone, s.svc.Sessions.Flows(&c.anon), ""))
		writeBody(w, http.StatusGone, buf.Bytes())
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

// unavailableRetryAfter is the Retry-After of a 503: long enough for a pool
// to free a connection or a database to come back, short enough that a
// client retrying at once after it sees little of an outage.
const unavailableRetryAfter = "2"

// writeUnavailable answers 503 service_unavailable with Retry-After: the
// store could not answer in time (latch.ErrUnavailable) or the request's
// deadline passed. Clients and load balancers retry; nothing is logged as a
// server error.
func writeUnavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", unavailableRetryAfter)
	writeJSON(w, http.StatusServiceUnavailable, errorBody(http.StatusServiceUnavailable, "service_unavailable",
		"The service is temporarily unavailable; try again in "+unavailableRetryAfter+" seconds."))
}
