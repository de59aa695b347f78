package account

import (
	"context"
	"fmt"

	"github.com/latchauth/latch"
)

// AuditWriter stores security events in the audit log (sqlstore.Audit).
type AuditWriter interface {
	// AddAuditEvent stores an event, in the unit of work of ctx if any.
	AddAuditEvent(ctx context.Context, e *latch.Event) error
}

// AuditEvents is the sink that writes every event to the audit log, in the
// unit of work of the change it describes: the entry commits or rolls back
// with the change. Events carry no passwords, codes, keys or tokens (see
// record), so neither does the log.
func AuditEvents(w AuditWriter) EventSink { return auditSink{w} }

type auditSink struct{ w AuditWriter }

func (a auditSink) Record(ctx context.Context, e *latch.Event) error {
	if err := a.w.AddAuditEvent(ctx, e); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// Sinks returns a sink that hands each event to every one of sinks, in
// order, and stops at the first error (which rolls the unit of work back).
func Sinks(sinks ...EventSink) EventSink { return multiSink(sinks) }

type multiSink []EventSink

func (m multiSink) Record(ctx context.Context, e *latch.Event) error {
	for _, s := range m {
		if err := s.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}
