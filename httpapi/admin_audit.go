package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/latchauth/latch"
)

// auditJSON is an audit log entry.
type auditJSON struct {
	ID        int64           `json:"id"`
	At        *string         `json:"at"`
	Type      string          `json:"type"`
	User      *string         `json:"user"`
	IP        string          `json:"ip"`
	UserAgent string          `json:"user_agent"`
	Details   json.RawMessage `json:"details"`
}

// GET /_latch/admin/v1/audit?user=&type=&since=&until=: the audit log, newest first.
func (a adminAPI) listAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	q := readQuery(r, "user", "type", "since", "until", "limit", "cursor")
	f := latch.AuditFilter{UserID: q.str("user"), Type: q.str("type"), Since: q.time("since"), Until: q.time("until"),
		Cursor: q.str("cursor"), Limit: q.limit()}
	if err := q.errs.Err(); err != nil {
		return err
	}
	list, next, err := a.s.svc.Admin.Audit(r.Context(), c.actor, f)
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(list))
	for i, e := range list {
		out[i] = auditJSON{ID: e.ID, At: rfc3339(e.At), Type: e.Type, User: orNull(e.UserID), IP: e.IP, UserAgent: e.UserAgent,
			Details: detailsJSON(e.Details)}
	}
	writePage(w, out, next)
	return nil
}

// deliveryJSON is a webhook delivery still in the outbox.
type deliveryJSON struct {
	ID          int64   `json:"id"`
	URL         string  `json:"url"`
	EventID     string  `json:"event_id"`
	Type        string  `json:"type"`
	Created     *string `json:"created"`
	NextAttempt *string `json:"next_attempt"`
	Attempts    int     `json:"attempts"`
	State       string  `json:"state"`
	LastError   string  `json:"last_error"`
}

// GET /_latch/admin/v1/webhooks/deliveries: the deliveries not yet made,
// oldest first: pending (with their attempts and last error) or failed.
func (a adminAPI) listDeliveries(w http.ResponseWriter, r *http.Request, c *call) error {
	q := readQuery(r, "limit")
	limit := q.limit()
	if err := q.errs.Err(); err != nil {
		return err
	}
	list, err := a.s.svc.Admin.WebhookDeliveries(r.Context(), c.actor, limit)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, 0, len(list))
	for _, e := range list {
		var item struct {
			URL     string `json:"url"`
			EventID string `json:"event_id"`
			Body    struct {
				Type string `json:"type"`
			} `json:"body"`
		}
		_ = json.Unmarshal(e.Payload, &item) // an unreadable row is listed without them
		state := "pending"
		if e.Failed {
			state = "failed"
		}
		out = append(out, deliveryJSON{ID: e.ID, URL: item.URL, EventID: item.EventID, Type: item.Body.Type, Created: rfc3339(e.Created),
			NextAttempt: rfc3339(e.NextAttempt), Attempts: e.Attempts, State: state, LastError: e.LastError})
	}
	writePage(w, out, "")
	return nil
}
