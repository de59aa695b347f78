package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/latchauth/latch/internal/testdb"
)

// TestSignupFieldsSetting: LATCH_SIGNUP_FIELDS in allauth's syntax; the
// default keeps the email required; an optional email needs username*,
// username login and non-mandatory verification; no username field needs
// email login only.
func TestSignupFieldsSetting(t *testing.T) {
	for _, tc := range []struct {
		value                     string
		emailOptional, userNeeded bool
	}{
		{"", false, false},
		{"email*,username,password1*", false, false},
		{"email*, username*, password1*", false, true},
		{"email,username*,password1*", true, true},
	} {
		c, err := loadConfig(testEnv("sqlite:x.db", "LATCH_SIGNUP_FIELDS", tc.value))
		if err != nil || c.Account.EmailOptional != tc.emailOptional || c.Account.UsernameRequired != tc.userNeeded || c.Account.NoUsername {
			t.Errorf("%q: %+v, %v", tc.value, c, err)
		}
	}
	// No username field: email-only accounts, with email login only.
	c, err := loadConfig(testEnv("sqlite:x.db", "LATCH_SIGNUP_FIELDS", "email*,password1*", "LATCH_LOGIN_METHODS", "email"))
	if err != nil || !c.Account.NoUsername || c.Account.EmailOptional || c.Account.UsernameRequired {
		t.Errorf("email-only: %+v, %v", c, err)
	}
	for _, env := range [][]string{
		{"LATCH_SIGNUP_FIELDS", "email,username,password1*"},
		{"LATCH_SIGNUP_FIELDS", "email*,username,password2*"},
		{"LATCH_SIGNUP_FIELDS", "email*,password1*"},
		{"LATCH_SIGNUP_FIELDS", "email*,password1*", "LATCH_LOGIN_METHODS", "username"},
		{"LATCH_SIGNUP_FIELDS", "email,password1*", "LATCH_LOGIN_METHODS", "email"},
		{"LATCH_SIGNUP_FIELDS", "username*,password1*"},
		{"LATCH_SIGNUP_FIELDS", "email*,username"},
		{"LATCH_SIGNUP_FIELDS", "email,username*,password1*", "LATCH_LOGIN_METHODS", "email"},
		{"LATCH_SIGNUP_FIELDS", "email,username*,password1*", "LATCH_EMAIL_VERIFICATION", "mandatory"},
	} {
		if _, err := loadConfig(testEnv("sqlite:x.db", env...)); err == nil || !strings.Contains(err.Error(), "LATCH_SIGNUP_FIELDS") {
			t.Errorf("%v: %v, want an error naming LATCH_SIGNUP_FIELDS", env, err)
		}
	}
}

// TestSeed001UsernameOnlySignup: the djangorestframework-jwt tutorial's
// signup ({"username", "password"}) through `latch serve` under the
// settings docs/compat.md gives, and refused by default.
func TestSeed001UsernameOnlySignup(t *testing.T) {
	const signup = `{"username":"dakota","password":"amber-Falcon-38"}`
	base, _ := startServe(t, testEnv(testdb.SQLiteURL(t), "LATCH_COMPAT", "drf-jwt"))
	if status, body := post(t, base+"/core/users/", "", signup); status != 400 || body["email"] == nil {
		t.Errorf("defaults: %d %v, want 400 email required", status, body)
	}
	base, _ = startServe(t, testEnv(testdb.SQLiteURL(t), "LATCH_COMPAT", "drf-jwt", "LATCH_SIGNUP_FIELDS", "email,username*,password1*"))
	if status, body := post(t, base+"/core/users/", "", signup); status != 201 || body["token"] == nil || body["username"] != "dakota" {
		t.Errorf("username-only: %d %v, want 201 with a token", status, body)
	}
	if status, body := post(t, base+"/token-auth/", "", signup); status != 200 || body["token"] == nil {
		t.Errorf("login: %d %v", status, body)
	}
}

// TestCreateSuperuserFollowsSignupFields: with the address optional the
// superuser may have only a username (then required) and logs in by it;
// without a username field a username is refused and the address suffices.
func TestCreateSuperuserFollowsSignupFields(t *testing.T) {
	const pw = "quartz-Meadow-55\n"
	create := func(env func(string) string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"createsuperuser"}, args...), env, strings.NewReader(pw), &out, io.Discard)
		return out.String(), err
	}

	usernameOnly := testEnv(testdb.SQLiteURL(t), "LATCH_SIGNUP_FIELDS", "email,username*,password1*")
	if out, err := create(usernameOnly, "--username", "root", "--password-stdin"); err != nil || !strings.Contains(out, "root") {
		t.Fatalf("username-only superuser: %q, %v", out, err)
	}
	if _, err := create(usernameOnly, "--password-stdin"); err == nil || !strings.Contains(err.Error(), "--username") {
		t.Errorf("neither email nor username: %v", err)
	}
	if _, err := create(testEnv(testdb.SQLiteURL(t)), "--username", "root", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "--email") {
		t.Errorf("no email by default: %v", err)
	}
	base, _ := startServe(t, usernameOnly)
	if status, body := post(t, base+"/_allauth/app/v1/auth/login", "", `{"username":"root","password":"quartz-Meadow-55"}`); status != 200 {
		t.Errorf("username-only superuser login: %d %v", status, body)
	}

	emailOnly := testEnv(testdb.SQLiteURL(t), "LATCH_SIGNUP_FIELDS", "email*,password1*", "LATCH_LOGIN_METHODS", "email")
	if _, err := create(emailOnly, "--email", "root@example.com", "--username", "root", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "no username") {
		t.Errorf("username under email-only: %v", err)
	}
	if out, err := create(emailOnly, "--email", "root@example.com", "--password-stdin"); err != nil || !strings.Contains(out, "root@example.com") {
		t.Errorf("email-only superuser: %q, %v", out, err)
	}
}
