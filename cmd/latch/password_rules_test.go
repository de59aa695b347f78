package main

import (
	"strings"
	"testing"

	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/password"
)

// TestPasswordValidatorsSetting: LATCH_PASSWORD_VALIDATORS chooses Django's
// rules; the default is all four, as Django's, with no warning; leaving any
// out is warned about.
func TestPasswordValidatorsSetting(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want password.Policy
		warn string
	}{
		{nil, password.DefaultPolicy, ""},
		{[]string{"LATCH_PASSWORD_VALIDATORS", "numeric, similarity,common,length"}, password.DefaultPolicy, ""},
		{[]string{"LATCH_PASSWORD_VALIDATORS", "length"}, password.Policy{MinLength: 8}, "common, similarity, numeric"},
		{[]string{"LATCH_PASSWORD_VALIDATORS", "length", "LATCH_PASSWORD_MIN_LENGTH", "10"}, password.Policy{MinLength: 10}, "common, similarity, numeric"},
		{[]string{"LATCH_PASSWORD_VALIDATORS", "common,numeric"}, password.Policy{CheckCommon: true, CheckNumeric: true}, "length, similarity"},
		{[]string{"LATCH_PASSWORD_VALIDATORS", "none"}, password.Policy{}, "length, common, similarity, numeric"},
	} {
		c, err := loadConfig(testEnv("sqlite:x.db", tc.env...))
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if c.Account.PasswordPolicy != tc.want {
			t.Errorf("%v: policy %+v, want %+v", tc.env, c.Account.PasswordPolicy, tc.want)
		}
		got := strings.Join(c.warnings, "\n")
		if tc.warn == "" && got != "" || tc.warn != "" && !strings.Contains(got, "turns off password rules: "+tc.warn+";") {
			t.Errorf("%v: warnings %q, want one naming %q", tc.env, got, tc.warn)
		}
	}
	for _, env := range [][]string{
		{"LATCH_PASSWORD_VALIDATORS", "length,upper"},
		{"LATCH_PASSWORD_VALIDATORS", "common", "LATCH_PASSWORD_MIN_LENGTH", "6"},
	} {
		if _, err := loadConfig(testEnv("sqlite:x.db", env...)); err == nil || !strings.Contains(err.Error(), "LATCH_PASSWORD_") {
			t.Errorf("%v: %v, want an error naming the variable", env, err)
		}
	}
}

// TestSeed004ExampleRegistration: the "DRF + simplejwt + React" tutorial's
// documented example registration (password "12345678") is refused under
// Latch's defaults and accepted with LATCH_PASSWORD_VALIDATORS=length, the
// setting docs/compat.md gives for it.
func TestSeed004ExampleRegistration(t *testing.T) {
	const example = `{"email":"testuser@example.com","password":"12345678","username":"testuser"}`
	base, _ := startServe(t, testEnv(testdb.SQLiteURL(t), "LATCH_COMPAT", "simplejwt"))
	status, body := post(t, base+"/api/auth/register/", "", example)
	if pw, _ := body["password"].([]any); status != 400 || len(pw) != 2 {
		t.Errorf("defaults: %d %v, want 400 too common and entirely numeric", status, body)
	}
	base, _ = startServe(t, testEnv(testdb.SQLiteURL(t), "LATCH_COMPAT", "simplejwt", "LATCH_PASSWORD_VALIDATORS", "length"))
	status, body = post(t, base+"/api/auth/register/", "", example)
	if status != 201 || body["token"] == nil {
		t.Errorf("LATCH_PASSWORD_VALIDATORS=length: %d %v, want 201", status, body)
	}
	status, body = post(t, base+"/api/auth/register/", "", `{"email":"short@example.com","password":"1234567","username":"short"}`)
	if status != 400 {
		t.Errorf("7 characters: %d %v, want 400 too short", status, body)
	}
}
