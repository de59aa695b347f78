package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
)

// Audit is the audit_events table: the security events the core records,
// each written in the unit of work of the change it describes.
type Audit struct{ h *handle }

// AddAuditEvent stores e: in the unit of work of ctx when there is one, so
// that it commits or rolls back with the change.
func (a *Audit) AddAuditEvent(ctx context.Context, e *latch.Event) (err error) {
	defer a.h.classify(&err)
	var user any
	if e.User != nil && e.User.PublicID != "" {
		user = strings.ToLower(e.User.PublicID)
	}
	_, err = a.h.w(ctx).ExecContext(ctx, `INSERT INTO audit_events (at, type, user_public_id, ip, user_agent, details) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.h.t(e.At), e.Type, user, e.IP, e.UserAgent, encodeDetails(e.Data))
	return err
}

// encodeDetails writes fields as one JSON object, in their order.
func encodeDetails(fields []latch.EventField) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		v, _ := json.Marshal(f.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// decodeDetails reads what encodeDetails wrote, keeping the order.
func decodeDetails(s string) ([]latch.EventField, error) {
	d := json.NewDecoder(strings.NewReader(s))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	var out []latch.EventField
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, err
		}
		var v string
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, latch.EventField{Key: fmt.Sprint(k), Value: v})
	}
	return out, nil
}

// AuditEvents lists the entries f selects, newest first, and the cursor of
// the next page ("" after the last).
func (a *Audit) AuditEvents(ctx context.Context, f latch.AuditFilter) (_ []latch.AuditEntry, next string, err error) {
	defer a.h.classify(&err)
	c, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.UserID != "" {
		if !isUUID(f.UserID) {
			return nil, "", nil
		}
		where = append(where, "user_public_id = "+arg(strings.ToLower(f.UserID)))
	}
	if f.Type != "" {
		where = append(where, "type = "+arg(f.Type))
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(a.h.t(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(a.h.t(f.Until)))
	}
	if c != nil && c.Value != nil {
		where = append(where, "(at, id) < ("+arg(a.h.t(time.UnixMicro(*c.Value)))+", "+arg(c.ID)+")")
	}
	q := `SELECT id, at, type, user_public_id, ip, user_agent, details FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := pageLimit(f.Limit)
	q += " ORDER BY at DESC, id DESC LIMIT " + arg(limit+1)
	rows, err := a.h.readRows(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var list []latch.AuditEntry
	for rows.Next() {
		var e latch.AuditEntry
		var user *string
		var details string
		if err := rows.Scan(&e.ID, instant{&e.At}, &e.Type, &user, &e.IP, &e.UserAgent, &details); err != nil {
			return nil, "", err
		}
		if user != nil {
			e.UserID = *user
		}
		if e.Details, err = decodeDetails(details); err != nil {
			return nil, "", fmt.Errorf("audit event %d: details: %w", e.ID, err)
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		at := last.At.UnixMicro()
		next = cursor{Value: &at, ID: last.ID}.encode()
	}
	return list, next, nil
}

// PruneAudit deletes the entries older than before and returns how many.
func (a *Audit) PruneAudit(ctx context.Context, before time.Time) (_ int64, err error) {
	defer a.h.classify(&err)
	res, err := a.h.w(ctx).ExecContext(ctx, `DELETE FROM audit_events WHERE at < $1`, a.h.t(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
