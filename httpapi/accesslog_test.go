package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAccessLineMatchesSlog: the hand-written request line is byte for byte
// what log/slog's text and JSON handlers write for the same record.
func TestAccessLineMatchesSlog(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 30, 1, 123456789, time.UTC)
	for _, rid := range []string{"", "trace-42.a:b", "a b"} {
		for _, path := range []string{"/_allauth/app/v1/auth/session", "/a b", `/q"uote`, "/x=y", "/ünïcode", "/bad\xffutf8", "/tab\there", "/nl\nx", "", "/\u2028", "/del\x7f", "/~!#$%&*+,;<>?@[]^`{|}", "/ctl\x01", "/nbsp\u00a0"} {
			for _, json := range []bool{false, true} {
				for _, level := range []slog.Level{slog.LevelInfo, slog.LevelError} {
					var want bytes.Buffer
					var h slog.Handler = slog.NewTextHandler(&want, nil)
					if json {
						h = slog.NewJSONHandler(&want, nil)
					}
					h = RequestIDLogs(h)
					ctx := context.Background()
					if rid != "" {
						ctx = context.WithValue(ctx, requestIDKey{}, rid)
					}
					r := slog.NewRecord(at, level, "request", 0)
					d := 1234567 * time.Nanosecond
					r.AddAttrs(slog.String("method", "GET"), slog.String("path", path), slog.Int("status", 200), slog.Int("bytes", 118),
						slog.Duration("duration", d), slog.String("ip", "192.0.2.7"))
					if err := h.Handle(ctx, r); err != nil {
						t.Fatal(err)
					}
					got := appendAccessLine(nil, json, at, level, "GET", path, 200, 118, d, "192.0.2.7", rid)
					if string(got) != want.String() {
						t.Errorf("json=%v path %q:\n got %s\nwant %s", json, path, got, want.String())
					}
				}
			}
		}
	}
}

func TestAccessLogModes(t *testing.T) {
	var out bytes.Buffer
	for _, tt := range []struct {
		mode   string
		status int
		logged bool
		level  slog.Level
	}{
		{AccessAll, 200, true, slog.LevelInfo}, {AccessAll, 404, true, slog.LevelInfo}, {AccessAll, 503, true, slog.LevelError},
		{AccessErrors, 200, false, slog.LevelInfo}, {AccessErrors, 302, false, slog.LevelInfo}, {AccessErrors, 400, true, slog.LevelInfo},
		{AccessOff, 404, false, slog.LevelInfo}, {AccessOff, 500, true, slog.LevelError},
		{"", 200, true, slog.LevelInfo},
	} {
		a := &accessLogger{cfg: AccessLog{Out: &out, Mode: tt.mode}}
		level, ok := a.wants(tt.status)
		if ok != tt.logged || level != tt.level {
			t.Errorf("mode %q, status %d: logged %v at %v, want %v at %v", tt.mode, tt.status, ok, level, tt.logged, tt.level)
		}
	}
	if _, ok := (&accessLogger{}).wants(500); ok {
		t.Error("a request was logged with no Out")
	}
}

// TestAccessLogServed: the server's middleware writes one line per request
// it is asked to log, after the log's level.
func TestAccessLogServed(t *testing.T) {
	for _, tt := range []struct {
		mode  string
		level slog.Level
		want  []string // paths logged
	}{
		{AccessAll, slog.LevelInfo, []string{"/ok", "/missing"}},
		{AccessErrors, slog.LevelInfo, []string{"/missing"}},
		{AccessAll, slog.LevelWarn, nil},
	} {
		var out bytes.Buffer
		s := &Server{cfg: Config{AccessLog: AccessLog{Out: &out, Mode: tt.mode}},
			log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: tt.level})), timeout: DefaultRequestTimeout}
		s.access = newAccessLogger(s)
		s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/missing" {
				w.WriteHeader(http.StatusNotFound)
			}
			w.Write([]byte("x"))
		})
		for _, p := range []string{"/ok", "/missing"} {
			s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p+"?secret=1", nil))
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if out.Len() == 0 {
			lines = nil
		}
		if len(lines) != len(tt.want) {
			t.Fatalf("mode %s level %v: lines %q, want paths %v", tt.mode, tt.level, lines, tt.want)
		}
		for i, l := range lines {
			if !strings.Contains(l, "path="+tt.want[i]+" ") || strings.Contains(l, "secret") || !strings.Contains(l, "msg=request method=GET") {
				t.Errorf("line %q, want path %s and no query", l, tt.want[i])
			}
		}
	}
}

// TestAppendMillis: the text handler's time layout, by hand, equals
// AppendFormat's in every zone and at the edges of its fields.
func TestAppendMillis(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", -(9*3600 + 30*60)), time.FixedZone("", 5*3600+45*60), time.FixedZone("", 14*3600)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	times := []time.Time{
		time.Date(2026, 12, 3, 9, 30, 1, 123456789, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 12, 0, 0, 1000000, time.UTC), time.Now(),
	}
	for _, z := range zones {
		for _, at := range times {
			at = at.In(z)
			want := at.Format("2006-01-02T15:04:05.000Z07:00")
			if got := string(appendMillis(nil, at)); got != want {
				t.Errorf("%v: %s, want %s", at, got, want)
			}
		}
	}
}
