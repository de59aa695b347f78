package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch/internal/jsonstr"
)

// AccessLog configures the request log: one line per request, in the
// format of the rest of the log (log/slog's text or JSON lines), written
// by hand, without slog's generic machinery, which cost a third of a
// cached session check. It logs the path only: never the query string,
// headers, cookies or bodies, where secrets travel.
type AccessLog struct {
	// Out receives the lines; nil: no request log.
	Out io.Writer
	// JSON selects slog's JSON format; otherwise its text format.
	JSON bool
	// Mode is AccessAll (the default), AccessErrors or AccessOff.
	Mode string
}

// Access log modes (LATCH_ACCESS_LOG).
const (
	AccessAll    = "all"    // every request
	AccessErrors = "errors" // requests answered with a status of 400 or more
	AccessOff    = "off"    // none, except 5xx answers (always logged, at error level)
)

// accessLogger writes request lines.
type accessLogger struct {
	cfg      AccessLog
	log      *slog.Logger // its level decides which lines are written
	clientIP func(*http.Request) string
	pool     sync.Pool // *[]byte line buffers
}

func newAccessLogger(s *Server) *accessLogger {
	return &accessLogger{cfg: s.cfg.AccessLog, log: s.log, clientIP: s.clientIP}
}

// enabled reports whether the log would write anything for a request of
// ctx (a 5xx at least); when not, the envelope skips the timing.
func (a *accessLogger) enabled(ctx context.Context) bool {
	return a.cfg.Out != nil && a.log.Handler().Enabled(ctx, slog.LevelError)
}

// done writes the line of a request answered with status and bytes, at
// info level, or error level for a 5xx, when the log's level and the access
// log's mode want it.
func (a *accessLogger) done(r *http.Request, status, bytes int, start time.Time) {
	level, ok := a.wants(status)
	if !ok || !a.log.Handler().Enabled(r.Context(), level) {
		return
	}
	end := time.Now()
	a.write(end, level, r.Method, truncate(r.URL.Path, 256), status, bytes, end.Sub(start), a.clientIP(r), RequestID(r.Context()))
}

// wants reports whether a request answered with status is logged, and at
// which level.
func (a *accessLogger) wants(status int) (slog.Level, bool) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	switch {
	case a.cfg.Out == nil:
		return level, false
	case status >= 500:
	case a.cfg.Mode == AccessOff, a.cfg.Mode == AccessErrors && status < 400:
		return level, false
	}
	return level, true
}

// write logs one request.
func (a *accessLogger) write(end time.Time, level slog.Level, method, path string, status, bytes int, d time.Duration, ip, requestID string) {
	bp, _ := a.pool.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, 256)
		bp = &b
	}
	b := appendAccessLine((*bp)[:0], a.cfg.JSON, end, level, method, path, status, bytes, d, ip, requestID)
	a.cfg.Out.Write(b) // a failing log destination must not fail requests
	*bp = b
	a.pool.Put(bp)
}

// appendAccessLine appends a request line as log/slog's TextHandler or
// JSONHandler (wrapped in RequestIDLogs) would write it; requestID "" is
// left out.
func appendAccessLine(b []byte, json bool, t time.Time, level slog.Level, method, path string, status, bytes int, d time.Duration, ip, requestID string) []byte {
	if json {
		b = append(b, `{"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"`...)
		b = append(b, level.String()...)
		b = append(b, `","msg":"request","method":`...)
		b = jsonstr.Append(b, method, false)
		b = append(b, `,"path":`...)
		b = jsonstr.Append(b, path, false)
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(status), 10)
		b = append(b, `,"bytes":`...)
		b = strconv.AppendInt(b, int64(bytes), 10)
		b = append(b, `,"duration":`...)
		b = strconv.AppendInt(b, int64(d), 10)
		b = append(b, `,"ip":`...)
		b = jsonstr.Append(b, ip, false)
		if requestID != "" {
			b = append(b, `,"request_id":`...)
			b = jsonstr.Append(b, requestID, false)
		}
		return append(b, "}\n"...)
	}
	b = append(b, "time="...)
	b = appendMillis(b, t)
	b = append(b, " level="...)
	b = append(b, level.String()...)
	b = append(b, " msg=request method="...)
	b = appendTextValue(b, method)
	b = append(b, " path="...)
	b = appendTextValue(b, path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, int64(bytes), 10)
	b = append(b, " duration="...)
	b = append(b, d.String()...)
	b = append(b, " ip="...)
	b = appendTextValue(b, ip)
	if requestID != "" {
		b = append(b, " request_id="...)
		b = appendTextValue(b, requestID)
	}
	return append(b, '\n')
}

// appendMillis appends t as t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
// does, the text handler's layout, at a tenth of its cost.
func appendMillis(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1e6, 3)
	_, offset := t.Zone()
	if offset == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b = append(b, sign)
	b = appendDigits(b, offset/3600, 2)
	b = append(b, ':')
	return appendDigits(b, offset/60%60, 2)
}

// appendDigits appends n (≥ 0) in decimal, zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}

// textPlain marks the ASCII bytes a text value holds unquoted, as slog's
// TextHandler decides (DEL included, as it does): one table lookup per byte
// is needsQuoting's common case.
var textPlain = func() (t [256]bool) {
	for c := '!'; c < utf8.RuneSelf; c++ {
		t[c] = c != '=' && c != '"'
	}
	return t
}()

// appendTextValue appends s as slog's TextHandler does: as is, or quoted
// when it is empty or holds a space, '=', '"', a control character (DEL aside) or
// invalid UTF-8.
func appendTextValue(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if textPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return true
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
