package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlstore"
)

// testStartSessionInUnit: a login started in a unit of work (as the account
// core starts every login: with its audit event) commits with the unit and
// leaves nothing when the unit rolls back — on PostgreSQL it is one
// statement, with no savepoint of its own.
func testStartSessionInUnit(t *testing.T, db *sqlstore.DB) {
	tests := []struct {
		name    string
		refresh bool
		fail    error // what the unit returns after the login
	}{
		{"commits", true, nil},
		{"commits without refresh token", false, nil},
		{"rolls back", true, errBoom},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAccount(t, db, string(rune('k'+i))+"-unit")
			at := base.Add(time.Duration(i+1) * time.Minute)
			s := &latch.Session{KeyHash: []byte(tt.name + "-new-key"), UserID: a.user.ID, Client: latch.App, Created: at, LastSeen: at,
				Expires: at.Add(time.Hour), MaxExpires: at.Add(time.Hour), State: latch.SessionState{Methods: []latch.AuthMethod{{Method: "password"}}}}
			var refresh *latch.RefreshToken
			if tt.refresh {
				refresh = &latch.RefreshToken{Hash: []byte(tt.name + "-refresh"), Created: at, Expires: at.Add(time.Hour)}
			}
			err := db.Atomic(ctx, func(ctx context.Context) error {
				if err := db.Sessions.StartSession(ctx, s, a.sess.ID, refresh); err != nil {
					return err
				}
				if refresh != nil && refresh.SessionID != s.ID {
					t.Errorf("refresh token's session %d, want %d", refresh.SessionID, s.ID)
				}
				return tt.fail
			})
			if !errors.Is(err, tt.fail) {
				t.Fatalf("unit: %v, want %v", err, tt.fail)
			}
			committed := tt.fail == nil
			got, user, err := db.Sessions.SessionByKey(ctx, s.KeyHash)
			if committed != (err == nil) {
				t.Fatalf("new session after the unit: %v (committed %v)", err, committed)
			}
			if committed && (got.ID != s.ID || len(got.State.Methods) != 1 || !user.LastLogin.Equal(at)) {
				t.Errorf("new session %+v, user %+v", got, user)
			}
			if _, _, err := db.Sessions.SessionByKey(ctx, a.sess.KeyHash); committed != errors.Is(err, latch.ErrNotFound) {
				t.Errorf("replaced session after the unit: %v (committed %v)", err, committed)
			}
			if refresh != nil {
				if _, err := db.Refresh.RefreshTokenByHash(ctx, refresh.Hash); committed != (err == nil) {
					t.Errorf("refresh token after the unit: %v (committed %v)", err, committed)
				}
			}
			if !committed {
				if u, err := db.Users.UserByID(ctx, a.user.ID); err != nil || !u.LastLogin.IsZero() {
					t.Errorf("last login after the rollback: %+v %v", u, err)
				}
			}
		})
	}
}

// testStartSessionGoneUser: in a unit of work, a login of a user who is
// gone fails with latch.ErrNotFound and writes nothing (it takes no
// savepoint: the user's row is written first), and the unit goes on.
func testStartSessionGoneUser(t *testing.T, db *sqlstore.DB) {
	a := newAccount(t, db, "gone-unit")
	s := &latch.Session{KeyHash: []byte("gone-user-new-key"), UserID: a.user.ID + 1000, Client: latch.App, Created: base, LastSeen: base,
		Expires: base.Add(time.Hour), MaxExpires: base.Add(time.Hour)}
	refresh := &latch.RefreshToken{Hash: []byte("gone-user-refresh"), Created: base, Expires: base.Add(time.Hour)}
	err := db.Atomic(ctx, func(ctx context.Context) error {
		if err := db.Sessions.StartSession(ctx, s, a.sess.ID, refresh); !errors.Is(err, latch.ErrNotFound) {
			return fmt.Errorf("StartSession of a gone user: %v, want latch.ErrNotFound", err)
		}
		return db.Users.SetPassword(ctx, a.user.ID, "after-the-failure", base)
	})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := db.Users.UserByID(ctx, a.user.ID); err != nil || u.PasswordHash != "after-the-failure" {
		t.Errorf("the write after the failed login: %+v %v", u, err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, s.KeyHash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("the failed login's session: %v", err)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, a.sess.KeyHash); err != nil {
		t.Errorf("the failed login ended the session it would have replaced: %v", err)
	}
	if _, err := db.Refresh.RefreshTokenByHash(ctx, refresh.Hash); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("the failed login's refresh token: %v", err)
	}
}

// testCreateUserShapes: users with no address, one, and two, created alone
// and in a unit of work (PostgreSQL writes the first two as one statement),
// come back with their ids and primary address.
func testCreateUserShapes(t *testing.T, db *sqlstore.DB) {
	tests := []struct {
		name   string
		emails int
		unit   bool
	}{
		{"no address", 0, false},
		{"one address", 1, false},
		{"two addresses", 2, false},
		{"no address in a unit", 0, true},
		{"one address in a unit", 1, true},
		{"two addresses in a unit", 2, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := string(rune('a'+i)) + "-shape"
			u, emails := newUser(name)
			u.PublicID = "00000000-0000-4000-8000-00000000000" + string(rune('0'+i))
			emails[0].Verified = true
			if tt.emails == 2 {
				emails = append(emails, latch.EmailAddress{Email: name + "@Second.example", Verified: true, Created: base})
			}
			emails = emails[:tt.emails]
			create := func(ctx context.Context) error { return db.Users.CreateUser(ctx, u, emails) }
			var err error
			if tt.unit {
				err = db.Atomic(ctx, create)
			} else {
				err = create(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range emails {
				if e.ID == 0 || e.UserID != u.ID {
					t.Errorf("address %+v of user %d", e, u.ID)
				}
			}
			got, err := db.Users.UserByID(ctx, u.ID)
			if err != nil || got.PublicID != u.PublicID {
				t.Fatalf("UserByID: %+v %v", got, err)
			}
			want := ""
			if tt.emails > 0 {
				want = name + "@example.com"
				if u.Email != emails[0].Email {
					t.Errorf("u.Email %q, want %q", u.Email, emails[0].Email)
				}
			}
			if got.Email != want {
				t.Errorf("primary address %q, want %q", got.Email, want)
			}
			for _, e := range emails {
				if byEmail, err := db.Users.UserByEmail(ctx, e.Email); err != nil || byEmail.ID != u.ID {
					t.Errorf("UserByEmail(%s): %+v %v", e.Email, byEmail, err)
				}
			}
		})
	}
}
