package httpapi

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestCookieValueMatchesNetHTTP(t *testing.T) {
	headers := [][]string{
		nil,
		{""},
		{"sessionid=abc"},
		{"sessionid=abc; csrftoken=def"},
		{"  sessionid = abc ;csrftoken=def;;"},
		{"sessionid= abc"},
		{`sessionid="abc"`},
		{`sessionid="abc`},
		{`sessionid=""`},
		{`sessionid="`},
		{"sessionid="},
		{"sessionid"},
		{"sessionid=a b"},
		{"sessionid=a\\b; sessionid=second"},
		{"sessionid=a\"b; sessionid=second"},
		{"sessionid=a,b"},
		{"sessionid=caf\xc3\xa9; sessionid=second"},
		{"sessionid=\x7f; sessionid=second"},
		{"sessionid=first; sessionid=second"},
		{"SessionID=upper; sessionid=lower"},
		{"session id=x; sessionid=y"},
		{"x=1", "sessionid=second-line"},
		{"sessionid=first-line", "sessionid=second-line"},
		{"\t sessionid=tab\t"},
		{"a=1;b=2;sessionid=c=d"},
		{"=sessionid; sessionid=ok"},
		{strings.Repeat("a=1;", 2999) + "sessionid=within-cap"},
		{strings.Repeat("a=1;", 3000) + "sessionid=past-cap"},
		{strings.Repeat("a=1;", 1500), strings.Repeat("a=1;", 1500) + "sessionid=past-cap"},
	}
	for _, h := range headers {
		checkCookieValue(t, h...)
	}
}

func FuzzCookieValue(f *testing.F) {
	f.Add("sessionid=abc; csrftoken=def", "")
	f.Add(` sessionid="a b" ;`, "sessionid=second")
	f.Add(`csrftoken="abc"; csrftoken=def`, "sessionid=x")
	f.Fuzz(func(t *testing.T, line1, line2 string) { checkCookieValue(t, line1, line2) })
}

// checkCookieValue compares cookieValue with r.Cookie for the Cookie header
// lines, for the session and the CSRF cookie.
func checkCookieValue(t *testing.T, lines ...string) {
	t.Helper()
	r, _ := http.NewRequest("GET", "/", nil)
	for _, line := range lines {
		r.Header.Add("Cookie", line)
	}
	for _, name := range []string{sessionCookie, csrfCookie} {
		want := ""
		if c, err := r.Cookie(name); err == nil {
			want = c.Value
		}
		if got := cookieValue(r, name); got != want {
			t.Errorf("%s in %.60q: got %q, want %q", name, lines, got, want)
		}
	}
}

func TestForwardedForMatchesSplit(t *testing.T) {
	// The lookup clientIP made before it avoided allocating.
	split := func(xff []string, n int) (string, bool) {
		parts := strings.Split(strings.Join(xff, ","), ",")
		if len(parts) < n {
			return "", false
		}
		ip := strings.TrimSpace(parts[len(parts)-n])
		return ip, net.ParseIP(ip) != nil
	}
	values := [][]string{
		{""}, {"1.2.3.4"}, {" 1.2.3.4 , 5.6.7.8 "}, {"1.2.3.4, 5.6.7.8", "9.9.9.9"}, {"1.2.3.4,,5.6.7.8"},
		{"", "1.2.3.4", ""}, {"::1, fe80::1%eth0, 2001:db8::1"}, {"::ffff:1.2.3.4,01.2.3.4,1.2.3.256"},
		{"unknown, 10.0.0.1"}, {"a,b", "c,d", "e"}, {"1.2.3.4 5.6.7.8"},
	}
	for _, xff := range values {
		for n := 1; n <= 6; n++ {
			ip, ok := forwardedFor(xff, n)
			wantIP, wantOK := split(xff, n)
			if ok != wantOK || ok && ip != wantIP {
				t.Errorf("%q, %d: got %q %v, want %q %v", xff, n, ip, ok, wantIP, wantOK)
			}
		}
	}
}

func TestCSRFHeaderKey(t *testing.T) {
	if got := http.CanonicalHeaderKey(csrfHeader); got != csrfHeaderKey {
		t.Errorf("csrfHeaderKey = %q, want %q", csrfHeaderKey, got)
	}
}

// TestHeaderValueKeys checks that the names headerValue is given are
// canonical, and that it then reads what Header.Get reads, whatever case
// the client sent the name in.
func TestHeaderValueKeys(t *testing.T) {
	for _, key := range []string{tokenHeader, deviceHeader, requestIDHeader, "Authorization", "Origin", "User-Agent"} {
		if got := http.CanonicalHeaderKey(key); got != key {
			t.Errorf("%q is not canonical (%q): headerValue would miss it", key, got)
		}
		for _, sent := range []string{key, strings.ToLower(key), strings.ToUpper(key)} {
			raw := "GET / HTTP/1.1\r\nHost: x\r\n" + sent + ": v1\r\n" + sent + ": v2\r\n\r\n"
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := headerValue(r.Header, key), r.Header.Get(key); got != want || got != "v1" {
				t.Errorf("%s sent as %q: headerValue %q, Header.Get %q", key, sent, got, want)
			}
		}
	}
	if got := headerValue(http.Header{}, "Origin"); got != "" {
		t.Errorf("absent header: %q", got)
	}
}

func TestValidCSRFTokenAlphabet(t *testing.T) {
	for c := range 256 {
		want := strings.IndexByte(csrfChars, byte(c)) >= 0
		if got := validCSRFToken(strings.Repeat(string([]byte{byte(c)}), 32)); got != want {
			t.Errorf("byte %#x: valid = %v, want %v", c, got, want)
		}
	}
}
