package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMFASettings: the MFA settings' defaults, values and refusals; the
// TOTP issuer defaults to the site name; the MFA key is derived from the
// master secret, the same for every node and restart.
func TestMFASettings(t *testing.T) {
	load := func(env map[string]string) (*config, error) {
		return loadConfig(func(k string) string { return env[k] })
	}
	c, err := load(map[string]string{"LATCH_PUBLIC_URL": "https://id.example.com", "LATCH_EMAIL_URL": "console:"})
	if err != nil {
		t.Fatal(err)
	}
	m := c.Account.MFA
	if c.WebAuthnRPID != "id.example.com" || !slices.Equal(c.WebAuthnOrigins, []string{"https://id.example.com"}) {
		t.Fatalf("webauthn defaults %q %v", c.WebAuthnRPID, c.WebAuthnOrigins)
	}
	if !slices.Equal(m.SupportedTypes, []string{"totp", "recovery_codes", "webauthn"}) || m.TOTPIssuer != "Latch" || m.RecoveryCodes != 10 ||
		m.Trust || m.TrustTTL != 14*24*time.Hour || m.ReauthenticationTimeout != 5*time.Minute {
		t.Fatalf("defaults %+v", m)
	}
	c, err = load(map[string]string{"LATCH_SITE_NAME": "Acme", "LATCH_MFA_SUPPORTED_TYPES": "totp", "LATCH_MFA_RECOVERY_CODES": "12",
		"LATCH_MFA_TRUST": "true", "LATCH_MFA_TRUST_TTL": "24h", "LATCH_REAUTHENTICATION_TIMEOUT": "90s", "LATCH_MFA_PASSKEY_LOGIN": "true"})
	if err != nil {
		t.Fatal(err)
	}
	m = c.Account.MFA
	if !slices.Equal(m.SupportedTypes, []string{"totp"}) || m.TOTPIssuer != "Acme" || m.RecoveryCodes != 12 || !m.Trust ||
		m.TrustTTL != 24*time.Hour || m.ReauthenticationTimeout != 90*time.Second || !m.PasskeyLogin {
		t.Fatalf("set %+v", m)
	}
	c, err = load(map[string]string{"LATCH_MFA_TOTP_ISSUER": "Acme ID", "LATCH_MFA_SUPPORTED_TYPES": "none"})
	if err != nil || c.Account.MFA.TOTPIssuer != "Acme ID" || len(c.Account.MFA.SupportedTypes) != 0 {
		t.Fatalf("issuer %v %+v", err, c.Account.MFA)
	}
	// On an IP address (the default public URL) WebAuthn is off, with a note.
	c, err = load(nil)
	if err != nil || !slices.Equal(c.Account.MFA.SupportedTypes, []string{"totp", "recovery_codes"}) || c.webauthnOff == "" {
		t.Fatalf("webauthn on an IP address: %v %v %q", err, c.Account.MFA.SupportedTypes, c.webauthnOff)
	}
	c, err = load(map[string]string{"LATCH_WEBAUTHN_RP_ID": "example.com", "LATCH_WEBAUTHN_ORIGINS": "https://a.example.com, https://b.example.com/"})
	if err != nil || c.WebAuthnRPID != "example.com" || !slices.Equal(c.WebAuthnOrigins, []string{"https://a.example.com", "https://b.example.com"}) {
		t.Fatalf("webauthn set: %v %q %v", err, c.WebAuthnRPID, c.WebAuthnOrigins)
	}
	if _, err := load(map[string]string{"LATCH_MFA_PASSKEY_SIGNUP": "true"}); err == nil || !strings.Contains(err.Error(), "LATCH_MFA_PASSKEY_SIGNUP") {
		t.Errorf("passkey signup without mandatory verification by code: %v", err)
	}
	c, err = load(map[string]string{"LATCH_MFA_PASSKEY_SIGNUP": "true", "LATCH_EMAIL_VERIFICATION": "mandatory", "LATCH_EMAIL_VERIFICATION_BY_CODE": "true"})
	if err != nil || !c.Account.MFA.PasskeySignup {
		t.Fatalf("passkey signup: %v", err)
	}
	for name, v := range map[string]string{"LATCH_MFA_SUPPORTED_TYPES": "sms", "LATCH_WEBAUTHN_ORIGINS": "https://a.example.com/path", "LATCH_MFA_RECOVERY_CODES": "0",
		"LATCH_MFA_TRUST": "maybe", "LATCH_MFA_PASSKEY_LOGIN": "sure", "LATCH_MFA_TRUST_TTL": "forever", "LATCH_REAUTHENTICATION_TIMEOUT": "-1m"} {
		if _, err := load(map[string]string{name: v}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
	a, b := deriveSecret(strings.Repeat("s", 32), "mfa"), deriveSecret(strings.Repeat("s", 32), "mfa")
	if string(a) != string(b) || string(a) == string(deriveSecret(strings.Repeat("s", 32), "csrf tokens")) {
		t.Fatal("the MFA key is not a stable, purpose-bound derivation")
	}
}

// TestMFASurvivesRestart: second factors set up before a restart work after
// it — the recovery codes (keyed hashes) log in and their sealed list opens
// — because latch serve derives the MFA key from the master secret rather
// than making one per process.
func TestMFASurvivesRestart(t *testing.T) {
	env := testEnv("sqlite:"+t.TempDir()+"/latch.db", "LATCH_EMAIL_NOTIFICATIONS", "false")
	if err := run(context.Background(), []string{"createsuperuser", "--email", "mfa@example.com", "--password-stdin"},
		env, strings.NewReader("amber-Falcon-38\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	get := func(url, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Session-Token", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	login := func(api string) (int, string) {
		t.Helper()
		status, body := post(t, api+"/auth/login", "", `{"email":"mfa@example.com","password":"amber-Falcon-38"}`)
		tok, _ := body["meta"].(map[string]any)["session_token"].(string)
		return status, tok
	}

	base, stop := startServe(t, env)
	api := base + "/_allauth/app/v1"
	status, tok := login(api)
	if status != 200 {
		t.Fatalf("login %d", status)
	}
	status, body := get(api+"/account/authenticators/totp", tok)
	secret, _ := body["meta"].(map[string]any)["secret"].(string)
	if status != 404 || secret == "" {
		t.Fatalf("totp setup %d %v", status, body)
	}
	key, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	mac := hmac.New(sha1.New, key)
	binary.Write(mac, binary.BigEndian, uint64(time.Now().Unix()/30))
	sum := mac.Sum(nil)
	code := fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[sum[19]&0xf:])&0x7fffffff)%1_000_000)
	if status, body := post(t, api+"/account/authenticators/totp", tok, `{"code":"`+code+`"}`); status != 200 {
		t.Fatalf("activate %d %v", status, body)
	}
	status, body = get(api+"/account/authenticators/recovery-codes", tok)
	codes, _ := body["data"].(map[string]any)["unused_codes"].([]any)
	if status != 200 || len(codes) != 10 {
		t.Fatalf("recovery codes %d %v", status, body)
	}
	stop()

	base, _ = startServe(t, env)
	api = base + "/_allauth/app/v1"
	status, tok = login(api)
	if status != 401 {
		t.Fatalf("login after restart %d, want 401 (mfa_authenticate)", status)
	}
	status, body = post(t, api+"/auth/2fa/authenticate", tok, `{"code":"`+codes[0].(string)+`"}`)
	if status != 200 {
		t.Fatalf("recovery code after restart: %d %v", status, body)
	}
	tok, _ = body["meta"].(map[string]any)["session_token"].(string)
	status, body = get(api+"/account/authenticators/recovery-codes", tok)
	if left, _ := body["data"].(map[string]any)["unused_codes"].([]any); status != 200 || len(left) != 9 || left[0] != codes[1] {
		t.Fatalf("sealed codes after restart: %d %v", status, body)
	}
}
