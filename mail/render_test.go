package mail

import (
	"bytes"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newConsoleMailer returns a Mailer on the console transport writing to
// out, closed at the end of the test.
func newConsoleMailer(t *testing.T, cfg Config) *Mailer {
	t.Helper()
	cfg.URL = mustURL(t, "console:")
	if cfg.Out == nil {
		cfg.Out = &bytes.Buffer{}
	}
	m, err := newTest(cfg, discardLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { closeMailer(t, m) })
	return m
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	return u
}

// notice is the data Latch gives a security notification.
var notice = map[string]any{"Time": "Wed, 02 Dec 2026 09:04:02 UTC", "IP": "203.0.113.9",
	"UserAgent": "Firefox/140.0", "ResetLink": "https://id.example.com/password/reset"}

// noticeShown is what of notice each notification shows.
var noticeShown = []string{"Wed, 02 Dec 2026 09:04:02 UTC", "203.0.113.9", "Firefox/140.0",
	"https://id.example.com/password/reset", "someone else may have access"}

func withNotice(m map[string]any) map[string]any {
	for k, v := range notice {
		m[k] = v
	}
	return m
}

func TestRenderEveryKind(t *testing.T) {
	const (
		code       = "493817"
		link       = "https://id.example.com/confirm/abc123"
		signupLink = "https://id.example.com/signup"
		resetLink  = "https://id.example.com/password/reset"
	)
	tests := []struct {
		kind    string
		data    map[string]any
		subject string   // expected subject
		want    []string // in both the text and the HTML part
		absent  []string // in neither part
	}{
		{"email_confirmation", map[string]any{"Code": code}, "[Acme] Confirm your email address",
			[]string{code}, []string{"http"}},
		{"email_confirmation", map[string]any{"Link": link}, "[Acme] Confirm your email address",
			[]string{link}, []string{"code"}},
		{"email_confirmation", map[string]any{"Code": code, "Link": link}, "[Acme] Confirm your email address",
			[]string{code, link}, nil},
		{"email_confirmation_signup", map[string]any{"Code": code}, "[Acme] Confirm your email address to finish signing up",
			[]string{code, "signed up"}, []string{"http"}},
		{"email_confirmation_signup", map[string]any{"Link": link}, "[Acme] Confirm your email address to finish signing up",
			[]string{link}, nil},
		{"password_reset_key", map[string]any{"Link": link, "Username": "alice"}, "[Acme] Reset your password",
			[]string{link, "alice"}, nil},
		{"password_reset_key", map[string]any{"Link": link}, "[Acme] Reset your password",
			[]string{link}, []string{"username"}},
		{"password_reset_code", map[string]any{"Code": code}, "[Acme] Your password reset code",
			[]string{code}, nil},
		{"login_code", map[string]any{"Code": code}, "[Acme] Your sign-in code",
			[]string{code}, nil},
		{"unknown_account", map[string]any{"SignupLink": signupLink}, "[Acme] No account uses this email address",
			[]string{signupLink}, nil},
		{"unknown_account", nil, "[Acme] No account uses this email address",
			nil, []string{"http", "sign up here"}},
		{"account_already_exists", map[string]any{"ResetLink": resetLink}, "[Acme] You already have an account",
			[]string{resetLink}, nil},
		{"account_already_exists", map[string]any{}, "[Acme] You already have an account",
			[]string{"sign-in page"}, []string{"http"}},
		{"password_changed", nil, "[Acme] Your password was changed",
			nil, []string{"when:", "ip address", "http"}},
		{"password_changed", notice, "[Acme] Your password was changed",
			noticeShown, nil},
		{"password_reset", notice, "[Acme] Your password was reset",
			noticeShown, nil},
		{"password_reset", nil, "[Acme] Your password was reset",
			[]string{"reset your password right away"}, []string{"when:", "http"}},
		{"email_added", map[string]any{"Address": "new@example.org"}, "[Acme] An email address was added to your account",
			[]string{"new@example.org", "someone else may have access"}, []string{"browser or app"}},
		{"email_added", withNotice(map[string]any{"Address": "new@example.org"}), "[Acme] An email address was added to your account",
			append([]string{"new@example.org"}, noticeShown...), nil},
		{"email_removed", withNotice(map[string]any{"Address": "old@example.org"}), "[Acme] An email address was removed from your account",
			append([]string{"old@example.org", "can no longer sign in"}, noticeShown...), nil},
		{"primary_email_changed", withNotice(map[string]any{"OldEmail": "alice@example.com", "NewEmail": "new@example.org"}),
			"[Acme] Your primary email address was changed",
			append([]string{"new@example.org"}, noticeShown...), nil},
		{"mfa_enabled", withNotice(map[string]any{"Factor": "an authenticator app"}), "[Acme] Two-factor authentication was set up",
			append([]string{"an authenticator app was just added"}, noticeShown...), nil},
		{"mfa_disabled", withNotice(map[string]any{"Factor": "an authenticator app"}), "[Acme] Two-factor authentication was turned off",
			append([]string{"an authenticator app was just removed"}, noticeShown...), nil},
		{"account_deleted", map[string]any{"Time": "Mon, 30 Nov 2026 10:00:00 UTC"}, "[Acme] Your account was deleted",
			[]string{"has been deleted", "at Mon, 30 Nov 2026 10:00:00 UTC", "did not ask for this"}, nil},
		{"provider_connected", withNotice(map[string]any{"Provider": "GitHub"}), "[Acme] A GitHub account was connected to your account",
			append([]string{"can now be used to sign in", "someone else may have access"}, noticeShown...), nil},
		{"provider_disconnected", withNotice(map[string]any{"Provider": "GitHub"}), "[Acme] A GitHub account was disconnected from your account",
			append([]string{"no longer be used to sign in"}, noticeShown...), nil},
	}

	m := newConsoleMailer(t, Config{SiteName: "Acme"})
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.kind] = true
		t.Run(tt.kind, func(t *testing.T) {
			msg, err := m.Render(tt.kind, "alice@example.com", tt.data)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if msg.Kind != tt.kind || msg.To != "alice@example.com" {
				t.Errorf("Kind, To = %q, %q", msg.Kind, msg.To)
			}
			if msg.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", msg.Subject, tt.subject)
			}
			if !strings.HasPrefix(msg.HTML, "<!DOCTYPE html>") || !strings.Contains(msg.HTML, `<html lang="en">`) {
				t.Errorf("HTML is not a full document:\n%s", msg.HTML)
			}
			// Every message names the site and the address, and tells the
			// reader why they got it.
			for _, s := range append([]string{"Acme", "alice@example.com", "receiving this email"}, tt.want...) {
				if !strings.Contains(msg.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, msg.Text)
				}
				if !strings.Contains(msg.HTML, html.EscapeString(s)) {
					t.Errorf("HTML lacks %q:\n%s", s, msg.HTML)
				}
			}
			for _, s := range append([]string{"<no value>", "%!"}, tt.absent...) {
				if strings.Contains(strings.ToLower(msg.Text), strings.ToLower(s)) {
					t.Errorf("Text contains %q:\n%s", s, msg.Text)
				}
			}
			if strings.Contains(msg.HTML, "<no value>") || strings.Contains(msg.HTML, "ZgotmplZ") {
				t.Errorf("HTML has a template artefact:\n%s", msg.HTML)
			}
			if strings.Contains(msg.Text, "\n\n\n") || !strings.HasSuffix(msg.Text, "\n") || strings.HasSuffix(msg.Text, "\n\n") {
				t.Errorf("Text has stray blank lines:\n%q", msg.Text)
			}
		})
	}
	for kind := range kinds {
		if !covered[kind] {
			t.Errorf("kind %s not covered", kind)
		}
	}
}

func TestRenderData(t *testing.T) {
	m := newConsoleMailer(t, Config{SiteName: "Acme"})

	t.Run("does not modify caller's map", func(t *testing.T) {
		data := map[string]any{"Code": "123456"}
		if _, err := m.Render("login_code", "bob@example.com", data); err != nil {
			t.Fatal(err)
		}
		if len(data) != 1 {
			t.Errorf("data changed: %v", data)
		}
	})
	t.Run("Email from data wins", func(t *testing.T) {
		msg, err := m.Render("password_changed", "Bob <bob@example.com>", map[string]any{"Email": "shown@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, "shown@example.com") || msg.To != "Bob <bob@example.com>" {
			t.Errorf("To = %q, Text:\n%s", msg.To, msg.Text)
		}
	})
	t.Run("display name in recipient", func(t *testing.T) {
		msg, err := m.Render("password_changed", "Bob <bob@example.com>", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, "uses bob@example.com") {
			t.Errorf("Text:\n%s", msg.Text)
		}
	})
	t.Run("default site name", func(t *testing.T) {
		m := newConsoleMailer(t, Config{})
		msg, err := m.Render("password_changed", "bob@example.com", nil)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Subject != "[Latch] Your password was changed" {
			t.Errorf("Subject = %q", msg.Subject)
		}
	})
	t.Run("HTML escapes data", func(t *testing.T) {
		msg, err := m.Render("password_reset_key", "bob@example.com", map[string]any{
			"Link":     "https://example.com/reset?a=1&b=2",
			"Username": `<script>alert("x")</script>`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(msg.HTML, "<script>") {
			t.Errorf("HTML not escaped:\n%s", msg.HTML)
		}
		if !strings.Contains(msg.HTML, `href="https://example.com/reset?a=1&amp;b=2"`) {
			t.Errorf("link not in HTML:\n%s", msg.HTML)
		}
		if !strings.Contains(msg.Text, "https://example.com/reset?a=1&b=2") || !strings.Contains(msg.Text, `<script>`) {
			t.Errorf("text part should carry data verbatim:\n%s", msg.Text)
		}
	})
	t.Run("unsafe link scheme neutralised in HTML", func(t *testing.T) {
		msg, err := m.Render("password_reset_key", "bob@example.com", map[string]any{"Link": "javascript:alert(1)"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(msg.HTML, `href="javascript:`) {
			t.Errorf("javascript: link in HTML:\n%s", msg.HTML)
		}
	})
}

func TestRenderErrors(t *testing.T) {
	m := newConsoleMailer(t, Config{})
	tests := []struct {
		name, kind, to string
		data           map[string]any
		want           string
	}{
		{"unknown kind", "no_such_kind", "a@example.com", nil, "unknown template kind"},
		{"bad address", "password_changed", "not an address", nil, "invalid recipient"},
		{"header injection", "password_changed", "a@example.com\r\nBcc: b@example.com", nil, "invalid recipient"},
		{"empty address", "password_changed", "", nil, "invalid recipient"},
		{"missing link", "password_reset_key", "a@example.com", map[string]any{"Username": "a"}, "missing data Link"},
		{"empty code", "login_code", "a@example.com", map[string]any{"Code": ""}, "missing data Code"},
		{"missing code", "password_reset_code", "a@example.com", nil, "missing data Code"},
		{"neither code nor link", "email_confirmation", "a@example.com", nil, "Code or Link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Render(tt.kind, tt.to, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if err := m.Send(t.Context(), tt.kind, tt.to, tt.data); err == nil {
				t.Error("Send accepted what Render refused")
			}
		})
	}
}

func TestTemplateDirOverride(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("login_code_subject.txt", "{{.SiteName}}: code {{.Code}}\n")
	write("login_code_message.html", "<p>Custom {{.Code}} for {{.Email}}</p>")

	m := newConsoleMailer(t, Config{SiteName: "Acme", TemplateDir: dir})
	msg, err := m.Render("login_code", "a@example.com", map[string]any{"Code": "777888"})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "Acme: code 777888" {
		t.Errorf("Subject = %q, want the override", msg.Subject)
	}
	if msg.HTML != "<p>Custom 777888 for a@example.com</p>\n" {
		t.Errorf("HTML = %q, want the override", msg.HTML)
	}
	if !strings.Contains(msg.Text, "Your sign-in code is:") {
		t.Errorf("text part should still be the embedded one:\n%s", msg.Text)
	}
	// Other kinds are untouched.
	other, err := m.Render("password_reset_code", "a@example.com", map[string]any{"Code": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if other.Subject != "[Acme] Your password reset code" {
		t.Errorf("other kind's Subject = %q", other.Subject)
	}
}

func TestTemplateDirOverridesLayout(t *testing.T) {
	dir := t.TempDir()
	layout := `{{define "base"}}<main>{{template "content" .}}</main>{{end}}` +
		`{{define "p"}}<p>{{end}}{{define "code"}}<b>{{.}}</b>{{end}}{{define "fallback"}}{{.}}{{end}}`
	if err := os.WriteFile(filepath.Join(dir, "base.html"), []byte(layout), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newConsoleMailer(t, Config{TemplateDir: dir})
	msg, err := m.Render("login_code", "a@example.com", map[string]any{"Code": "4242"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg.HTML, "<main>") || !strings.Contains(msg.HTML, "<b>4242</b>") {
		t.Errorf("HTML = %q", msg.HTML)
	}
}

func TestTemplateDirErrors(t *testing.T) {
	t.Run("template does not parse", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "login_code_message.txt"), []byte("{{.Code"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := newTest(Config{URL: mustURL(t, "console:"), TemplateDir: dir}, discardLogger())
		if err == nil || !strings.Contains(err.Error(), "login_code_message.txt") {
			t.Fatalf("err = %v, want a parse error naming the file", err)
		}
	})
	t.Run("directory missing", func(t *testing.T) {
		_, err := newTest(Config{URL: mustURL(t, "console:"), TemplateDir: filepath.Join(t.TempDir(), "nope")}, discardLogger())
		if err == nil {
			t.Fatal("New accepted a missing template directory")
		}
	})
	t.Run("unknown file is reported", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "login_cod_subject.txt"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		var logs lockedBuffer
		m, err := newTest(Config{URL: mustURL(t, "console:"), TemplateDir: dir, Out: &bytes.Buffer{}}, textLogger(&logs))
		if err != nil {
			t.Fatal(err)
		}
		closeMailer(t, m)
		if !strings.Contains(logs.String(), "login_cod_subject.txt") {
			t.Errorf("no warning about the unknown file; logs:\n%s", logs.String())
		}
	})
}

func TestEmbeddedTemplatesComplete(t *testing.T) {
	for kind := range kinds {
		for _, suffix := range []string{"_subject.txt", "_message.txt", "_message.html"} {
			if _, err := embedded.ReadFile("templates/" + kind + suffix); err != nil {
				t.Errorf("missing embedded template: %v", err)
			}
		}
	}
}

// TestBrand: buttons take the brand colour (the web app's accent by
// default) and a logo URL shows beside the site name.
func TestBrand(t *testing.T) {
	for _, tt := range []struct {
		name, color, logo string
		want, wantNot     []string
	}{
		{"default", "", "", []string{"background-color:" + DefaultBrandColor}, []string{"<img", "1d4ed8"}},
		{"operator's", "#aa3300", "https://cdn.example.com/logo.png",
			[]string{"background-color:#aa3300", `<img src="https://cdn.example.com/logo.png"`}, []string{DefaultBrandColor}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newConsoleMailer(t, Config{SiteName: "Acme", BrandColor: tt.color, LogoURL: tt.logo})
			msg, err := m.Render("password_reset_key", "kim@example.com", map[string]any{"Link": testLink})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg.HTML, w) {
					t.Errorf("HTML lacks %q", w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(msg.HTML, w) {
					t.Errorf("HTML has %q", w)
				}
			}
		})
	}
}
