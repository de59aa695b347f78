package httpapi_test

// Regression tests for the holes the black-box attack of issue 10 found:
// the pre-account takeover through an unverified added address, one-time
// codes spent many times by concurrent requests, failure budgets overdrawn
// by concurrent guesses, and the owner locked out by a stranger.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/latchtest"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/redis"
	"github.com/latchauth/latch/sqlstore"
)

// userEmail returns the address of the user a response is logged in as.
func userEmail(r *response) string {
	u, _ := r.data()["user"].(map[string]any)
	s, _ := u["email"].(string)
	return s
}

func TestTakeoverByUnverifiedAddress(t *testing.T) {
	for _, mode := range []string{account.VerificationOptional, account.VerificationMandatory} {
		t.Run(mode, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
				srv := startLatch(t, open(t), func(c *account.Config, _ *httpapi.Config) {
					c.EmailVerification, c.LoginOnEmailConfirmation = mode, true
				})
				const victim = "victim@example.com"

				// The attacker has an account of his own and attaches the
				// victim's address to it, unverified.
				createUser(t, srv, "mallory@example.com", "", false)
				attacker := newClient(t, srv, "browser")
				expect(t, attacker.do("POST", "/auth/login", map[string]any{"email": "mallory@example.com", "password": goodPassword}), 200)
				expect(t, attacker.do("POST", "/account/email", map[string]any{"email": victim}), 200)
				attackerKey := keyIn(t, srv.mailTo(t, victim)) // the verification he caused to be sent

				// The unverified claim logs no one in and receives no reset link.
				expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": victim, "password": goodPassword}),
					400, "password:email_password_mismatch")
				expect(t, newClient(t, srv, "app").do("POST", "/auth/password/request", map[string]any{"email": victim}), 200)
				if m := srv.mailTo(t, victim); keyPattern.MatchString(m.Text) {
					t.Fatalf("an unverified added address received a reset link: %s", m.Text)
				}

				// The real owner signs up: it works, and it is the victim's own account.
				v := newClient(t, srv, "browser")
				r := v.do("POST", "/auth/signup", map[string]any{"email": victim, "password": "lantern-Quiet-58"})
				if mode == account.VerificationMandatory {
					expect(t, r, 401)
					r = v.do("POST", "/auth/email/verify", map[string]any{"key": keyIn(t, srv.mailTo(t, victim))})
				}
				expect(t, r, 200)
				if got := userEmail(r); got != victim {
					t.Fatalf("the victim's signup is logged in as %q", got)
				}
				if mode == account.VerificationOptional {
					srv.mailTo(t, victim) // the signup's verification mail
				}

				// A reset for the address mails a key for the victim's account.
				expect(t, newClient(t, srv, "app").do("POST", "/auth/password/request", map[string]any{"email": victim}), 200)
				resetKey := keyIn(t, srv.mailTo(t, victim))
				other := newClient(t, srv, "app")
				expect(t, other.do("POST", "/auth/password/reset", map[string]any{"key": resetKey, "password": "copper-Window-71"}), 401)
				r = other.do("POST", "/auth/login", map[string]any{"email": victim, "password": "copper-Window-71"})
				expect(t, r, 200)
				if got := userEmail(r); got != victim {
					t.Fatalf("the reset logged into %q", got)
				}

				// The attacker's claim is gone: his key verifies nothing, and
				// his own account never shows the address verified.
				expect(t, newClient(t, srv, "browser").do("POST", "/auth/email/verify", map[string]any{"key": attackerKey}), 400, "key:invalid_or_expired_key")
				r = attacker.do("GET", "/account/email", nil)
				expect(t, r, 200)
				if strings.Contains(r.Raw, victim) {
					t.Errorf("the attacker's account still lists the victim's address: %s", r.Raw)
				}
			})
		})
	}
}

func TestVerifyingAnotherAccountsAddressFails(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	createUser(t, srv, "owner@example.com", "", false)
	createUser(t, srv, "eve@example.com", "", false)
	eve := newClient(t, srv, "app")
	expect(t, eve.do("POST", "/auth/login", map[string]any{"email": "eve@example.com", "password": goodPassword}), 200)
	// Adding it answers as a free address would (no enumeration)…
	expect(t, eve.do("POST", "/account/email", map[string]any{"email": "owner@example.com"}), 200)
	expect(t, eve.do("POST", "/account/email", map[string]any{"email": "free@example.com"}), 200)
	// …and verifying it fails: the address is someone else's.
	expect(t, eve.do("POST", "/auth/email/verify", map[string]any{"key": keyIn(t, srv.mailTo(t, "owner@example.com"))}), 400, "key:email_taken")
	// Nor can an unverified address become primary and gain authority.
	expect(t, eve.do("PATCH", "/account/email", map[string]any{"email": "free@example.com", "primary": true}), 400, "email:unverified_primary_email")
}

// race runs n copies of fn at once, each with its own copy of c (an app
// client: its token is its own), and returns the statuses.
func race(c *client, n int, fn func(i int, c *client) *response) []int {
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := *c
			<-start
			statuses[i] = fn(i, &cc).Status
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

func count(statuses []int, want ...int) int {
	n := 0
	for _, s := range statuses {
		for _, w := range want {
			if s == w {
				n++
			}
		}
	}
	return n
}

func TestConcurrentCodeUseWinsOnce(t *testing.T) {
	const n = 16
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), func(c *account.Config, _ *httpapi.Config) {
			c.LoginByCode, c.PasswordResetByCode, c.VerificationByCode = true, true, true
		})
		ctx := context.Background()

		t.Run("login code", func(t *testing.T) {
			u := createUser(t, srv, "lou@example.com", "", false)
			c := newClient(t, srv, "app")
			expect(t, c.do("POST", "/auth/code/request", map[string]any{"email": "lou@example.com"}), 401)
			code := codeIn(t, srv.mailTo(t, "lou@example.com"))
			st := race(c, n, func(_ int, c *client) *response {
				return c.do("POST", "/auth/code/confirm", map[string]any{"code": code})
			})
			if got := count(st, 200); got != 1 {
				t.Errorf("%d of %d concurrent confirmations logged in (%v)", got, n, st)
			}
			sessions, err := srv.db.Sessions.UserSessions(ctx, u.ID, srv.clock())
			if err != nil {
				t.Fatal(err)
			}
			if len(sessions) != 1 {
				t.Errorf("one login code made %d sessions", len(sessions))
			}
		})

		t.Run("reset code", func(t *testing.T) {
			createUser(t, srv, "rae@example.com", "", false)
			c := newClient(t, srv, "app")
			expect(t, c.do("POST", "/auth/password/request", map[string]any{"email": "rae@example.com"}), 401)
			code := codeIn(t, srv.mailTo(t, "rae@example.com"))
			st := race(c, n, func(i int, c *client) *response {
				return c.do("POST", "/auth/password/reset", map[string]any{"key": code, "password": fmt.Sprintf("maple-River-%02d", i)})
			})
			// Success is 401 here: the reset does not log in.
			if got := count(st, 200, 401); got != 1 {
				t.Errorf("%d of %d concurrent resets succeeded (%v)", got, n, st)
			}
			logins := 0
			for i := range n {
				r := newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": "rae@example.com", "password": fmt.Sprintf("maple-River-%02d", i)})
				if r.Status == 200 {
					logins++
				}
			}
			if logins != 1 {
				t.Errorf("one reset code set %d passwords", logins)
			}
		})

		t.Run("verification code", func(t *testing.T) {
			c := newClient(t, srv, "app")
			c.signup("vic@example.com", "")
			code := codeIn(t, srv.mailTo(t, "vic@example.com"))
			st := race(c, n, func(_ int, c *client) *response {
				return c.do("POST", "/auth/email/verify", map[string]any{"key": code})
			})
			if got := count(st, 200); got != 1 {
				t.Errorf("%d of %d concurrent verifications succeeded (%v)", got, n, st)
			}
		})

		t.Run("wrong codes count every attempt", func(t *testing.T) {
			createUser(t, srv, "gus@example.com", "", false)
			c := newClient(t, srv, "app")
			expect(t, c.do("POST", "/auth/code/request", map[string]any{"email": "gus@example.com"}), 401)
			code := codeIn(t, srv.mailTo(t, "gus@example.com"))
			wrong := "BBBB-BBBB"
			if code == wrong {
				wrong = "CCCC-CCCC"
			}
			race(c, 30, func(_ int, c *client) *response {
				return c.do("POST", "/auth/code/confirm", map[string]any{"code": wrong})
			})
			if r := c.do("POST", "/auth/code/confirm", map[string]any{"code": code}); r.Status == 200 {
				t.Fatalf("after 30 concurrent wrong codes the right one still logged in")
			}
		})

		t.Run("a new request keeps the attempts", func(t *testing.T) {
			srv.advance(time.Minute)
			createUser(t, srv, "ned@example.com", "", false)
			c := newClient(t, srv, "app")
			expect(t, c.do("POST", "/auth/code/request", map[string]any{"email": "ned@example.com"}), 401)
			srv.mailTo(t, "ned@example.com")
			expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 400, "code:incorrect_code")
			expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 400, "code:incorrect_code")
			expect(t, c.do("POST", "/auth/code/request", map[string]any{"email": "ned@example.com"}), 401)
			srv.mailTo(t, "ned@example.com")
			expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 400, "code:incorrect_code")
			// The third wrong code over both requests ended the attempt.
			expect(t, c.do("POST", "/auth/code/confirm", map[string]any{"code": "BBBB-BBBB"}), 409)
		})
	})
}

// countingHasher counts the password verifications that reach the hash.
type countingHasher struct {
	account.Hasher
	n atomic.Int64
}

func (h *countingHasher) Verify(encoded, plain string) (bool, bool, error) {
	h.n.Add(1)
	return h.Hasher.Verify(encoded, plain)
}

func (h *countingHasher) VerifyDummy(plain string) {
	h.n.Add(1)
	h.Hasher.VerifyDummy(plain)
}

// limiters are the rate limiters to run budget tests against: in memory,
// and Redis when one is configured.
func limiters(t *testing.T) map[string]func(t *testing.T, now func() time.Time) account.Limiter {
	m := map[string]func(t *testing.T, now func() time.Time) account.Limiter{
		"memory": func(t *testing.T, now func() time.Time) account.Limiter { return ratelimit.NewMemory(now) },
	}
	if url := os.Getenv("LATCH_TEST_REDIS_URL"); url != "" {
		m["redis"] = func(t *testing.T, now func() time.Time) account.Limiter {
			var b [6]byte
			rand.Read(b[:])
			l, err := redis.Open(context.Background(), url, "latchtest:"+hex.EncodeToString(b[:])+":", now)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l
		}
	}
	return m
}

// startLimited starts a server with the default budgets, a hash counter and
// X-Forwarded-For trusted, so that a test can speak from many addresses.
func startLimited(t *testing.T, db *sqlstore.DB, limiter func(*testing.T, func() time.Time) account.Limiter) (*latchServer, *countingHasher) {
	h := &countingHasher{Hasher: password.NewHasher(password.TestParams)}
	srv := startLatchWith(t, latchtest.Options{DB: db, Hasher: h, Limiter: limiter(t, time.Now)},
		func(c *account.Config, hc *httpapi.Config) {
			c.RateLimits = account.DefaultRateLimits()
			hc.TrustedProxyCount = 1
		})
	return srv, h
}

func TestConcurrentGuessesStayInBudget(t *testing.T) {
	for name, limiter := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
				srv, hashes := startLimited(t, open(t), limiter)
				createUser(t, srv, "kim@example.com", "kim", false)
				c := newClient(t, srv, "app")
				guess := func(ip string) func(int, *client) *response {
					return func(i int, c *client) *response {
						return c.do("POST", "/auth/login", map[string]any{"email": "kim@example.com", "password": fmt.Sprintf("wrong-%d", i)},
							"X-Forwarded-For", ip)
					}
				}
				// From one address: the per-source budget, 5.
				race(c, 50, guess("198.51.100.1"))
				if got := hashes.n.Load(); got != 5 {
					t.Errorf("50 concurrent guesses from one address: %d reached the hash, budget 5", got)
				}
				// From 50 addresses: the per-account ceiling, 20 in all.
				hashes.n.Store(0)
				race(c, 50, func(i int, c *client) *response { return guess(fmt.Sprintf("203.0.113.%d", i+1))(i, c) })
				if got := hashes.n.Load(); got != 15 {
					t.Errorf("then 50 concurrent guesses from 50 addresses: %d reached the hash, the ceiling leaves 15", got)
				}
				// Username and email are one account: one budget.
				hashes.n.Store(0)
				r := c.do("POST", "/auth/login", map[string]any{"username": "kim", "password": "wrong"}, "X-Forwarded-For", "192.0.2.9")
				expect(t, r, 400, "too_many_login_attempts")
				if got := hashes.n.Load(); got != 0 {
					t.Errorf("a guess by username after the account's ceiling reached the hash")
				}
			})
		})
	}
}

func TestStrangerCannotLockOwnerOut(t *testing.T) {
	for name, limiter := range limiters(t) {
		t.Run(name, func(t *testing.T) {
			srv, _ := startLimited(t, openSQLite(t), limiter)
			createUser(t, srv, "ola@example.com", "", false)
			login := func(c *client, ip, pw string) *response {
				return c.do("POST", "/auth/login", map[string]any{"email": "ola@example.com", "password": pw}, "X-Forwarded-For", ip)
			}
			// The owner has logged in from this browser before.
			owner := newClient(t, srv, "browser")
			expect(t, login(owner, "192.0.2.1", goodPassword), 200)
			if owner.cookie("latch_device") == "" {
				t.Fatal("no device cookie after a login")
			}
			expect(t, owner.do("DELETE", "/auth/session", nil), 401)

			// A stranger spends his address's budget…
			stranger := newClient(t, srv, "app")
			for i := range 6 {
				login(stranger, "198.51.100.7", fmt.Sprintf("guess-%d", i))
			}
			expect(t, login(stranger, "198.51.100.7", goodPassword), 400, "too_many_login_attempts")
			// …which does not touch the owner on another address, even
			// without the device cookie.
			fresh := newClient(t, srv, "browser")
			expect(t, login(fresh, "192.0.2.2", goodPassword), 200)

			// Then from many addresses, the account's ceiling: a new browser
			// is refused, the owner's known browser is not.
			for i := range 30 {
				login(stranger, fmt.Sprintf("203.0.113.%d", i+1), "guess")
			}
			expect(t, login(newClient(t, srv, "browser"), "192.0.2.3", goodPassword), 400, "too_many_login_attempts")
			expect(t, login(owner, "192.0.2.1", goodPassword), 200)

			// An app keeps its device token in a header.
			app := newClient(t, srv, "app")
			expect(t, app.do("POST", "/auth/login", map[string]any{"email": "ola@example.com", "password": goodPassword}, "X-Forwarded-For", "192.0.2.1",
				"X-Device-Token", owner.cookie("latch_device")), 200)
		})
	}
}

func TestEnumerationAnswersAlike(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	createUser(t, srv, "known@example.com", "", false)
	me := newClient(t, srv, "app")
	expect(t, me.do("POST", "/auth/signup", map[string]any{"email": "me@example.com", "password": goodPassword}), 200)
	taken := me.do("POST", "/account/email", map[string]any{"email": "known@example.com"})
	free := me.do("POST", "/account/email", map[string]any{"email": "nobody@example.com"})
	if taken.Status != free.Status {
		t.Errorf("adding a taken address answers %d, a free one %d", taken.Status, free.Status)
	}
	a := newClient(t, srv, "app").do("POST", "/auth/password/request", map[string]any{"email": "known@example.com"})
	b := newClient(t, srv, "app").do("POST", "/auth/password/request", map[string]any{"email": "unknown@example.com"})
	if a.Status != b.Status || a.Raw != b.Raw {
		t.Errorf("reset requests answer differently: %d %s / %d %s", a.Status, a.Raw, b.Status, b.Raw)
	}
}
