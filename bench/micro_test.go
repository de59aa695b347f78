package main

// Micro-benchmarks of Latch's hot paths, in-process (no network, no load
// generator), each with its allocations and, for paths that reach the
// database, the store calls it makes (reads/op, writes/op):
//
//	go test -run '^$' -bench . -benchtime 2s ./bench
//	go test -run '^$' -bench 'SessionGET/app$' -cpuprofile /tmp/cpu.out ./bench && go tool pprof -top /tmp/cpu.out
//
// PostgreSQL variants run when LATCH_TEST_POSTGRES_URL is set, and
// BenchmarkSessionLookupAtScale when LATCH_BENCH_USERS is.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/keyring"
	"github.com/latchauth/latch/latchauth"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/server"
	"github.com/latchauth/latch/sessioncache"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

// microIssuer is the public URL of the in-process Latch.
const microIssuer = "http://127.0.0.1:8000"

// stack is Latch's account core and HTTP API wired as `latch serve` wires
// them (rate limits off, JWT strategy), over a fresh database, with one
// user logged in through both clients.
type stack struct {
	store       *countingStore
	svc         *account.Service
	api         *httpapi.Server
	keys        *keyring.Keyring
	email       string
	appKey      string // X-Session-Token of an app session
	browserKey  string // sessionid of a browser session
	browserCSRF string // the csrftoken cookie issued for it
	anonCSRF    string // a csrftoken cookie issued to a caller without a session
	access      string // an access token of the app session
	refresh     string // its refresh token
}

// nopMailer drops mail (the console mailer's output is discarded too).
type nopMailer struct{}

func (nopMailer) Send(context.Context, string, string, map[string]any) error { return nil }

// newStack builds a stack on db. logLevel is the request log's level; the
// log is formatted (text, as by default) and written to io.Discard. The
// hasher uses password.TestParams: these benchmarks are not about argon2id
// (BenchmarkPassword is).
func newStack(b testing.TB, db *sqlstore.DB, logLevel slog.Level) *stack {
	b.Helper()
	return newStackCached(b, db, logLevel, true)
}

// newStackCached is newStack with the session cache (as latch serve runs
// by default) or without it (every check a query: LATCH_SESSION_CACHE_SIZE=0).
func newStackCached(b testing.TB, db *sqlstore.DB, logLevel slog.Level, cached bool) *stack {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: logLevel}))
	keys, err := keyring.Open(ctx, db.Keys, strings.Repeat("s", 32), jwt.EdDSA, 7*time.Minute, nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg := account.DefaultConfig()
	cfg.RateLimits = nil
	cfg.Tokens.Strategy = "jwt"
	cfg.Tokens.Issuer, cfg.Tokens.Audience = microIssuer, microIssuer
	cfg.Tokens.Secret = []byte("micro-benchmark refresh secret")
	s := &stack{store: &countingStore{DB: db}, keys: keys, email: "ann@bench.example"}
	public, _ := url.Parse(microIssuer)
	parts := server.Parts{DB: db, Stores: &server.Stores{Users: s.store, Emails: s.store, Tokens: s.store, Sessions: s.store, Refresh: s.store},
		Account: cfg, HTTP: httpapi.Config{PublicURL: public, AccessLog: httpapi.AccessLog{Out: io.Discard}}, Mail: nopMailer{}, Hasher: password.NewHasher(password.TestParams),
		Limiter: ratelimit.NewMemory(nil), Keys: keys, Log: log, Now: nil}
	if cached {
		parts.Cache = &sessioncache.Config{Size: 10000, TTL: 30 * time.Second}
	}
	built, err := server.New(parts)
	if err != nil {
		b.Fatal(err)
	}
	s.svc, s.api = built.Core, built.API

	client := latch.Client{Kind: latch.App, IP: "127.0.0.1", UserAgent: "latch-bench"}
	st, err := s.svc.Users.Signup(ctx, &account.State{Client: client}, account.SignupInput{Email: s.email, Password: benchPassword})
	if err != nil || st.NewKey == "" || st.AccessToken == "" || st.RefreshToken == "" {
		b.Fatalf("signup: %v (%+v)", err, st)
	}
	s.appKey, s.access, s.refresh = st.NewKey, st.AccessToken, st.RefreshToken
	client.Kind = latch.Browser
	st, err = s.svc.Sessions.Login(ctx, &account.State{Client: client}, account.LoginInput{Email: &s.email, Password: benchPassword})
	if err != nil || st.NewKey == "" {
		b.Fatalf("login: %v", err)
	}
	s.browserKey = st.NewKey
	s.browserCSRF = s.csrfCookie(b, "sessionid="+s.browserKey)
	s.anonCSRF = s.csrfCookie(b, "")
	return s
}

// csrfCookie returns the csrftoken cookie Latch issues to a browser sending
// cookie (CSRF tokens are bound to the session).
func (s *stack) csrfCookie(b testing.TB, cookie string) string {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/_allauth/browser/v1/config", nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	s.api.ServeHTTP(w, req)
	for _, k := range w.Result().Cookies() {
		if k.Name == "csrftoken" {
			return k.Value
		}
	}
	b.Fatal("no csrftoken cookie issued")
	return ""
}

// reportStore reports the store calls per operation since the counters
// were last reset.
func (s *stack) reportStore(b *testing.B) {
	b.ReportMetric(float64(s.store.reads.Load())/float64(b.N), "reads/op")
	b.ReportMetric(float64(s.store.writes.Load())/float64(b.N), "writes/op")
}

// start resets the counters and the timer just before the measured loop.
func (s *stack) start(b *testing.B) {
	s.store.reads.Store(0)
	s.store.writes.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
}

// engines runs f for SQLite and, when LATCH_TEST_POSTGRES_URL is set,
// PostgreSQL.
func engines(b *testing.B, f func(b *testing.B, db *sqlstore.DB)) {
	for _, e := range testdb.Engines() {
		b.Run(e.Name, func(b *testing.B) { f(b, e.Open(b)) })
	}
}

// recorder is the benchmarks' ResponseWriter. Like net/http's server it
// starts each response with a fresh header map; unlike httptest's recorder it
// keeps no snapshot of the header and reuses its body buffer, so that the
// allocations counted are the handler's, not the harness's.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// serve runs req through h into w and checks the status. The request is
// built once, outside the measured loop: parsing it is net/http's work.
func serve(b *testing.B, h http.Handler, w *recorder, req *http.Request, want int) {
	w.header, w.status = make(http.Header), 0
	w.body.Reset()
	h.ServeHTTP(w, req)
	if w.status != want {
		b.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, w.status, want, w.body.String())
	}
}

// BenchmarkResolve is the session check of the account core:
// account.Service.Resolve of an app session key against the real store
// (SHA-256 of the key, one indexed SELECT joining sessions, users and the
// primary address, and the JSON decoding of the session's state).
func BenchmarkResolve(b *testing.B) {
	for _, cached := range []bool{true, false} {
		name := "cached"
		if !cached {
			name = "database"
		}
		b.Run(name, func(b *testing.B) {
			engines(b, func(b *testing.B, db *sqlstore.DB) {
				s := newStackCached(b, db, slog.LevelInfo, cached)
				ctx := context.Background()
				client := latch.Client{Kind: latch.App, IP: "127.0.0.1"}
				s.start(b)
				for b.Loop() {
					st, err := s.svc.Sessions.Resolve(ctx, client, s.appKey)
					if err != nil || !st.Authenticated() {
						b.Fatal("not authenticated", err)
					}
				}
				s.reportStore(b)
			})
		})
	}
}

// BenchmarkSessionGET is the whole session check through the HTTP layer,
// in-process: GET /_allauth/{app,browser}/v1/auth/session through
// httpapi.Server.ServeHTTP into a recorder — middleware (request log,
// security headers, CORS), routing, Resolve, and the JSON encoding of the
// session response. app-nolog is app with the request log disabled, to show
// what the log line costs.
func BenchmarkSessionGET(b *testing.B) {
	run := func(b *testing.B, level slog.Level, browser bool) {
		s := newStack(b, testdb.OpenSQLite(b), level)
		path, header, value := "/_allauth/app/v1/auth/session", "X-Session-Token", s.appKey
		if browser {
			path, header, value = "/_allauth/browser/v1/auth/session", "Cookie", "sessionid="+s.browserKey+"; csrftoken="+s.browserCSRF
		}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set(header, value)
		var w recorder
		s.start(b)
		for b.Loop() {
			serve(b, s.api, &w, req, http.StatusOK)
		}
		s.reportStore(b)
	}
	b.Run("app", func(b *testing.B) { run(b, slog.LevelInfo, false) })
	b.Run("browser", func(b *testing.B) { run(b, slog.LevelInfo, true) })
	b.Run("app-nolog", func(b *testing.B) { run(b, slog.LevelError, false) })
}

// sessionResponse mirrors the shape of Latch's 200 answer to GET
// /auth/session (httpapi's envelope, sessionData, userJSON and authMeta).
type sessionResponse struct {
	Status int `json:"status"`
	Data   struct {
		User struct {
			ID                string `json:"id"`
			Display           string `json:"display"`
			Email             string `json:"email,omitempty"`
			Username          string `json:"username,omitempty"`
			HasUsablePassword bool   `json:"has_usable_password"`
		} `json:"user"`
		Methods []latch.AuthMethod `json:"methods"`
	} `json:"data"`
	Meta struct {
		IsAuthenticated bool   `json:"is_authenticated"`
		SessionToken    string `json:"session_token,omitempty"`
	} `json:"meta"`
}

// BenchmarkSessionJSON is what encoding/json costs for the session answer:
// json.Marshal of a value of the same shape (through an interface, as
// httpapi's envelope holds its data). httpapi now writes that answer by hand
// instead; its BenchmarkAppendSessionJSON measures that.
func BenchmarkSessionJSON(b *testing.B) {
	var v sessionResponse
	v.Status = 200
	v.Data.User.ID, v.Data.User.Display, v.Data.User.Email, v.Data.User.HasUsablePassword = "0b4f3c1e-8a53-4a43-9f6e-1c3e9d7a2b10", "ann@bench.example", "ann@bench.example", true
	v.Data.Methods = []latch.AuthMethod{{Method: "password", At: 1.7e9, Email: "ann@bench.example"}}
	v.Meta.IsAuthenticated = true
	var body any = &v
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCSRF is an unsafe browser request through the CSRF check:
// accepted is POST /_allauth/browser/v1/auth/login with a matching
// csrftoken cookie and X-CSRFToken header (and an empty form, so that it
// ends in a 400 from form validation, without a database query or a
// password hash); refused is the same with a wrong header (403 at the check).
func BenchmarkCSRF(b *testing.B) {
	s := newStack(b, testdb.OpenSQLite(b), slog.LevelInfo)
	run := func(b *testing.B, header string, want int) {
		req := httptest.NewRequest(http.MethodPost, "/_allauth/browser/v1/auth/login", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", "csrftoken="+s.anonCSRF)
		req.Header.Set("X-CSRFToken", header)
		body := strings.NewReader("") // rewound for each request
		req.Body = io.NopCloser(body)
		var w recorder
		s.start(b)
		for b.Loop() {
			body.Reset(`{}`)
			serve(b, s.api, &w, req, want)
		}
		s.reportStore(b)
	}
	b.Run("accepted", func(b *testing.B) { run(b, s.anonCSRF, http.StatusBadRequest) })
	b.Run("refused", func(b *testing.B) { run(b, strings.Repeat("x", 32), http.StatusForbidden) })
}

// BenchmarkForwardAuth is GET /auth/verify with a session cookie, in-process.
func BenchmarkForwardAuth(b *testing.B) {
	s := newStack(b, testdb.OpenSQLite(b), slog.LevelInfo)
	req := httptest.NewRequest(http.MethodGet, "/auth/verify", nil)
	req.Header.Set("Cookie", "sessionid="+s.browserKey)
	var w recorder
	s.start(b)
	for b.Loop() {
		serve(b, s.api, &w, req, http.StatusOK)
	}
	s.reportStore(b)
}

// BenchmarkBearerSessionGET is GET /_allauth/app/v1/auth/session with an
// access token instead of a session token: a signature check, then the
// session looked up by id (access tokens stop working when it ends).
func BenchmarkBearerSessionGET(b *testing.B) {
	s := newStack(b, testdb.OpenSQLite(b), slog.LevelInfo)
	req := httptest.NewRequest(http.MethodGet, "/_allauth/app/v1/auth/session", nil)
	req.Header.Set("Authorization", "Bearer "+s.access)
	var w recorder
	s.start(b)
	for b.Loop() {
		serve(b, s.api, &w, req, http.StatusOK)
	}
	s.reportStore(b)
}

// BenchmarkRefresh is refresh-token rotation in the core
// (account.Service.Refresh), each call spending the token the previous one
// returned.
func BenchmarkRefresh(b *testing.B) {
	engines(b, func(b *testing.B, db *sqlstore.DB) {
		s := newStack(b, db, slog.LevelInfo)
		ctx := context.Background()
		token := s.refresh
		s.start(b)
		for b.Loop() {
			_, next, err := s.svc.Tokens.Refresh(ctx, token)
			if err != nil {
				b.Fatal(err)
			}
			token = next
		}
		s.reportStore(b)
	})
}

// BenchmarkLoginWithoutHash is an app-client password login in the core
// with a near-free hasher (password.TestParams): everything a login costs
// besides argon2id — the user lookup, the new session, the last-login
// write, the refresh token and the access token's signature.
func BenchmarkLoginWithoutHash(b *testing.B) {
	engines(b, func(b *testing.B, db *sqlstore.DB) {
		s := newStack(b, db, slog.LevelInfo)
		ctx := context.Background()
		client := latch.Client{Kind: latch.App, IP: "127.0.0.1"}
		s.start(b)
		for b.Loop() {
			st, err := s.svc.Sessions.Login(ctx, &account.State{Client: client}, account.LoginInput{Email: &s.email, Password: benchPassword})
			if err != nil || st.AccessToken == "" {
				b.Fatal("login failed", err)
			}
		}
		s.reportStore(b)
	})
}

// BenchmarkJWT signs and verifies access tokens with the jwt package, for
// each algorithm Latch offers (EdDSA is the default). verify-first is a
// token the key set has not seen (the signature is checked); verify-again
// one it has (a key set remembers the tokens it verified).
func BenchmarkJWT(b *testing.B) {
	now := time.Now()
	claims := &jwt.Claims{Issuer: microIssuer, Audience: microIssuer, Subject: "0b4f3c1e-8a53-4a43-9f6e-1c3e9d7a2b10",
		SessionID: "42", IssuedAt: now.Unix(), Expires: now.Add(5 * time.Minute).Unix(), ID: "c8b1d0a2e4f64b7e9a3c5d7f1b2e4a6c",
		Email: "ann@bench.example"}
	for _, alg := range []jwt.Algorithm{jwt.EdDSA, jwt.ES256, jwt.RS256} {
		k, err := jwt.GenerateKey(alg)
		if err != nil {
			b.Fatal(err)
		}
		token, err := jwt.Sign(k, claims)
		if err != nil {
			b.Fatal(err)
		}
		ks := jwt.NewKeySet(k.Public())
		b.Run("sign/"+string(alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwt.Sign(k, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("verify-again/"+string(alg), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ks.Verify(token, now, 0, microIssuer, microIssuer); err != nil {
					b.Fatal(err)
				}
			}
		})
		fresh := make([]string, 200)
		for i := range fresh {
			c := *claims
			c.ID = strconv.Itoa(i)
			if fresh[i], err = jwt.Sign(k, &c); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("verify-first/"+string(alg), func(b *testing.B) {
			b.ReportAllocs()
			i := len(fresh)
			for b.Loop() {
				if i == len(fresh) {
					// A new key set has seen none of the tokens.
					b.StopTimer()
					ks, i = jwt.NewKeySet(k.Public()), 0
					b.StartTimer()
				}
				if _, err := ks.Verify(fresh[i], now, 0, microIssuer, microIssuer); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkLatchauthBearer is the jwt-verify scenario in-process: a request
// with a Bearer access token through latchauth.Middleware and RequireUser
// (the JWKS fetched once from an httptest server on loopback) to a handler
// writing a small JSON body.
func BenchmarkLatchauthBearer(b *testing.B) {
	s := newStack(b, testdb.OpenSQLite(b), slog.LevelInfo)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(s.keys.JWKS())
	}))
	defer jwks.Close()
	auth, err := latchauth.New(latchauth.Config{URL: jwks.URL, Issuer: microIssuer, Audience: microIssuer})
	if err != nil {
		b.Fatal(err)
	}
	h := auth.Middleware(latchauth.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := latchauth.UserFrom(r.Context())
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"`+u.ID+`"}`)
	})))
	req := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+s.access)
	var w recorder
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, &w, req, http.StatusOK)
	}
}

// BenchmarkPassword is argon2id with Latch's default parameters
// (m=12 MiB, t=3, p=1): verify is what a login pays, hash what a signup
// pays; both on one core.
func BenchmarkPassword(b *testing.B) {
	h := password.NewHasher(password.DefaultParams)
	encoded, err := h.Hash(benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, rehash, err := h.Verify(encoded, benchPassword); !ok || rehash || err != nil {
				b.Fatal("verify failed", err)
			}
		}
	})
	b.Run("hash", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Hash(benchPassword); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPasswordConcurrent hashes with 64 goroutines at once, as Latch
// does under 64 concurrent logins or signups: unbounded is what happens
// today (64 × 12 MiB in flight); bounded lets only GOMAXPROCS hashes run at
// a time behind a semaphore, the fix docs/performance.md suggests.
func BenchmarkPasswordConcurrent(b *testing.B) {
	h := password.NewHasher(password.DefaultParams)
	run := func(b *testing.B, slots int) {
		sem := make(chan struct{}, slots)
		b.ReportAllocs()
		b.SetParallelism(32) // 32 × GOMAXPROCS goroutines: 64 on two cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				sem <- struct{}{}
				_, err := h.Hash(benchPassword)
				<-sem
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("unbounded", func(b *testing.B) { run(b, 1<<20) })
	b.Run("bounded", func(b *testing.B) { run(b, runtime.GOMAXPROCS(0)) })
}

// BenchmarkSessionLookupAtScale is the session check's query
// (sqlstore.DB.SessionByKey) against a SQLite database of LATCH_BENCH_USERS
// seeded users (e.g. 1000000; skipped when unset), by 16 goroutines cycling
// through 1,000 sessions spread over the whole table, as the harness's scale
// mode does. The /writes variants add 17 small writes a second through the
// writer connection — what Latch's once-a-minute touch of 1,000 active
// sessions amounts to — because in WAL mode each commit makes every reader
// connection drop its whole page cache at its next read. latch is the
// database opened as Latch opens it (sqlite.Open: a 2 MiB page cache per
// connection); cache-64MiB opens the same file with the same settings and a
// larger cache. (modernc.org/sqlite is built without mmap support, so
// mmap_size would change nothing.)
func BenchmarkSessionLookupAtScale(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("LATCH_BENCH_USERS"))
	if n <= 0 {
		b.Skip("set LATCH_BENCH_USERS (e.g. 1000000) to seed that many users and run it")
	}
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	path := filepath.Join(b.TempDir(), "scale.db")
	db, err := sqlite.Open(ctx, path, true, quiet)
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	salt := []byte("scale benchmark")
	d := &database{engine: "sqlite", latch: "sqlite:" + path}
	if err := d.openSeedConn(); err != nil {
		b.Fatal(err)
	}
	if err := seed(ctx, d, seedSpec{From: 0, To: n, Kinds: []string{"app"}, Hash: "!unusable", Salt: salt}, nil); err != nil {
		b.Fatal(err)
	}
	d.closeSeedConn()
	active := activeSet(n, 1000)
	keys := make([][]byte, len(active))
	for k, i := range active {
		keys[k] = account.HashKey(sessionKey(salt, "app", i))
	}

	// Latch's DSNs (package sqlite), plus a pragma for the variants.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_time_format=sqlite"
	pragmas := "&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	open := func(extra string) *sqlstore.DB {
		if extra == "" {
			db, err := sqlite.Open(ctx, path, false, quiet)
			if err != nil {
				b.Fatal(err)
			}
			return db
		}
		write, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=journal_mode(WAL)"+pragmas+extra)
		if err != nil {
			b.Fatal(err)
		}
		write.SetMaxOpenConns(1)
		read, err := sql.Open("sqlite", base+"&mode=ro"+pragmas+extra)
		if err != nil {
			b.Fatal(err)
		}
		conns := max(4, 2*runtime.GOMAXPROCS(0))
		read.SetMaxOpenConns(conns)
		read.SetMaxIdleConns(conns)
		return sqlstore.New(read, write, sqlite.Dialect)
	}
	for _, v := range []struct{ name, pragma string }{
		{"latch", ""},
		{"cache-64MiB", "&_pragma=cache_size(-65536)"},
	} {
		for _, writes := range []bool{false, true} {
			name := v.name
			if writes {
				name += "/writes"
			}
			b.Run(name, func(b *testing.B) {
				db := open(v.pragma)
				defer db.Close()
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					if !writes {
						return
					}
					// A session outside the active set, touched 17 times a second.
					s, _, err := db.Sessions.SessionByKey(ctx, account.HashKey(sessionKey(salt, "app", n-1)))
					if err != nil {
						b.Error(err)
						return
					}
					t := time.NewTicker(time.Second / 17)
					defer t.Stop()
					for i := 0; i < 1_000_000; i++ {
						select {
						case <-stop:
							return
						case <-t.C:
						}
						now := time.Now()
						if err := db.Sessions.TouchSession(ctx, s.ID, now, now.Add(time.Hour)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
				var next atomic.Int64
				b.ReportAllocs()
				b.SetParallelism(8) // 16 goroutines on two cores
				b.RunParallel(func(pb *testing.PB) {
					k := int(next.Add(7919))
					for pb.Next() {
						k = (k + 1) % len(keys)
						if s, u, err := db.Sessions.SessionByKey(ctx, keys[k]); err != nil || s == nil || u == nil {
							b.Error("session not found", err)
							return
						}
					}
				})
				close(stop)
				<-done
			})
		}
	}
}
