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
