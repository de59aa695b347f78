package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sqlstore"
)

// The operations tables (issue 14): the audit log, the admin users list,
// admin API keys and user deletion, on each engine.
func TestOps(t *testing.T) {
	tests := []engineTest{
		{"audit log", testAudit},
		{"an audit entry commits or rolls back with its unit of work", testAuditAtomic},
		{"users list: filters, sorts and keyset pages", testUserList},
		{"api keys", testAPIKeys},
		{"deleting a user takes everything that is theirs", testDeleteUser},
	}
	runOnEngines(t, tests)
}

func addUser(t *testing.T, db *sqlstore.DB, name, email string, joined time.Time, mod func(u *latch.User, e []latch.EmailAddress)) *latch.User {
	t.Helper()
	u := &latch.User{PublicID: uuid.NewString(), Username: name, PasswordHash: "x", IsActive: true, DateJoined: joined, Updated: joined}
	var emails []latch.EmailAddress
	if email != "" {
		emails = []latch.EmailAddress{{Email: email, Primary: true, Created: joined}}
	}
	if mod != nil {
		mod(u, emails)
	}
	if err := db.Users.CreateUser(ctx, u, emails); err != nil {
		t.Fatal(err)
	}
	return u
}

func testAudit(t *testing.T, db *sqlstore.DB) {
	alice := addUser(t, db, "alice", "alice@example.com", base, nil)
	types := []string{"user.logged_in", "user.login_failed", "user.logged_in", "session.revoked", "user.logged_in"}
	for i, typ := range types {
		e := &latch.Event{Type: typ, At: base.Add(time.Duration(i) * time.Minute), IP: "192.0.2.1", UserAgent: "ua",
			Data: []latch.EventField{{Key: "method", Value: "password"}, {Key: "a\"b", Value: "ü\n"}}}
		if i != 1 {
			e.User = alice
		}
		if err := db.Audit.AddAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, next, err := db.Audit.AuditEvents(ctx, latch.AuditFilter{})
	if err != nil || len(all) != 5 || next != "" {
		t.Fatalf("all: %d entries, next %q, %v", len(all), next, err)
	}
	first := all[4]
	if all[0].Type != "user.logged_in" || !all[0].At.Equal(base.Add(4*time.Minute)) || first.UserID != alice.PublicID ||
		first.IP != "192.0.2.1" || first.UserAgent != "ua" ||
		!slices.Equal(first.Details, []latch.EventField{{Key: "method", Value: "password"}, {Key: "a\"b", Value: "ü\n"}}) {
		t.Errorf("entries %+v", all)
	}
	if all[3].UserID != "" {
		t.Errorf("an event without a user has user %q", all[3].UserID)
	}
	cases := []struct {
		name string
		f    latch.AuditFilter
		want int
	}{
		{"by user", latch.AuditFilter{UserID: alice.PublicID}, 4},
		{"by a user id in capitals", latch.AuditFilter{UserID: fmt.Sprintf("%X", alice.PublicID)}, 0},
		{"by type", latch.AuditFilter{Type: "user.logged_in"}, 3},
		{"by type and user", latch.AuditFilter{Type: "user.login_failed", UserID: alice.PublicID}, 0},
		{"since", latch.AuditFilter{Since: base.Add(3 * time.Minute)}, 2},
		{"until (excluded)", latch.AuditFilter{Until: base.Add(3 * time.Minute)}, 3},
		{"not a uuid", latch.AuditFilter{UserID: "bob"}, 0},
	}
	for _, c := range cases {
		got, _, err := db.Audit.AuditEvents(ctx, c.f)
		if err != nil || len(got) != c.want {
			t.Errorf("%s: %d entries, %v; want %d", c.name, len(got), err, c.want)
		}
	}
	// Pages of 2: newest first, each entry once.
	var seen []int64
	f := latch.AuditFilter{Limit: 2}
	for range 10 {
		page, next, err := db.Audit.AuditEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			seen = append(seen, e.ID)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	want := []int64{all[0].ID, all[1].ID, all[2].ID, all[3].ID, all[4].ID}
	if !slices.Equal(seen, want) {
		t.Errorf("paged %v, want %v", seen, want)
	}
	if _, _, err := db.Audit.AuditEvents(ctx, latch.AuditFilter{Cursor: "garbage!"}); !isInput(err, "cursor") {
		t.Errorf("bad cursor: %v", err)
	}
	n, err := db.Audit.PruneAudit(ctx, base.Add(2*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("pruned %d, %v; want 2", n, err)
	}
	if left, _, _ := db.Audit.AuditEvents(ctx, latch.AuditFilter{}); len(left) != 3 {
		t.Errorf("%d left after pruning, want 3", len(left))
	}
}

func isInput(err error, param string) bool {
	var in *latch.InputError
	return errors.As(err, &in) && in.Errors[0].Param == param
}

func testAuditAtomic(t *testing.T, db *sqlstore.DB) {
	boom := errors.New("boom")
	err := db.Atomic(ctx, func(ctx2 context.Context) error {
		if err := db.Audit.AddAuditEvent(ctx2, &latch.Event{Type: "rolled.back", At: base}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := db.Atomic(ctx, func(ctx2 context.Context) error {
		return db.Audit.AddAuditEvent(ctx2, &latch.Event{Type: "committed", At: base})
	}); err != nil {
		t.Fatal(err)
	}
	got, _, err := db.Audit.AuditEvents(ctx, latch.AuditFilter{})
	if err != nil || len(got) != 1 || got[0].Type != "committed" {
		t.Errorf("after a rollback and a commit: %+v, %v", got, err)
	}
}

func testUserList(t *testing.T, db *sqlstore.DB) {
	// 23 users: joined a minute apart; every third never logged in, two
	// with the same login time; every fifth without an address; some
	// staff, inactive, verified.
	var users []*latch.User
	for i := range 23 {
		email := fmt.Sprintf("u%02d@example.com", (i*7)%23) // addresses not in join order
		if i%5 == 4 {
			email = ""
		}
		u := addUser(t, db, fmt.Sprintf("name%02d", i), email, base.Add(time.Duration(i)*time.Minute), func(u *latch.User, e []latch.EmailAddress) {
			u.IsStaff = i%4 == 0
			u.IsActive = i%6 != 5
			if len(e) > 0 {
				e[0].Verified = i%2 == 0
			}
		})
		if i%3 != 0 {
			at := base.Add(time.Duration(100-i/2) * time.Hour) // pairs share a time
			if err := db.Users.SetLastLogin(ctx, u.ID, at); err != nil {
				t.Fatal(err)
			}
			u.LastLogin = at
		}
		u.Email = email
		users = append(users, u)
	}
	yes, no := true, false
	less := map[string]func(a, b *latch.User) int{
		"date_joined":  func(a, b *latch.User) int { return a.DateJoined.Compare(b.DateJoined) },
		"-date_joined": func(a, b *latch.User) int { return b.DateJoined.Compare(a.DateJoined) },
		"last_login": func(a, b *latch.User) int {
			if c := a.LastLogin.Compare(b.LastLogin); c != 0 {
				return c
			}
			return int(a.ID - b.ID)
		},
		"-last_login": func(a, b *latch.User) int {
			switch {
			case a.LastLogin.IsZero() != b.LastLogin.IsZero():
				if a.LastLogin.IsZero() {
					return 1
				}
				return -1
			case !a.LastLogin.Equal(b.LastLogin):
				return b.LastLogin.Compare(a.LastLogin)
			}
			return int(b.ID - a.ID)
		},
		"email": func(a, b *latch.User) int {
			switch {
			case (a.Email == "") != (b.Email == ""):
				if a.Email == "" {
					return 1
				}
				return -1
			case a.Email != b.Email:
				if a.Email < b.Email {
					return -1
				}
				return 1
			}
			return int(a.ID - b.ID)
		},
	}
	filters := []struct {
		name string
		f    latch.UserFilter
		keep func(i int, u *latch.User) bool
	}{
		{"all", latch.UserFilter{}, func(int, *latch.User) bool { return true }},
		{"staff", latch.UserFilter{Staff: &yes}, func(i int, _ *latch.User) bool { return i%4 == 0 }},
		{"inactive", latch.UserFilter{Active: &no}, func(i int, _ *latch.User) bool { return i%6 == 5 }},
		{"verified", latch.UserFilter{Verified: &yes}, func(i int, u *latch.User) bool { return u.Email != "" && i%2 == 0 }},
		{"not verified, active", latch.UserFilter{Verified: &no, Active: &yes}, func(i int, u *latch.User) bool {
			return (u.Email == "" || i%2 == 1) && i%6 != 5
		}},
		{"q matches an address", latch.UserFilter{Query: "U1"}, func(_ int, u *latch.User) bool { return len(u.Email) > 2 && u.Email[1] == '1' }},
		{"q matches a username", latch.UserFilter{Query: "ME2"}, func(i int, _ *latch.User) bool { return i >= 20 }},
		{"q wildcards are literal", latch.UserFilter{Query: "%"}, func(int, *latch.User) bool { return false }},
		{"has_mfa (none yet)", latch.UserFilter{HasMFA: &yes}, func(int, *latch.User) bool { return false }},
		{"no mfa", latch.UserFilter{HasMFA: &no}, func(int, *latch.User) bool { return true }},
	}
	for sortName, cmp := range less {
		for _, fl := range filters {
			var want []int64
			sorted := slices.Clone(users)
			slices.SortStableFunc(sorted, cmp)
			idx := map[int64]int{}
			for i, u := range users {
				idx[u.ID] = i
			}
			for _, u := range sorted {
				if fl.keep(idx[u.ID], u) {
					want = append(want, u.ID)
				}
			}
			for _, limit := range []int{1, 4, 50} {
				f := fl.f
				f.Sort, f.Limit = sortName, limit
				var got []int64
				for pages := 0; ; pages++ {
					page, next, err := db.Users.ListUsers(ctx, f)
					if err != nil {
						t.Fatalf("%s %s: %v", sortName, fl.name, err)
					}
					if len(page) > limit || pages > 30 {
						t.Fatalf("%s %s limit %d: a page of %d", sortName, fl.name, limit, len(page))
					}
					for _, u := range page {
						got = append(got, u.ID)
						src := users[idx[u.ID]]
						if u.Email != src.Email || u.PublicID != src.PublicID || u.EmailVerified != (src.Email != "" && idx[u.ID]%2 == 0) {
							t.Errorf("%s: row %+v", fl.name, u)
						}
					}
					if next == "" {
						break
					}
					f.Cursor = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("sort %s, %s, pages of %d:\n got %v\nwant %v", sortName, fl.name, limit, got, want)
				}
			}
		}
	}
	if _, _, err := db.Users.ListUsers(ctx, latch.UserFilter{Sort: "username"}); !isInput(err, "sort") {
		t.Errorf("unknown sort: %v", err)
	}
	if _, _, err := db.Users.ListUsers(ctx, latch.UserFilter{Cursor: "e30"}); !isInput(err, "cursor") {
		t.Errorf("a cursor without the sort's value ({}): %v", err)
	}
	if _, _, err := db.Users.ListUsers(ctx, latch.UserFilter{Sort: "email", Cursor: "eyJwIjo3LCJpIjoxfQ"}); !isInput(err, "cursor") {
		t.Errorf("a cursor of a phase the sort lacks: %v", err)
	}
	if _, _, err := db.Users.ListUsers(ctx, latch.UserFilter{Cursor: "%%%"}); !isInput(err, "cursor") {
		t.Errorf("bad cursor: %v", err)
	}
}

func testAPIKeys(t *testing.T, db *sqlstore.DB) {
	k := &latch.APIKey{Name: "backend", Hash: []byte("hash-1"), Created: base}
	if err := db.APIKeys.CreateAPIKey(ctx, k); err != nil || k.ID == 0 {
		t.Fatal(k.ID, err)
	}
	if err := db.APIKeys.CreateAPIKey(ctx, &latch.APIKey{Name: "backend", Hash: []byte("hash-2"), Created: base}); !errors.Is(err, latch.ErrConflict) {
		t.Errorf("a taken name: %v", err)
	}
	if err := db.APIKeys.CreateAPIKey(ctx, &latch.APIKey{Name: "42", Hash: []byte("hash-3"), Created: base}); err != nil {
		t.Fatal(err)
	}
	got, err := db.APIKeys.APIKeyByHash(ctx, []byte("hash-1"), base.Add(time.Hour))
	if err != nil || got.Name != "backend" || !got.LastUsed.Equal(base.Add(time.Hour)) {
		t.Errorf("by hash: %+v, %v", got, err)
	}
	if _, err := db.APIKeys.APIKeyByHash(ctx, []byte("nope"), base); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	list, err := db.APIKeys.APIKeys(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "backend" || !list[0].LastUsed.Equal(base.Add(time.Hour)) || !list[1].LastUsed.IsZero() {
		t.Errorf("list %+v, %v", list, err)
	}
	// "42" is a name before it is an id.
	if name, err := db.APIKeys.DeleteAPIKey(ctx, "42"); err != nil || name != "42" {
		t.Errorf("delete by name: %q %v", name, err)
	}
	if name, err := db.APIKeys.DeleteAPIKey(ctx, fmt.Sprint(k.ID)); err != nil || name != "backend" {
		t.Errorf("delete by id: %q %v", name, err)
	}
	if _, err := db.APIKeys.DeleteAPIKey(ctx, "backend"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
}

func testDeleteUser(t *testing.T, db *sqlstore.DB) {
	alice := addUser(t, db, "alice", "alice@example.com", base, nil)
	bob := addUser(t, db, "bob", "bob@example.com", base, nil)
	for _, u := range []*latch.User{alice, bob} {
		s := &latch.Session{KeyHash: []byte("key-" + u.Username), UserID: u.ID, Client: latch.App, Created: base, LastSeen: base,
			Expires: base.Add(time.Hour), MaxExpires: base.Add(time.Hour)}
		if err := db.Sessions.StartSession(ctx, s, 0, &latch.RefreshToken{Hash: []byte("rt-" + u.Username), Created: base, Expires: base.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := db.Tokens.CreateToken(ctx, &latch.Token{Kind: "reset", Hash: []byte("tk-" + u.Username), UserID: u.ID, Email: u.Email, Created: base, Expires: base.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := db.Emails.AddEmail(ctx, &latch.EmailAddress{UserID: u.ID, Email: u.Username + "@second.example", Created: base}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Audit.AddAuditEvent(ctx, &latch.Event{Type: "user.logged_in", At: base, User: alice}); err != nil {
		t.Fatal(err)
	}
	if err := db.Users.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Users.DeleteUser(ctx, alice.ID); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("deleting again: %v", err)
	}
	if _, err := db.Users.UserByID(ctx, alice.ID); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("user: %v", err)
	}
	if list, _ := db.Emails.EmailAddresses(ctx, alice.ID); len(list) != 0 {
		t.Errorf("addresses left: %v", list)
	}
	if _, _, err := db.Sessions.SessionByKey(ctx, []byte("key-alice")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("session: %v", err)
	}
	if _, err := db.Refresh.RefreshTokenByHash(ctx, []byte("rt-alice")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("refresh token: %v", err)
	}
	if _, err := db.Tokens.TokenByHash(ctx, "reset", []byte("tk-alice")); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("emailed token: %v", err)
	}
	// Bob keeps everything; alice's trail stays in the audit log.
	if _, _, err := db.Sessions.SessionByKey(ctx, []byte("key-bob")); err != nil {
		t.Errorf("bob's session: %v", err)
	}
	if _, err := db.Refresh.RefreshTokenByHash(ctx, []byte("rt-bob")); err != nil {
		t.Errorf("bob's refresh token: %v", err)
	}
	if list, _ := db.Emails.EmailAddresses(ctx, bob.ID); len(list) != 2 {
		t.Errorf("bob's addresses: %v", list)
	}
	if trail, _, _ := db.Audit.AuditEvents(ctx, latch.AuditFilter{UserID: alice.PublicID}); len(trail) != 1 {
		t.Errorf("alice's audit trail: %v", trail)
	}
}
