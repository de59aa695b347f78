package httpapi

import (
	"net/http"
	"time"

	"github.com/latchauth/latch"
)

var errUnauthenticated = latch.ErrUnauthenticated

type sessionJSON struct {
	UserAgent  string  `json:"user_agent"`
	IP         string  `json:"ip"`
	CreatedAt  float64 `json:"created_at"`
	IsCurrent  bool    `json:"is_current"`
	ID         int64   `json:"id"`
	LastSeenAt float64 `json:"last_seen_at"`
}

func unixFloat(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func (s *Server) writeSessions(w http.ResponseWriter, c *call, list []latch.SessionInfo) {
	out := make([]sessionJSON, len(list))
	for i, x := range list {
		out[i] = sessionJSON{UserAgent: x.UserAgent, IP: x.IP, CreatedAt: unixFloat(x.Created),
			IsCurrent: c.st.Session != nil && x.ID == c.st.Session.ID, ID: x.ID, LastSeenAt: unixFloat(x.LastSeen)}
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: out})
}

// GET /auth/sessions: the caller's sessions, the current one marked.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.svc.ListSessions(r.Context(), c.st)
	if err != nil {
		return err
	}
	s.writeSessions(w, c, list)
	return nil
}

// DELETE /auth/sessions: {sessions: [id…]} ends those sessions. Ending the
// current one logs the caller out (401); otherwise the remaining list.
func (s *Server) endSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	if !c.st.Authenticated() {
		return errUnauthenticated
	}
	f, err := s.readForm(w, r)
	if err != nil {
		return err
	}
	ids := f.ids("sessions")
	if err := f.err(); err != nil {
		return err
	}
	st, err := s.svc.EndSessions(r.Context(), c.st, ids)
	if err != nil {
		return err
	}
	if !st.Authenticated() {
		s.writeAuth(w, r, c, st)
		return nil
	}
	return s.listSessions(w, r, c)
}
