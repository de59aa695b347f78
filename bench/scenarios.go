package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/password"
)

// sessionCSRF is the csrftoken cookie a browser holding seeded session i
// has, as one that has made one GET to Latch does: tokens are bound to the
// session, under a key derived from the master secret (as latch serve
// derives it from latchEnv's LATCH_SECRET_KEY). Without it Latch would mint
// a new token and a Set-Cookie per response.
func sessionCSRF(t *target, i int) string {
	m := hmac.New(sha256.New, []byte(benchSecret(t.salt)))
	m.Write([]byte("latch csrf tokens"))
	return httpapi.SessionCSRFToken(m.Sum(nil), sessionKey(t.salt, "browser", i))
}

// Who a scenario's peak RSS is read from.
const (
	procLatch    = "latch"
	procBaseline = "baseline"
	procResource = "resource"
	procHarness  = "harness"
)

// scenario is one thing to measure.
type scenario struct {
	Name string
	// Proc is the process whose RSS is reported (and which must be running).
	Proc string
	// Desc says what one operation is.
	Desc string
	// prepare builds what the workers share and returns the factory of
	// worker i's operation.
	prepare func(t *target) (workerFactory, error)
	// wrk, when not nil, is how wrk drives the scenario at c connections
	// (-loadgen wrk); without it the scenario runs in-process.
	wrk func(t *target, c int) (*wrkPlan, error)
}

// scenarios, in the order they run: the cheap checks first, so that the
// memory argon2id takes during signup and login (12 MiB per password check
// in flight) does not inflate their RSS readings.
var scenarios = []scenario{
	{"baseline", procBaseline, "GET / on a trivial net/http server (bench/baseline) answering a small JSON body", prepareBaseline,
		func(t *target, _ int) (*wrkPlan, error) { return wrkCycle(t.baseline, baselineRequests(t)), nil }},
	{"session-cookie", procLatch, "GET /_allauth/browser/v1/auth/session with a sessionid (and csrftoken) cookie", prepareSessionCookie,
		func(t *target, _ int) (*wrkPlan, error) { return wrkCycle(t.host, sessionCookieRequests(t)), nil }},
	{"session-token", procLatch, "GET /_allauth/app/v1/auth/session with X-Session-Token", prepareSessionToken,
		func(t *target, _ int) (*wrkPlan, error) { return wrkCycle(t.host, sessionTokenRequests(t)), nil }},
	{"jwt-verify", procResource, "GET /api/me with a Bearer access token on bench/resource: latchauth.Middleware + RequireUser, offline Ed25519 check", prepareJWTVerify,
		func(t *target, _ int) (*wrkPlan, error) {
			reqs, err := jwtVerifyRequests(t)
			if err != nil {
				return nil, err
			}
			return wrkCycle(t.resource, reqs), nil
		}},
	{"forward-auth", procLatch, "GET /auth/verify with a sessionid cookie", prepareForwardAuth,
		func(t *target, _ int) (*wrkPlan, error) { return wrkCycle(t.host, forwardAuthRequests(t)), nil }},
	{"refresh", procLatch, "POST /_allauth/app/v1/tokens/refresh, each worker chaining the refresh token of its previous answer", prepareRefresh,
		func(t *target, c int) (*wrkPlan, error) { return wrkRefresh(t.host, t.takeRefreshTokens(c)), nil }},
	{"signup", procLatch, "POST /_allauth/app/v1/auth/signup of a new address (argon2id hash, 2 inserts, session, verification mail to the console)", prepareSignup,
		func(t *target, _ int) (*wrkPlan, error) {
			tag := fmt.Sprintf("%s-w%d", t.runID, t.seq.Add(1))
			return wrkPost(t.host, "/_allauth/app/v1/auth/signup", wrkSignupBody(tag), uint64(time.Now().UnixNano())), nil
		}},
	{"login", procLatch, "POST /_allauth/app/v1/auth/login by email (argon2id verify, new session, access + refresh token)", prepareLogin,
		func(t *target, _ int) (*wrkPlan, error) {
			return wrkPost(t.host, "/_allauth/app/v1/auth/login", wrkLoginBody(t.users), uint64(time.Now().UnixNano())), nil
		}},
	{"hash", procHarness, "password.NewHasher(password.DefaultParams).Hash in the harness process (Latch idle): argon2id m=12 MiB t=3 p=1", prepareHash, nil},
}

func scenarioByName(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// tokenPair is what an app-client login under the JWT strategy returns.
type tokenPair struct {
	Access, Refresh string
}

// target is a running Latch (with its helpers) and what was seeded into it.
type target struct {
	host     string // Latch's host:port
	baseline string // the baseline server's host:port
	resource string // the resource server's host:port
	salt     []byte
	users    int   // seeded users: indexes [0, users)
	active   []int // users whose sessions the session scenarios cycle through
	runID    string

	tokens []tokenPair  // from logins, one per worker of the largest concurrency
	chains []string     // refresh scenario: each worker's current refresh token
	spare  chan string  // refresh tokens that replace a broken chain
	seq    atomic.Int64 // signup addresses

	hasherOnce sync.Once
	hasher     *password.Hasher
}

// sessionRequests builds one request per active user.
func sessionRequests(t *target, build func(i int) []byte) [][]byte {
	reqs := make([][]byte, len(t.active))
	for k, i := range t.active {
		reqs[k] = build(i)
	}
	return reqs
}

// cycle returns a factory whose worker i sends the shared requests in turn,
// starting at its own offset, and expects want.
func cycle(addr string, reqs [][]byte, want int) workerFactory {
	return func(i int) (op, func(), error) {
		c := newHTTPConn(addr)
		k := i * 7919 % len(reqs)
		return func() error {
			req := reqs[k]
			if k++; k == len(reqs) {
				k = 0
			}
			return expect(c, req, want)
		}, c.Close, nil
	}
}

// The GET scenarios' requests, the same for both load generators.

func baselineRequests(t *target) [][]byte { return [][]byte{getRequest(t.baseline, "/")} }

func sessionCookieRequests(t *target) [][]byte {
	return sessionRequests(t, func(i int) []byte {
		return getRequest(t.host, "/_allauth/browser/v1/auth/session",
			"Cookie: sessionid="+sessionKey(t.salt, "browser", i)+"; csrftoken="+sessionCSRF(t, i))
	})
}

func sessionTokenRequests(t *target) [][]byte {
	return sessionRequests(t, func(i int) []byte {
		return getRequest(t.host, "/_allauth/app/v1/auth/session", "X-Session-Token: "+sessionKey(t.salt, "app", i))
	})
}

func forwardAuthRequests(t *target) [][]byte {
	return sessionRequests(t, func(i int) []byte {
		return getRequest(t.host, "/auth/verify", "Cookie: sessionid="+sessionKey(t.salt, "browser", i))
	})
}

func jwtVerifyRequests(t *target) ([][]byte, error) {
	if len(t.tokens) == 0 {
		return nil, errors.New("jwt-verify: no access tokens (the logins at setup failed)")
	}
	reqs := make([][]byte, len(t.tokens))
	for k, p := range t.tokens {
		reqs[k] = getRequest(t.resource, "/api/me", "Authorization: Bearer "+p.Access)
	}
	return reqs, nil
}

func prepareBaseline(t *target) (workerFactory, error) {
	return cycle(t.baseline, baselineRequests(t), http.StatusOK), nil
}

func prepareSessionCookie(t *target) (workerFactory, error) {
	return cycle(t.host, sessionCookieRequests(t), http.StatusOK), nil
}

func prepareSessionToken(t *target) (workerFactory, error) {
	return cycle(t.host, sessionTokenRequests(t), http.StatusOK), nil
}

func prepareForwardAuth(t *target) (workerFactory, error) {
	return cycle(t.host, forwardAuthRequests(t), http.StatusOK), nil
}

func prepareJWTVerify(t *target) (workerFactory, error) {
	reqs, err := jwtVerifyRequests(t)
	if err != nil {
		return nil, err
	}
	return cycle(t.resource, reqs, http.StatusOK), nil
}

func prepareLogin(t *target) (workerFactory, error) {
	return func(i int) (op, func(), error) {
		c := newHTTPConn(t.host)
		rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
		return func() error {
			body := `{"email":"` + userEmail(rng.IntN(t.users)) + `","password":"` + benchPassword + `"}`
			return expect(c, postJSON(t.host, "/_allauth/app/v1/auth/login", []byte(body)), http.StatusOK)
		}, c.Close, nil
	}, nil
}

func prepareSignup(t *target) (workerFactory, error) {
	return func(i int) (op, func(), error) {
		c := newHTTPConn(t.host)
		return func() error {
			email := fmt.Sprintf("signup-%s-%d@bench.example", t.runID, t.seq.Add(1))
			body := `{"email":"` + email + `","password":"` + benchPassword + `"}`
			return expect(c, postJSON(t.host, "/_allauth/app/v1/auth/signup", []byte(body)), http.StatusOK)
		}, c.Close, nil
	}, nil
}

var refreshField = []byte(`"refresh_token":"`)

func prepareRefresh(t *target) (workerFactory, error) {
	return func(i int) (op, func(), error) {
		if i >= len(t.chains) {
			return nil, nil, fmt.Errorf("refresh: no refresh token for worker %d", i)
		}
		c := newHTTPConn(t.host)
		return func() error {
			if t.chains[i] == "" {
				select {
				case t.chains[i] = <-t.spare:
				default:
					return errors.New("refresh: chain broken and no spare refresh token left")
				}
			}
			body := `{"refresh_token":"` + t.chains[i] + `"}`
			status, err := c.roundTrip(postJSON(t.host, "/_allauth/app/v1/tokens/refresh", []byte(body)), true)
			if err != nil {
				// The token may or may not have been spent: start a new chain.
				t.chains[i] = ""
				return err
			}
			if status != http.StatusOK {
				t.chains[i] = ""
				return &statusError{got: status, want: http.StatusOK, body: append([]byte(nil), c.Body...)}
			}
			next := refreshToken(c.Body)
			if next == "" {
				t.chains[i] = ""
				return fmt.Errorf("refresh: no refresh_token in %s", truncateBytes(c.Body, 200))
			}
			t.chains[i] = next
			return nil
		}, c.Close, nil
	}, nil
}

// wrkSparePerThread is how many refresh tokens each wrk thread holds beyond
// one per connection, so that a lost token does not stall a connection.
const wrkSparePerThread = 2

// takeRefreshTokens hands out refresh tokens for a wrk run at c
// connections: one per connection and a few spares for each thread, as
// far as there are tokens (spares first, then the Go workers' chains). A
// wrk run ends with requests in flight, whose tokens are lost; what its
// threads hold at the end comes back through returnRefreshTokens.
func (t *target) takeRefreshTokens(c int) [][]string {
	threads := wrkThreads(c)
	out := make([][]string, threads)
	next := func() string {
		select {
		case tok := <-t.spare:
			return tok
		default:
		}
		for i, tok := range t.chains {
			if tok != "" {
				t.chains[i] = ""
				return tok
			}
		}
		return ""
	}
	for k := range out {
		for range c/threads + wrkSparePerThread {
			if tok := next(); tok != "" {
				out[k] = append(out[k], tok)
			}
		}
	}
	return out
}

// returnRefreshTokens puts unspent refresh tokens back with the spares.
func (t *target) returnRefreshTokens(toks []string) {
	for _, tok := range toks {
		select {
		case t.spare <- tok:
		default: // cannot happen: spare holds every token the logins made
		}
	}
}

// refreshToken finds data.refresh_token in a refresh answer (the only field
// of that name; Latch's tokens need no JSON escaping).
func refreshToken(body []byte) string {
	k := bytes.Index(body, refreshField)
	if k < 0 {
		return ""
	}
	rest := body[k+len(refreshField):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 {
		return ""
	}
	return string(rest[:end])
}

func prepareHash(t *target) (workerFactory, error) {
	t.hasherOnce.Do(func() { t.hasher = password.NewHasher(password.DefaultParams) })
	return func(i int) (op, func(), error) {
		return func() error {
			_, err := t.hasher.Hash(benchPassword)
			return err
		}, nil, nil
	}, nil
}

// loginTokens logs n seeded users in through the app client (JWT strategy)
// and returns their token pairs: access tokens for jwt-verify, refresh
// tokens for refresh.
func loginTokens(ctx context.Context, t *target, n int) ([]tokenPair, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	out := make([]tokenPair, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[k], errs[k] = login(ctx, client, t.host, userEmail(k%t.users))
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// login performs one app-client password login and returns its tokens.
func login(ctx context.Context, client *http.Client, host, email string) (tokenPair, error) {
	body := `{"email":"` + email + `","password":"` + benchPassword + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+host+"/_allauth/app/v1/auth/login", strings.NewReader(body))
	if err != nil {
		return tokenPair{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return tokenPair{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return tokenPair{}, err
	}
	var v struct {
		Meta struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		} `json:"meta"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil || v.Meta.AccessToken == "" || v.Meta.RefreshToken == "" {
		return tokenPair{}, fmt.Errorf("login %s: status %d: %s (is LATCH_APP_TOKEN_STRATEGY=jwt?)", email, res.StatusCode, truncateBytes(b, 200))
	}
	return tokenPair{Access: v.Meta.AccessToken, Refresh: v.Meta.RefreshToken}, nil
}

// prime requests every active session once through the given clients,
// checking that the seeded sessions work and warming the caches of Latch and
// its database. (restamp has spread the sessions' last-seen times over the
// last minute, so this causes few of Latch's once-a-minute touch writes.)
func prime(ctx context.Context, t *target, kinds []string) error {
	c := newHTTPConn(t.host)
	defer c.Close()
	for _, i := range t.active {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, kind := range kinds {
			var req []byte
			if kind == "browser" {
				req = getRequest(t.host, "/_allauth/browser/v1/auth/session", "Cookie: sessionid="+sessionKey(t.salt, kind, i)+"; csrftoken="+sessionCSRF(t, i))
			} else {
				req = getRequest(t.host, "/_allauth/app/v1/auth/session", "X-Session-Token: "+sessionKey(t.salt, kind, i))
			}
			if err := expect(c, req, http.StatusOK); err != nil {
				return fmt.Errorf("seeded %s session of user %d: %w", kind, i, err)
			}
		}
	}
	return nil
}
