package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/latchauth/latch"
)

// unavailable reports whether err means the database cannot answer now,
// rather than that the request is wrong: a deadline spent waiting for it
// (the request's, a pool acquire or a statement timeout), a refused or
// broken connection, or what the engine's Dialect.Unavailable recognises
// (PostgreSQL's query_canceled, SQLite's busy past its timeout). A context
// canceled because the client left is not: nobody waits for that answer.
func (h *handle) unavailable(err error) bool {
	if err == nil || errors.Is(err, latch.ErrUnavailable) {
		return false
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE):
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	// database/sql keeps these unexported: the store was closed (the node
	// is shutting down).
	if msg := err.Error(); strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "sql: statement is closed") {
		return true
	}
	return h.d.Unavailable != nil && h.d.Unavailable(err)
}

// classify wraps *err in latch.ErrUnavailable when the database could not
// answer; it is deferred by every method of the families and Atomic, so that
// the store classifies its errors in this one place.
func (h *handle) classify(err *error) {
	if h.unavailable(*err) {
		*err = fmt.Errorf("%w: %w", latch.ErrUnavailable, *err)
	}
}
