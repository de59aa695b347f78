package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync/atomic"
	"unsafe"
)

// requestIDHeader carries a request's id, in and out.
const requestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	switch v := ctx.Value(requestIDKey{}).(type) {
	case *requestContext: // the envelope's: no string boxed per lookup
		return v.id
	case string: // WithRequestID's
		return v
	}
	return ""
}

// saneRequestID reports whether an incoming X-Request-Id is kept: 1 to 128
// characters of letters, digits and "-_.:".
func saneRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// WithRequestID gives every request an id — a sane incoming X-Request-Id,
// else 16 random bytes in hex — in its context (RequestIDLogs adds it to
// every log line of the request) and in the X-Request-Id of its answer. A
// request that has one already (an outer WithRequestID) keeps it.
func WithRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if RequestID(r.Context()) != "" {
			h.ServeHTTP(w, r)
			return
		}
		id := incomingRequestID(r, new([32]byte))
		w.Header()[requestIDHeader] = []string{id}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// incomingRequestID returns the request's X-Request-Id if it is sane, else
// a new id written into buf (newRequestID).
func incomingRequestID(r *http.Request, buf *[32]byte) string {
	if id := headerValue(r.Header, requestIDHeader); saneRequestID(id) {
		return id
	}
	return newRequestID(buf)
}

// Request ids are 32 hex digits: 8 random bytes drawn once per process,
// then a counter. They name a request in the logs, and are unique across
// processes and restarts without the system call or the cipher of 16 random
// bytes per request; they are not secrets, and nothing trusts them.
var (
	requestIDPrefix = func() (p [16]byte) {
		var b [8]byte
		rand.Read(b[:])
		hex.Encode(p[:], b[:])
		return p
	}()
	requestIDCounter atomic.Uint64
)

// newRequestID writes a new id into b and returns it as a string that
// shares b's memory, to save the envelope an allocation per request: b
// must never change afterwards (the envelope's is in the request's
// exchange, which nothing reuses).
func newRequestID(b *[32]byte) string {
	copy(b[:16], requestIDPrefix[:])
	n := requestIDCounter.Add(1)
	for i := 31; i >= 16; i-- {
		b[i] = "0123456789abcdef"[n&15]
		n >>= 4
	}
	return unsafe.String(&b[0], len(b))
}

// RequestIDLogs wraps a log handler so that each record logged with a
// request's context carries its request_id.
func RequestIDLogs(h slog.Handler) slog.Handler { return requestIDLogs{h} }

type requestIDLogs struct{ slog.Handler }

func (l requestIDLogs) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return l.Handler.Handle(ctx, r)
}

func (l requestIDLogs) WithAttrs(a []slog.Attr) slog.Handler {
	return requestIDLogs{l.Handler.WithAttrs(a)}
}

func (l requestIDLogs) WithGroup(name string) slog.Handler {
	return requestIDLogs{l.Handler.WithGroup(name)}
}
