package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/testdb"
)

// BenchmarkLoginTransaction is the store's part of a password login, as the
// account core runs it: one unit of work that starts a session replacing the
// previous one, with its first refresh token and last_login, and records the
// audit event. A regression measure for the non-hash cost of a login.
func BenchmarkLoginTransaction(b *testing.B) {
	for _, e := range testdb.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := requestContext(b)
			db := e.Open(b)
			u, emails := newUser("bench")
			if err := db.Users.CreateUser(ctx, u, emails); err != nil {
				b.Fatal(err)
			}
			var prev int64
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s, refresh := loginSession(u, i)
				err := db.Atomic(ctx, func(ctx context.Context) error {
					if err := db.Sessions.StartSession(ctx, s, prev, refresh); err != nil {
						return err
					}
					return db.Audit.AddAuditEvent(ctx, loginEvent(u, s.Created))
				})
				if err != nil {
					b.Fatal(err)
				}
				prev = s.ID
			}
		})
	}
}

// BenchmarkSignupTransaction is the store's part of a signup: one unit of
// work that creates the account with its address, records the audit event
// and starts its first session.
func BenchmarkSignupTransaction(b *testing.B) {
	for _, e := range testdb.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := requestContext(b)
			db := e.Open(b)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				name := fmt.Sprintf("signup%d", i)
				u, emails := newUser(name)
				u.PublicID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
				err := db.Atomic(ctx, func(ctx context.Context) error {
					if err := db.Users.CreateUser(ctx, u, emails); err != nil {
						return err
					}
					if err := db.Audit.AddAuditEvent(ctx, loginEvent(u, base)); err != nil {
						return err
					}
					s, refresh := loginSession(u, i)
					return db.Sessions.StartSession(ctx, s, 0, refresh)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// requestContext is a context with a deadline, as a request's is: the
// driver watches such a context during each statement.
func requestContext(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	b.Cleanup(cancel)
	return ctx
}

// loginSession returns the i-th login's session of u and its refresh token.
func loginSession(u *latch.User, i int) (*latch.Session, *latch.RefreshToken) {
	at := base.Add(time.Duration(i) * time.Millisecond)
	s := &latch.Session{KeyHash: fmt.Appendf(nil, "%s-login-%032d", u.Username, i), UserID: u.ID, Client: latch.App,
		Created: at, LastSeen: at, Expires: at.Add(time.Hour), MaxExpires: at.Add(24 * time.Hour),
		IP: "192.0.2.1", UserAgent: "bench/1.0",
		State: latch.SessionState{Methods: []latch.AuthMethod{{Method: "password", Email: u.Username + "@example.com"}}}}
	refresh := &latch.RefreshToken{Hash: fmt.Appendf(nil, "%s-refresh-%030d", u.Username, i), Created: at, Expires: at.Add(time.Hour)}
	return s, refresh
}

// loginEvent is the audit event of a login of u at at.
func loginEvent(u *latch.User, at time.Time) *latch.Event {
	return &latch.Event{Type: "login", At: at, User: u, IP: "192.0.2.1", UserAgent: "bench/1.0",
		Data: []latch.EventField{{Key: "method", Value: "password"}}}
}
