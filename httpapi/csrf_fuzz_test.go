package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzCSRF sends a browser's unsafe request with arbitrary Cookie,
// X-CSRFToken, Origin and Sec-Fetch-Site headers through the CSRF check.
// "@tok" in the cookie line or the header stands for a token issued for the
// request's session cookie and "@masked" for it in Django's masked form, so
// that the fuzzer reaches the accepting paths. Whatever the input, the check
// never panics, and it lets a request through only when the origin check
// passes and the header echoes a well-formed csrftoken cookie (plain or
// masked) that was issued for that session. A token issued for a session is
// accepted with it, masked or not, and refused with any other.
func FuzzCSRF(f *testing.F) {
	f.Add("sessionid=abc; csrftoken=@tok", "@tok", "http://latch.test", "")
	f.Add("csrftoken=@tok", "@masked", "http://latch.test", "same-origin")
	f.Add("sessionid=abc; csrftoken=@masked", "@tok", "", "same-origin")
	f.Add("sessionid=abc; csrftoken=@tok", "@tok", "http://evil.test", "cross-site")
	f.Add("csrftoken=@tok; sessionid=other", "@tok", "http://latch.test", "")
	f.Add("csrftoken="+strings.Repeat("a", 64), strings.Repeat("a", 64), "http://latch.test", "")
	f.Add("csrftoken="+strings.Repeat("a", 32), strings.Repeat("A", 32), "null", "none")
	f.Add(`csrftoken="@tok"`, "@tok ", "http://latch.test:80", "")
	s := &Server{csrfKey: newCSRFKey([]byte("fuzz csrf key")), cop: http.NewCrossOriginProtection()}

	f.Fuzz(func(t *testing.T, cookie, header, origin, site string) {
		r := httptest.NewRequest("POST", "http://latch.test/_allauth/browser/v1/auth/login", nil)
		r.Header["Cookie"] = []string{cookie}
		// The token is issued for the session cookie as sent; "@tok" may
		// stand in the session cookie itself, so the request's session can
		// differ from the one the token is for.
		issued := cookieValue(r, sessionCookie)
		tok := s.csrfKey.newToken(issued)
		masked := maskCSRF(tok)
		sub := strings.NewReplacer("@tok", tok, "@masked", masked)
		r.Header["Cookie"] = []string{sub.Replace(cookie)}
		r.Header[csrfHeaderKey] = []string{sub.Replace(header)}
		r.Header["Origin"] = []string{origin}
		r.Header["Sec-Fetch-Site"] = []string{site}
		session := cookieValue(r, sessionCookie)

		refused := s.checkCSRF(r, session)
		if refused != nil {
			if refused.code == "" || refused.message == "" {
				t.Fatalf("refusal without a code or message: %+v", refused)
			}
		} else {
			c, h := cookieValue(r, csrfCookie), r.Header.Get(csrfHeaderKey)
			switch {
			case s.cop.Check(r) != nil:
				t.Fatalf("passed a request the origin check refuses: %q", r.Header)
			case !validCSRFToken(c) || !validCSRFToken(h) || unmaskCSRF(c) != unmaskCSRF(h):
				t.Fatalf("passed cookie %q with header %q", c, h)
			case !s.csrfKey.bound(c, session):
				t.Fatalf("passed cookie %q not issued for session %q", c, session)
			}
		}

		if unmaskCSRF(masked) != tok || len(masked) != 64 || !validCSRFToken(masked) {
			t.Fatalf("mask %q of %q unmasks to %q", masked, tok, unmaskCSRF(masked))
		}
		if !s.csrfKey.bound(tok, issued) || !s.csrfKey.bound(masked, issued) {
			t.Fatalf("token %q (masked %q) issued for %q is refused with it", tok, masked, issued)
		}
		if other := issued + "x"; s.csrfKey.bound(tok, other) || s.csrfKey.bound(masked, other) {
			t.Fatalf("token issued for %q is accepted with %q", issued, other)
		}
		if issued != "" && s.csrfKey.bound(tok, "") {
			t.Fatalf("token issued for %q is accepted without a session", issued)
		}
	})
}
