package httpapi

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// trickyStrings are strings encoding/json escapes in every way it has.
var trickyStrings = []string{
	"", "ann", "ann@bench.example", `O"Brien`, `back\slash`, "<script>alert('x')</script>", "a&b>c<d",
	"Zoë_ü", "日本語", "emoji 😀", "tab\there", "new\nline\r", "\b\f\x00\x01\x1f\x7f", "\u2028\u2029",
	"bad \xff utf-8", "cut \xe2\x82", "\xed\xa0\x80 surrogate", "é\u0301", `"quoted" <and> & 'single'`,
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendJSONFloat(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1.5, 1e-7, 1.5e-7, -1e-7, 1e-6, 9.99e-7, 1e20, 1e21, 1.2e21,
		-1e21, 123456789.123, 1.7e9, 1772600767.123456, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-300, 1e300, 100, 1e-10} {
		got, ok := appendJSONFloat([]byte("x"), f)
		if want := "x" + marshal(t, f); !ok || string(got) != want {
			t.Errorf("%v: got %s (%v), want %s", f, got, ok, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, ok := appendJSONFloat(nil, f); ok {
			t.Errorf("%v: encoded, but encoding/json refuses it", f)
		}
	}
}

// fill sets every field of the struct v points to from values, by kind, so
// that a field added to the type later shows up in the comparison.
func fill(v any, s string, b bool, f float64) {
	e := reflect.ValueOf(v).Elem()
	for i := range e.NumField() {
		switch fv := e.Field(i); fv.Kind() {
		case reflect.String:
			fv.SetString(s)
		case reflect.Bool:
			fv.SetBool(b)
		case reflect.Float64:
			fv.SetFloat(f)
		default:
			panic("fill: unhandled kind " + fv.Kind().String())
		}
	}
}

func TestAppendUserJSON(t *testing.T) {
	users := []*latch.User{
		{PublicID: "0b4f3c1e-8a53-4a43-9f6e-1c3e9d7a2b10", Email: "ann@bench.example"},
		{PublicID: "id", Username: "Zoë_ü.+-@x", Email: "zoë@example.com", PasswordHash: "!unusable"},
		{PublicID: `"id"`, Username: `O"Brien<&>`},
		{PublicID: "id"},
	}
	for _, u := range users {
		if got, want := string(appendUserJSON(nil, toUserJSON(u))), marshal(t, toUserJSON(u)); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	for _, s := range trickyStrings {
		for _, b := range []bool{false, true} {
			var u userJSON
			fill(&u, s, b, 0)
			if got, want := string(appendUserJSON(nil, u)), marshal(t, u); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		}
	}
}

// The reference shapes of the session answers, as encoding/json encodes them
// (these were the types writeAuth handed it).
type (
	refSession struct {
		User    userJSON           `json:"user"`
		Methods []latch.AuthMethod `json:"methods"`
	}
	refFlow struct {
		ID        string `json:"id"`
		IsPending *bool  `json:"is_pending,omitempty"`
	}
	refFlows struct {
		Flows []refFlow `json:"flows"`
	}
	refMeta struct {
		IsAuthenticated bool   `json:"is_authenticated"`
		SessionToken    string `json:"session_token,omitempty"`
		AccessToken     string `json:"access_token,omitempty"`
		RefreshToken    string `json:"refresh_token,omitempty"`
	}
)

// tokenPairJSON is the data of a refresh answer, as encoding/json would
// marshal it.
type tokenPairJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// TestAppendTokenPairJSON: the refresh answer written by hand is what
// writeJSON writes for it.
func TestAppendTokenPairJSON(t *testing.T) {
	for i, s := range trickyStrings {
		access, refresh := s, trickyStrings[(i+1)%len(trickyStrings)]
		want := marshal(t, envelope{Status: 200, Data: tokenPairJSON{AccessToken: access, RefreshToken: refresh}}) + "\n"
		if got := string(appendTokenPairJSON(nil, access, refresh)); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func TestAppendSessionJSON(t *testing.T) {
	var methodLists [][]latch.AuthMethod
	methodLists = append(methodLists, nil, []latch.AuthMethod{},
		[]latch.AuthMethod{{Method: "password", At: 1772600767.123456, Email: "ann@bench.example"}},
		[]latch.AuthMethod{{Method: "password", At: 1.7e9, Username: "Zoë"}, {Method: "code", At: 1.7e9 + 0.5, Email: "a@b", Reauthenticated: true}})
	for i, s := range trickyStrings {
		var m latch.AuthMethod
		fill(&m, s, i%2 == 0, float64(i)*1e8+0.25)
		methodLists = append(methodLists, []latch.AuthMethod{m, m})
	}
	for i, methods := range methodLists {
		s := trickyStrings[i%len(trickyStrings)]
		var u userJSON
		fill(&u, s, i%2 == 0, 0)
		for _, tokens := range [][3]string{{}, {"session-token", "", ""}, {"", "access.token", "refresh"}, {s, s, s}} {
			got, ok := appendSessionJSON(nil, u, methods, tokens[0], tokens[1], tokens[2])
			ref := methods
			if ref == nil {
				ref = []latch.AuthMethod{}
			}
			want := marshal(t, envelope{Status: 200, Data: refSession{User: u, Methods: ref},
				Meta: refMeta{IsAuthenticated: true, SessionToken: tokens[0], AccessToken: tokens[1], RefreshToken: tokens[2]}}) + "\n"
			if !ok || string(got) != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		}
	}
	if _, ok := appendSessionJSON(nil, userJSON{}, []latch.AuthMethod{{At: math.NaN()}}, "", "", ""); ok {
		t.Error("a NaN time was encoded")
	}
}

func TestAppendFlowsJSON(t *testing.T) {
	lists := [][]account.Flow{nil, {{ID: "login"}, {ID: "signup"}},
		{{ID: "login", IsPending: true}, {ID: "verify_email", IsPending: true}, {ID: "password_reset_by_code", ShowPending: true}},
		{{ID: `"odd" <id>`, IsPending: true, ShowPending: true}}}
	for _, flows := range lists {
		for _, status := range []int{401, 410} {
			for _, token := range []string{"", "new-token", `"<token>"`} {
				ref := make([]refFlow, len(flows))
				for i, f := range flows {
					ref[i] = refFlow{ID: f.ID}
					if f.IsPending || f.ShowPending {
						ref[i].IsPending = &f.IsPending
					}
				}
				want := marshal(t, envelope{Status: status, Data: refFlows{Flows: ref}, Meta: refMeta{SessionToken: token}}) + "\n"
				if got := string(appendFlowsJSON(nil, status, flows, token)); got != want {
					t.Errorf("got  %s\nwant %s", got, want)
				}
			}
		}
	}
}

func TestWriteJSONMatchesMarshal(t *testing.T) {
	for _, body := range []any{errorBody(400, "invalid", `<"bad">`), envelope{Status: 200, Data: map[string]any{"a": []int{1}}}} {
		w := &headerRecorder{header: map[string][]string{}}
		writeJSON(w, 418, body)
		if want := marshal(t, body) + "\n"; w.body.String() != want || w.status != 418 {
			t.Errorf("got %d %s, want 418 %s", w.status, w.body.String(), want)
		}
	}
	w := &headerRecorder{header: map[string][]string{}}
	writeJSON(w, 200, envelope{Status: 200, Data: math.Inf(1)})
	if w.status != 500 || w.body.String() != "{\"status\":500}\n" {
		t.Errorf("an unencodable body gave %d %v %q", w.status, w.header, w.body.String())
	}
}

// TestContentLength: every JSON answer is sent with a Content-Length, never
// chunked: net/http adds it to a small body by itself, writeBody to a body
// larger than net/http's buffer.
func TestContentLength(t *testing.T) {
	for _, n := range []int{0, 100, 2040, 2048, 2049, 5000} {
		body := []byte(strings.Repeat("x", n))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeBody(w, 200, body) }))
		res, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		srv.Close()
		if len(b) != n || res.ContentLength != int64(n) || len(res.TransferEncoding) != 0 {
			t.Errorf("%d bytes: got %d, Content-Length %d, Transfer-Encoding %v", n, len(b), res.ContentLength, res.TransferEncoding)
		}
	}
}

// headerRecorder is a minimal http.ResponseWriter.
type headerRecorder struct {
	header map[string][]string
	status int
	body   strings.Builder
}

func (w *headerRecorder) Header() http.Header         { return w.header }
func (w *headerRecorder) WriteHeader(status int)      { w.status = status }
func (w *headerRecorder) Write(b []byte) (int, error) { return w.body.Write(b) }

// BenchmarkAppendSessionJSON is the hand-written encoding of the session
// answer, for comparison with bench's BenchmarkSessionJSON (encoding/json).
func BenchmarkAppendSessionJSON(b *testing.B) {
	u := userJSON{ID: "0b4f3c1e-8a53-4a43-9f6e-1c3e9d7a2b10", Display: "ann@bench.example", Email: "ann@bench.example", HasUsablePassword: true}
	methods := []latch.AuthMethod{{Method: "password", At: 1.7e9, Email: "ann@bench.example"}}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := appendSessionJSON(buf, u, methods, "", "", ""); !ok {
			b.Fatal("not encoded")
		}
	}
}
