package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// Regression tests of issue 10, items 7 and 10: look-alike identities and
// passwords compared byte for byte.

// TestLookalikeUsernameTaken: with "admin" taken, its fullwidth and
// upper-case forms are the same username — refused as taken at signup,
// found at login.
func TestLookalikeUsernameTaken(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		db := open(t)
		srv := startLatch(t, db)
		newClient(t, srv, "app").signup("admin@example.com", "admin")

		for _, name := range []string{"ａｄｍｉｎ", "ＡＤＭＩＮ", "ADMIN", " Admin "} {
			c := newClient(t, srv, "app")
			expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "other@example.com", "username": name, "password": goodPassword}),
				400, "username:username_taken")
		}
		c := newClient(t, srv, "app")
		r := c.do("POST", "/auth/login", map[string]any{"username": "ＡＤＭＩＮ", "password": goodPassword})
		expect(t, r, 200)
		if got := r.data()["user"].(map[string]any)["username"]; got != "admin" {
			t.Errorf("logged in as %v, want admin", got)
		}
		// A fullwidth signup is stored in its NFKC form.
		expect(t, newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": "ed@example.com", "username": "Ｅｄｄｉｅ", "password": goodPassword}), 200)
		u, err := db.Users.UserByEmail(context.Background(), "ed@example.com")
		if err != nil || u.Username != "Eddie" {
			t.Fatalf("stored username %q, %v; want Eddie", u.Username, err)
		}
		expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"username": "eddie", "password": goodPassword}), 200)
	})
}

// TestMixedScriptUsernameRefused: a username mixing Latin and Cyrillic
// letters ("аdmin" with a Cyrillic а) is refused; one script, or the CJK
// combinations, are fine.
func TestMixedScriptUsernameRefused(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	newClient(t, srv, "app").signup("admin@example.com", "admin")
	for _, name := range []string{"\u0430dmin", "p\u0430ypal", "admin\u03bf"} {
		r := newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": "x@example.com", "username": name, "password": goodPassword})
		expect(t, r, 400, "username:invalid")
		if !strings.Contains(r.Raw, "one script") {
			t.Errorf("signup as %q: message does not say why: %s", name, r.Raw)
		}
	}
	for i, name := range []string{"Дмитрий", "山田たろう", "김철수"} {
		newClient(t, srv, "app").signup(string(rune('a'+i))+"@example.com", name)
	}
}

// TestFullwidthEmailRefused: an address whose local part has fullwidth
// letters is refused as invalid on every path that takes an address, so it
// cannot become a second account that looks like the first; domains are
// compared in one IDNA form.
func TestFullwidthEmailRefused(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.LoginByCode = true })
	owner := newClient(t, srv, "app")
	owner.signup("victim@example.com", "")
	srv.mailTo(t, "victim@example.com")

	const lookalike = "ｖｉｃｔｉｍ@example.com"
	c := newClient(t, srv, "app")
	expect(t, c.do("POST", "/auth/signup", map[string]any{"email": lookalike, "password": goodPassword}), 400, "email:invalid")
	expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "vict\uff49m@example.com", "password": goodPassword}), 400, "email:invalid")
	expect(t, c.do("POST", "/auth/login", map[string]any{"email": lookalike, "password": goodPassword}), 400, "email:invalid")
	expect(t, c.do("POST", "/auth/password/request", map[string]any{"email": lookalike}), 400, "email:invalid")
	expect(t, c.do("POST", "/auth/code/request", map[string]any{"email": lookalike}), 400, "email:invalid")
	expect(t, owner.do("POST", "/account/email", map[string]any{"email": lookalike}), 400, "email:invalid")

	// The domain: case, fullwidth and A-label forms are the same address.
	for _, same := range []string{"victim@EXAMPLE.com", "victim@ｅｘａｍｐｌｅ.com", "victim@example。com"} {
		expect(t, newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": same, "password": goodPassword}), 400, "email:email_taken")
	}
	newClient(t, srv, "app").signup("bob@BÜCHER.de", "")
	srv.mailTo(t, "bob@xn--bcher-kva.de") // sent to the A-label form
	expect(t, newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": "bob@xn--bcher-kva.de", "password": goodPassword}), 400, "email:email_taken")
	expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": "BOB@xn--bcher-kva.de", "password": goodPassword}), 200)
}

// TestPasswordNormalized: a password set in NFC logs in typed in NFD (and
// the reverse), and an imported hash of a raw NFD password still logs in
// as typed and is rehashed.
func TestPasswordNormalized(t *testing.T) {
	const nfc, nfd = "Ünïcödé-Harbor-92", "U\u0308ni\u0308co\u0308de\u0301-Harbor-92"
	db := openSQLite(t)
	srv := startLatch(t, db)
	expect(t, newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": "nfc@example.com", "password": nfc}), 200)
	expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": "nfc@example.com", "password": nfd}), 200)
	expect(t, newClient(t, srv, "app").do("POST", "/auth/signup", map[string]any{"email": "nfd@example.com", "password": nfd}), 200)
	expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": "nfd@example.com", "password": nfc}), 200)
	expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": "nfd@example.com", "password": "Unicode-Harbor-92"}), 400, "password:email_password_mismatch")

	// A Django hash made from the raw NFD bytes.
	u, err := db.Users.UserByEmail(context.Background(), "nfd@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Users.SetPassword(context.Background(), u.ID, djangoHash(nfd, "salt", 1000), time.Now()); err != nil {
		t.Fatal(err)
	}
	expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": "nfd@example.com", "password": nfd}), 200)
	u, _ = db.Users.UserByEmail(context.Background(), "nfd@example.com")
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("hash after login = %q, want an argon2id upgrade", u.PasswordHash)
	}
	// The upgrade is of the normalised form: NFC now works too.
	expect(t, newClient(t, srv, "app").do("POST", "/auth/login", map[string]any{"email": "nfd@example.com", "password": nfc}), 200)
}

// TestPasswordNULRefused: a password holding U+0000 is refused at signup
// and password change, with its own code.
func TestPasswordNULRefused(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := newClient(t, srv, "app")
	expect(t, c.do("POST", "/auth/signup", map[string]any{"email": "nul@example.com", "password": "violet-\x00Harbor-92"}),
		400, "password:password_invalid_character")
	c.signup("nul@example.com", "")
	expect(t, c.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "walnut-\x00Signal-83"}),
		400, "new_password:password_invalid_character")
}
