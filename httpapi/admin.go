package httpapi

// The admin API (/_latch/admin/v1/…): operators' endpoints over the core's
// Admin family. Its callers are staff users — by session cookie (with the
// browser tree's CSRF checks on unsafe methods), X-Session-Token, or an
// access token in Authorization: Bearer — and backends holding an admin API
// key (Authorization: Bearer latch_admin_…). Anonymous callers get 401,
// logged-in callers who are not staff 403, both in the headless API's error
// format. The handlers live in admin_users.go and admin_audit.go.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// adminPrefix is where the admin API lives.
const adminPrefix = "/_latch/admin/v1"

// adminAPI serves the admin API.
type adminAPI struct{ s *Server }

// wrap wraps an admin route: it identifies the caller as the actor of
// the call and refuses anyone who may not administer before the handler
// runs.
func (a adminAPI) wrap(rt route) http.Handler {
	s, h := a.s, rt.h
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := latch.Client{Kind: latch.Browser, IP: s.clientIP(r), UserAgent: userAgent(r)}
		c := &call{kind: latch.Browser, anon: account.State{Client: client}}
		c.st = &c.anon
		actor, err := a.actor(r, client)
		if err == nil {
			err = actor.Check()
		}
		if err != nil {
			a.fail(w, r, c, err)
			return
		}
		c.actor = actor
		if err := h(w, r, c); err != nil {
			a.fail(w, r, c, err)
		}
	})
}

// actor identifies the caller of an admin route: an API key or an
// access token in Authorization, else a session token, else a session
// cookie (whose unsafe requests must pass the CSRF checks). No credential,
// or one that names no login, is an actor with nobody in it.
func (a adminAPI) actor(r *http.Request, client latch.Client) (account.Actor, error) {
	s, ctx := a.s, r.Context()
	actor := account.Actor{Client: client}
	var st *account.State
	var err error
	switch bearer, token, cookie := bearerToken(r), r.Header.Get(tokenHeader), cookieValue(r, sessionCookie); {
	case account.IsAPIKey(bearer):
		return s.svc.Admin.ResolveAPIKey(ctx, client, bearer)
	case bearer != "":
		// Browser: an access token of any session.
		st, err = s.svc.Tokens.ResolveBearer(ctx, client, bearer)
	case token != "":
		client.Kind = latch.App
		st, err = s.svc.Sessions.Resolve(ctx, client, token)
	case cookie != "":
		if !safeMethod(r.Method) {
			if refused := s.checkCSRF(r, cookie); refused != nil {
				return actor, &statusError{http.StatusForbidden, refused.code, refused.message}
			}
		}
		st, err = s.svc.Sessions.Resolve(ctx, client, cookie)
	default:
		return actor, nil
	}
	switch {
	case errors.Is(err, latch.ErrSessionGone):
		return actor, nil
	case err != nil:
		return actor, err
	}
	actor.User = st.User
	return actor, nil
}

// fail answers an admin call's failure in the headless API's error
// format; what is not the admin API's own goes to writeError.
func (a adminAPI) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	switch {
	case errors.Is(err, latch.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="latch-admin"`)
		writeJSON(w, http.StatusUnauthorized, errorBody(http.StatusUnauthorized, "not_authenticated",
			"Log in as a staff user, or send an admin API key in Authorization: Bearer."))
	case errors.Is(err, latch.ErrForbidden):
		writeJSON(w, http.StatusForbidden, errorBody(http.StatusForbidden, "permission_denied",
			"Only staff users and admin API keys may do this."))
	case errors.Is(err, latch.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody(http.StatusNotFound, "not_found", "No such user."))
	default:
		a.s.writeError(w, r, c, err)
	}
}

// adminQuery reads a request's query parameters, refusing any it does not
// know and values of the wrong type (400, one error per parameter).
type adminQuery struct {
	v    url.Values
	errs latch.InputError
}

func readQuery(r *http.Request, known ...string) *adminQuery {
	q := &adminQuery{v: r.URL.Query()}
	for name := range q.v {
		if !contains(known, name) {
			q.errs.Add(name, "unknown", "Unknown parameter; known: "+strings.Join(known, ", ")+".")
		}
	}
	return q
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (q *adminQuery) str(name string) string { return q.v.Get(name) }

// flag reads true or false; absent is nil.
func (q *adminQuery) flag(name string) *bool {
	switch q.v.Get(name) {
	case "":
		return nil
	case "true", "1":
		b := true
		return &b
	case "false", "0":
		b := false
		return &b
	}
	q.errs.Add(name, "invalid", "Expected true or false.")
	return nil
}

func (q *adminQuery) limit() int {
	s := q.v.Get("limit")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		q.errs.Add("limit", "invalid", "Expected a number from 1 to 1000.")
	}
	return n
}

func (q *adminQuery) time(name string) time.Time {
	s := q.v.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.errs.Add(name, "invalid", "Expected an RFC 3339 time (2026-01-02T15:04:05Z).")
	}
	return t
}

// known refuses the fields of a body other than names (400 "unknown").
func (f *form) known(names ...string) {
	for name := range f.fields {
		if !contains(names, name) {
			f.errs.Add(name, "unknown", "Unknown field; known: "+strings.Join(names, ", ")+".")
		}
	}
}

// optBool reads an optional boolean field: absent is nil.
func (f *form) optBool(name string) *bool {
	if !f.has(name) {
		return nil
	}
	b := f.boolean(name)
	return &b
}

// rfc3339 formats a time for the admin API; the zero time is null.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// page is a list answer: the items and, unless it is the last page, the
// cursor of the next one.
func writePage(w http.ResponseWriter, data any, next string) {
	meta := map[string]string{}
	if next != "" {
		meta["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, struct {
		Status int               `json:"status"`
		Data   any               `json:"data"`
		Meta   map[string]string `json:"meta"`
	}{http.StatusOK, data, meta})
}

// detailsJSON writes an event's fields as one JSON object, in order.
func detailsJSON(fields []latch.EventField) json.RawMessage {
	b := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(f.Key)
		v, _ := json.Marshal(f.Value)
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}')
}
