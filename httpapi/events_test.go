package httpapi_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/ratelimit"
)

// logRecord is one line of the server's text log, as key → value.
type logRecord map[string]string

// parseTextLog reads slog's text format: key=value pairs, values quoted
// (Go syntax) when they hold spaces or special characters.
func parseTextLog(t *testing.T, out string) []logRecord {
	t.Helper()
	var recs []logRecord
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		rec := logRecord{}
		for s := line; s != ""; {
			s = strings.TrimLeftFunc(s, unicode.IsSpace)
			eq := strings.IndexByte(s, '=')
			if eq < 0 {
				break
			}
			key, rest := s[:eq], s[eq+1:]
			var val string
			if strings.HasPrefix(rest, `"`) {
				q, err := strconv.QuotedPrefix(rest)
				if err != nil {
					t.Fatalf("log line %q: %v", line, err)
				}
				val, _ = strconv.Unquote(q)
				rest = rest[len(q):]
			} else if sp := strings.IndexByte(rest, ' '); sp >= 0 {
				val, rest = rest[:sp], rest[sp:]
			} else {
				val, rest = rest, ""
			}
			rec[key] = val
			s = rest
		}
		recs = append(recs, rec)
	}
	return recs
}

// authEvents returns the event records of a log.
func authEvents(t *testing.T, out string) []logRecord {
	var evs []logRecord
	for _, r := range parseTextLog(t, out) {
		if r["msg"] == "auth event" {
			evs = append(evs, r)
		}
	}
	return evs
}

// TestAuthEventsLogged (issue 10, item 15): a failed and a successful
// login, a logout and a password change each log their own record naming
// the event, the user's public id, the source address and the user agent —
// and no record names the internal user id.
func TestAuthEventsLogged(t *testing.T) {
	var logs syncBuffer
	srv := startLatchLogging(t, openSQLite(t), &logs)
	const agent = "EventsTest/2.0 (Macintosh; Intel Mac OS X 14_0)"
	ua := func(c *client) func(method, path string, body any) *response {
		return func(method, path string, body any) *response {
			c.t.Helper()
			return c.do(method, path, body, "User-Agent", agent)
		}
	}

	owner := newClient(t, srv, "app")
	do := ua(owner)
	expect(t, do("POST", "/auth/signup", map[string]any{"email": "eve@example.com", "username": "eve", "password": goodPassword}), 200)
	publicID, _ := owner.do("GET", "/auth/session", nil).data()["user"].(map[string]any)["id"].(string)
	u, err := srv.db.Users.UserByEmail(context.Background(), "eve@example.com")
	if err != nil || publicID == "" || u.PublicID != publicID {
		t.Fatalf("user: %v %q %v", u, publicID, err)
	}
	internalID := strconv.FormatInt(u.ID, 10)

	b := newClient(t, srv, "browser")
	bdo := ua(b)
	expect(t, bdo("POST", "/auth/login", map[string]any{"email": "eve@example.com", "password": "wrong-guess-77"}), 400)
	expect(t, bdo("POST", "/auth/login", map[string]any{"username": "nobody", "password": "wrong-guess-77"}), 400)
	expect(t, bdo("POST", "/auth/login", map[string]any{"email": "eve@example.com", "password": goodPassword}), 200)
	expect(t, bdo("DELETE", "/auth/session", nil), 401)
	expect(t, do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "ember-Quiver-64"}), 200)

	want := []struct {
		event, user string
		attrs       map[string]string
	}{
		{account.EventSignedUp, publicID, nil},
		{account.EventLoginFailed, publicID, map[string]string{"reason": account.ReasonWrongPassword, "method": "email"}},
		{account.EventLoginFailed, "", map[string]string{"reason": account.ReasonUnknownAccount, "method": "username"}},
		{account.EventLoggedIn, publicID, map[string]string{"method": "password"}},
		{account.EventLoggedOut, publicID, nil},
		{account.EventPasswordChanged, publicID, nil},
	}
	out := logs.String()
	evs := authEvents(t, out)
	for _, w := range want {
		found := false
		for _, e := range evs {
			if e["event"] != w.event || e["user"] != w.user {
				continue
			}
			match := true
			for k, v := range w.attrs {
				match = match && e[k] == v
			}
			if !match {
				continue
			}
			found = true
			if e["ip"] != "127.0.0.1" || e["user_agent"] != agent || e["level"] != "INFO" {
				t.Errorf("%s: ip %q, user agent %q, level %q", w.event, e["ip"], e["user_agent"], e["level"])
			}
		}
		if !found {
			t.Errorf("no %s record for user %q with %v in:\n%s", w.event, w.user, w.attrs, out)
		}
	}
	for _, r := range parseTextLog(t, out) {
		for _, k := range []string{"user", "user_id"} {
			if r[k] == internalID {
				t.Errorf("record names the internal user id as %s: %v", k, r)
			}
		}
	}
	for _, e := range evs {
		known := false
		for _, n := range account.Events {
			known = known || e["event"] == n
		}
		if !known {
			t.Errorf("event %q is not in account.Events", e["event"])
		}
	}
}

// TestAuthEventsTokenReuse: a refresh token replayed after its grace window
// logs token.reuse_detected with the user and the replaying client.
func TestAuthEventsTokenReuse(t *testing.T) {
	var logs syncBuffer
	srv := startLatchLogging(t, openSQLite(t), &logs, func(c *account.Config, _ *httpapi.Config) { c.Tokens.Strategy = "jwt" })
	app := newClient(t, srv, "app")
	r := app.do("POST", "/auth/signup", map[string]any{"email": "tom@example.com", "password": goodPassword})
	expect(t, r, 200)
	refresh, _ := r.meta()["refresh_token"].(string)
	if refresh == "" {
		t.Fatalf("no refresh token: %s", r.Raw)
	}
	expect(t, app.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh}), 200)
	srv.advance(time.Minute)
	app.token = ""
	expect(t, app.do("POST", "/tokens/refresh", map[string]any{"refresh_token": refresh}, "User-Agent", "Replayer/1"), 400)
	u, _ := srv.db.Users.UserByEmail(context.Background(), "tom@example.com")
	for _, e := range authEvents(t, logs.String()) {
		if e["event"] == account.EventTokenReuse {
			if e["user"] != u.PublicID || e["ip"] != "127.0.0.1" || e["user_agent"] != "Replayer/1" {
				t.Errorf("reuse record: %v", e)
			}
			return
		}
	}
	t.Errorf("no %s record in:\n%s", account.EventTokenReuse, logs.String())
}

// TestAuthEventsRateLimited: a login refused for its spent failure budget
// logs rate_limit.hit and a login failure with reason rate_limited, naming
// the account under attack.
func TestAuthEventsRateLimited(t *testing.T) {
	var logs syncBuffer
	srv := startLatchLogging(t, openSQLite(t), &logs, func(c *account.Config, _ *httpapi.Config) {
		rates, err := ratelimit.ParseRates("2/5m/key")
		if err != nil {
			t.Fatal(err)
		}
		c.RateLimits = map[string][]ratelimit.Rate{"login_failed": rates}
	})
	newClient(t, srv, "app").signup("ray@example.com", "")
	b := newClient(t, srv, "browser")
	for range 2 {
		expect(t, b.do("POST", "/auth/login", map[string]any{"email": "ray@example.com", "password": "wrong-guess-77"}), 400,
			"password:email_password_mismatch")
	}
	expect(t, b.do("POST", "/auth/login", map[string]any{"email": "ray@example.com", "password": "wrong-guess-77"}, "User-Agent", "Guesser/3"),
		400, "too_many_login_attempts")
	u, _ := srv.db.Users.UserByEmail(context.Background(), "ray@example.com")
	var hit, failed bool
	for _, e := range authEvents(t, logs.String()) {
		switch {
		case e["event"] == account.EventRateLimitHit && e["action"] == "login_failed":
			hit = e["ip"] == "127.0.0.1" && e["user_agent"] == "Guesser/3"
		case e["event"] == account.EventLoginFailed && e["reason"] == account.ReasonRateLimited:
			failed = e["user"] == u.PublicID && e["ip"] == "127.0.0.1" && e["user_agent"] == "Guesser/3"
		}
	}
	if !hit || !failed {
		t.Errorf("rate_limit.hit %v, login_failed rate_limited %v in:\n%s", hit, failed, logs.String())
	}
}
