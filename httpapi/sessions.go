package httpapi

import (
	"net/http"
	"time"

	"github.com/latchauth/latch"
)

// sessionsAPI serves the caller's list of sessions (allauth's usersessions).
type sessionsAPI struct{ s *Server }

type sessionJSON struct {
	UserAgent  string  `json:"user_agent"`
	IP         string  `json:"ip"`
	CreatedAt  float64 `json:"created_at"`
	IsCurrent  bool    `json:"is_current"`
	ID         int64   `json:"id"`
	LastSeenAt float64 `json:"last_seen_at"`
}

func unixFloat(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func (a sessionsAPI) writeSessions(w http.ResponseWriter, c *call, list []latch.SessionInfo) {
	out := make([]sessionJSON, len(list))
	for i, x := range list {
		out[i] = sessionJSON{UserAgent: x.UserAgent, IP: x.IP, CreatedAt: unixFloat(x.Created),
			IsCurrent: c.st.Session != nil && x.ID == c.st.Session.ID, ID: x.ID, LastSeenAt: unixFloat(x.LastSeen)}
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: out})
}

// GET /auth/sessions: the caller's sessions, the current one marked.
func (a sessionsAPI) listSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := a.s.svc.Sessions.ListSessions(r.Context(), c.st)
	if err != nil {
		return err
	}
	a.writeSessions(w, c, list)
	return nil
}

// DELETE /auth/sessions: {sessions: [id…]} ends those sessions. Ending the
// current one logs the caller out (401); otherwise the remaining list.
func (a sessionsAPI) endSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	ids := f.ids("sessions")
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Sessions.EndSessions(r.Context(), c.st, ids)
	if err != nil {
		return err
	}
	if !st.Authenticated() {
		a.s.writeAuth(w, r, c, st)
		return nil
	}
	return a.listSessions(w, r, c)
}
