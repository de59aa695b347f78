package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/smtptest"
)

// Security notifications (issue 10, item 6), each read from the SMTP server
// the test harness runs.

const testAgent = "NotifyTest/1.0 (X11; Linux x86_64)"

// Subjects of the notifications, as the built-in templates word them.
const (
	subjPasswordChanged = "[Latch Test] Your password was changed"
	subjPasswordReset   = "[Latch Test] Your password was reset"
	subjEmailAdded      = "[Latch Test] An email address was added to your account"
	subjEmailRemoved    = "[Latch Test] An email address was removed from your account"
	subjPrimaryChanged  = "[Latch Test] Your primary email address was changed"
)

var noticeSubjects = []string{subjPasswordChanged, subjPasswordReset, subjEmailAdded, subjEmailRemoved, subjPrimaryChanged}

// notifyClient is a browser client sending a known User-Agent.
type notifyClient struct{ *client }

func (c notifyClient) do(method, path string, body any) *response {
	c.t.Helper()
	return c.client.do(method, path, body, "User-Agent", testAgent)
}

// verifiedAccount signs up email through a fresh client and verifies it by
// the link mailed at signup.
func verifiedAccount(t *testing.T, srv *latchServer, email string) notifyClient {
	t.Helper()
	c := notifyClient{newClient(t, srv, "browser")}
	expect(t, c.do("POST", "/auth/signup", map[string]any{"email": email, "password": goodPassword}), 200)
	c.verify(srv, email)
	return c
}

// verify verifies one of the caller's addresses with the next mail to it.
func (c notifyClient) verify(srv *latchServer, email string) {
	c.t.Helper()
	key := keyIn(c.t, srv.mailTo(c.t, email))
	expect(c.t, c.do("POST", "/auth/email/verify", map[string]any{"key": key}), 200)
}

// addVerified adds an address to the caller's account and verifies it.
func (c notifyClient) addVerified(srv *latchServer, email string) {
	c.t.Helper()
	expect(c.t, c.do("POST", "/account/email", map[string]any{"email": email}), 200)
	c.verify(srv, email)
}

// expectNotice waits for the next mail to addr and checks that it is the
// notification with subject, telling when, from where and what to do.
func expectNotice(t *testing.T, srv *latchServer, addr, subject string, want ...string) smtptest.Received {
	t.Helper()
	m := srv.mailTo(t, addr)
	if m.Subject != subject {
		t.Fatalf("mail to %s: subject %q, want %q:\n%s", addr, m.Subject, subject, m.Text)
	}
	for _, s := range append([]string{"Latch Test", "IP address: 127.0.0.1", "Browser or app: " + testAgent,
		"When: ", time.Now().UTC().Format("2006"), "If you didn't", srv.URL + "/account/password/reset"}, want...) {
		if !strings.Contains(m.Text, s) {
			t.Errorf("mail to %s lacks %q:\n%s", addr, s, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "127.0.0.1") || !strings.Contains(m.HTML, "<!DOCTYPE html>") {
		t.Errorf("mail to %s: HTML part lacks the details:\n%s", addr, m.HTML)
	}
	return m
}

// noNotices fails the test if any of addrs received a notification among
// the messages after the first since. Mail is delivered in the background,
// so it first waits for a marker mail queued after everything the test did,
// then a little longer for the other worker.
func noNotices(t *testing.T, srv *latchServer, since int, addrs ...string) {
	t.Helper()
	m := notifyClient{newClient(t, srv, "browser")}
	expect(t, m.do("POST", "/auth/password/request", map[string]any{"email": "marker@example.net"}), 200)
	srv.mailTo(t, "marker@example.net")
	time.Sleep(300 * time.Millisecond)
	for _, msg := range srv.smtp.Messages()[since:] {
		for _, s := range noticeSubjects {
			if msg.Subject != s {
				continue
			}
			for _, a := range addrs {
				for _, to := range msg.To {
					if strings.EqualFold(to, a) {
						t.Errorf("%s received %q", a, msg.Subject)
					}
				}
			}
		}
	}
}

func TestNotifyPasswordChanged(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := verifiedAccount(t, srv, "pat@example.com")
	c.addVerified(srv, "pat.other@example.com")
	expectNotice(t, srv, "pat@example.com", subjEmailAdded)
	expect(t, c.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "ember-Quiver-64"}), 200)
	expectNotice(t, srv, "pat@example.com", subjPasswordChanged, "pat@example.com was just changed")
	// Only the primary address is told.
	noNotices(t, srv, 0, "pat.other@example.com")
}

func TestNotifyPasswordReset(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	verifiedAccount(t, srv, "rue@example.com")
	c := notifyClient{newClient(t, srv, "browser")}
	expect(t, c.do("POST", "/auth/password/request", map[string]any{"email": "rue@example.com"}), 200)
	key := keyIn(t, srv.mailTo(t, "rue@example.com"))
	expect(t, c.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": "ember-Quiver-64"}), 401)
	expectNotice(t, srv, "rue@example.com", subjPasswordReset, "rue@example.com was just reset")
	// The new password works: the notice went out after a real reset.
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": "rue@example.com", "password": "ember-Quiver-64"}), 200)
}

func TestNotifyEmailAdded(t *testing.T) {
	t.Run("link", func(t *testing.T) {
		srv := startLatch(t, openSQLite(t))
		c := verifiedAccount(t, srv, "ada@example.com")
		c.addVerified(srv, "ada.work@example.com")
		expectNotice(t, srv, "ada@example.com", subjEmailAdded, "ada.work@example.com was\nadded")
		// An address left unverified is not told of later additions.
		expect(t, c.do("POST", "/account/email", map[string]any{"email": "ada.unverified@example.com"}), 200)
		expectNotice(t, srv, "ada@example.com", subjEmailAdded, "ada.unverified@example.com")
		expectNotice(t, srv, "ada.work@example.com", subjEmailAdded, "ada.unverified@example.com")
		expect(t, c.do("POST", "/account/email", map[string]any{"email": "ada.new@example.com"}), 200)
		// The primary and the other verified address are told; the new
		// address gets its verification mail only.
		expectNotice(t, srv, "ada@example.com", subjEmailAdded, "ada.new@example.com")
		expectNotice(t, srv, "ada.work@example.com", subjEmailAdded, "ada.new@example.com")
		if m := srv.mailTo(t, "ada.new@example.com"); !strings.Contains(m.Subject, "Confirm") {
			t.Errorf("new address got %q", m.Subject)
		}
		noNotices(t, srv, 0, "ada.new@example.com", "ada.unverified@example.com")
	})
	t.Run("code", func(t *testing.T) {
		// In code mode an address is added when its code is typed in.
		srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.VerificationByCode = true })
		c := notifyClient{newClient(t, srv, "browser")}
		expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "cody@example.com", "password": goodPassword}), 200)
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": codeIn(t, srv.mailTo(t, "cody@example.com"))}), 200)
		expect(t, c.do("POST", "/account/email", map[string]any{"email": "cody.new@example.com"}), 200)
		code := codeIn(t, srv.mailTo(t, "cody.new@example.com"))
		expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": code}), 200)
		expectNotice(t, srv, "cody@example.com", subjEmailAdded, "cody.new@example.com")
		noNotices(t, srv, 0, "cody.new@example.com")
	})
}

func TestNotifyEmailRemoved(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := verifiedAccount(t, srv, "rem@example.com")
	c.addVerified(srv, "rem.old@example.com")
	expectNotice(t, srv, "rem@example.com", subjEmailAdded)
	expect(t, c.do("DELETE", "/account/email", map[string]any{"email": "rem.old@example.com"}), 200)
	// The primary and the removed address are told.
	expectNotice(t, srv, "rem@example.com", subjEmailRemoved, "rem.old@example.com was removed")
	m := expectNotice(t, srv, "rem.old@example.com", subjEmailRemoved, "at rem.old@example.com")
	if !strings.Contains(m.HTML, "rem.old@example.com") {
		t.Errorf("HTML: %s", m.HTML)
	}
	// An address never verified is not mailed about its removal.
	expect(t, c.do("POST", "/account/email", map[string]any{"email": "rem.never@example.com"}), 200)
	expectNotice(t, srv, "rem@example.com", subjEmailAdded)
	expect(t, c.do("DELETE", "/account/email", map[string]any{"email": "rem.never@example.com"}), 200)
	expectNotice(t, srv, "rem@example.com", subjEmailRemoved, "rem.never@example.com")
	noNotices(t, srv, 0, "rem.never@example.com")
}

func TestNotifyPrimaryChanged(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := verifiedAccount(t, srv, "pim@example.com")
	c.addVerified(srv, "pim.new@example.com")
	expectNotice(t, srv, "pim@example.com", subjEmailAdded)
	expect(t, c.do("PATCH", "/account/email", map[string]any{"email": "pim.new@example.com", "primary": true}), 200)
	// The old primary address is told.
	expectNotice(t, srv, "pim@example.com", subjPrimaryChanged, "from pim@example.com to pim.new@example.com")
	// Making the primary address primary again changes nothing, and tells no one.
	since := len(srv.smtp.Messages())
	expect(t, c.do("PATCH", "/account/email", map[string]any{"email": "pim.new@example.com", "primary": true}), 200)
	noNotices(t, srv, since, "pim@example.com", "pim.new@example.com")
}

// TestNotificationsOff: LATCH_EMAIL_NOTIFICATIONS=false sends none of them.
func TestNotificationsOff(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.EmailNotifications = false })
	c := verifiedAccount(t, srv, "off@example.com")
	c.addVerified(srv, "off.two@example.com")
	expect(t, c.do("PATCH", "/account/email", map[string]any{"email": "off.two@example.com", "primary": true}), 200)
	expect(t, c.do("DELETE", "/account/email", map[string]any{"email": "off@example.com"}), 200)
	expect(t, c.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "ember-Quiver-64"}), 200)
	r := notifyClient{newClient(t, srv, "browser")}
	expect(t, r.do("POST", "/auth/password/request", map[string]any{"email": "off.two@example.com"}), 200)
	key := keyIn(t, srv.mailTo(t, "off.two@example.com"))
	expect(t, r.do("POST", "/auth/password/reset", map[string]any{"key": key, "password": "lantern-Mosaic-31"}), 401)
	noNotices(t, srv, 0, "off@example.com", "off.two@example.com")
}
