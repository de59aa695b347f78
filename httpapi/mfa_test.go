package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/internal/providertest"
	"github.com/latchauth/latch/internal/webauthntest"
	"github.com/latchauth/latch/sqlstore"
)

// totpCode is the RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret
// at t: the test's own generator, as an authenticator app computes it.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	m := hmac.New(sha1.New, key)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], uint64(at.Unix()/30))
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[19] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1_000_000)
}

// verifiedSignup signs c up as email and verifies the address by its link.
func verifiedSignup(t *testing.T, srv *latchServer, c *client, email string) {
	t.Helper()
	c.signup(email, "")
	expect(t, c.do("POST", "/auth/email/verify", map[string]any{"key": keyIn(t, srv.mailTo(t, email))}), 200)
}

// enrolTOTP activates TOTP for c's user and returns the secret; the clock
// is then one step on, so the activating code is not the next one.
func enrolTOTP(t *testing.T, srv *latchServer, c *client) string {
	t.Helper()
	r := c.do("GET", "/account/authenticators/totp", nil)
	expect(t, r, 404)
	secret, _ := r.meta()["secret"].(string)
	url, _ := r.meta()["totp_url"].(string)
	if secret == "" || !strings.HasPrefix(url, "otpauth://totp/Latch:") || !strings.Contains(url, "secret="+secret) {
		t.Fatalf("setup: %s", r.Raw)
	}
	r = c.do("POST", "/account/authenticators/totp", map[string]any{"code": totpCode(t, secret, srv.clock())})
	expect(t, r, 200)
	if r.meta()["recovery_codes_generated"] != true || r.data()["type"] != "totp" {
		t.Fatalf("activation: %s", r.Raw)
	}
	srv.advance(30 * time.Second)
	return secret
}

// logout logs c out; the app drops its token, as it must.
func (c *client) logout() {
	c.t.Helper()
	expect(c.t, c.do("DELETE", "/auth/session", nil), 401)
	c.token = ""
}

// methods lists "method[/type]" of a 200 authentication response.
func methods(r *response) []string {
	var out []string
	list, _ := r.data()["methods"].([]any)
	for _, m := range list {
		e := m.(map[string]any)
		s, _ := e["method"].(string)
		if t, ok := e["type"].(string); ok {
			s += "/" + t
		}
		out = append(out, s)
	}
	return out
}

// TestMFAEndpoints drives enrolment, the second factor at login, recovery
// codes, reauthentication and deactivation through both clients on both
// engines, every answer checked against the OpenAPI document.
func TestMFAEndpoints(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t))
		for _, kind := range []string{"browser", "app"} {
			t.Run(kind, func(t *testing.T) {
				email := kind + "-mfa@example.com"
				c := newClient(t, srv, kind)
				verifiedSignup(t, srv, c, email)
				r := c.do("GET", "/account/authenticators", nil)
				expect(t, r, 200)
				if list := r.Body["data"].([]any); len(list) != 0 {
					t.Fatalf("authenticators before enrolment: %s", r.Raw)
				}
				r = c.do("GET", "/account/authenticators/totp", nil)
				expect(t, r, 404)
				secret := r.meta()["secret"].(string)
				expect(t, c.do("POST", "/account/authenticators/totp", map[string]any{"code": "000000"}), 400, "code:incorrect_code")
				expect(t, c.do("POST", "/account/authenticators/totp", map[string]any{}), 400, "code:required")
				expect(t, c.do("POST", "/account/authenticators/totp", map[string]any{"code": totpCode(t, secret, srv.clock())}), 200)
				expect(t, c.do("POST", "/account/authenticators/totp", map[string]any{"code": totpCode(t, secret, srv.clock())}), 409)
				expect(t, c.do("GET", "/account/authenticators/totp", nil), 200)
				r = c.do("GET", "/account/authenticators", nil)
				expect(t, r, 200)
				if strings.Contains(r.Raw, secret) || len(r.Body["data"].([]any)) != 2 {
					t.Fatalf("authenticators: %s", r.Raw)
				}
				r = c.do("GET", "/account/authenticators/recovery-codes", nil)
				expect(t, r, 200)
				var codes []string
				for _, x := range r.data()["unused_codes"].([]any) {
					codes = append(codes, x.(string))
				}
				if len(codes) != 10 || r.data()["unused_code_count"] != float64(10) {
					t.Fatalf("recovery codes: %s", r.Raw)
				}
				srv.advance(30 * time.Second)

				// The second factor at login.
				c.logout()
				r = c.do("POST", "/auth/login", map[string]any{"email": email, "password": goodPassword})
				expect(t, r, 401)
				if got := r.flowIDs(); !slices.Contains(got, "mfa_authenticate*") {
					t.Fatalf("flows %v", got)
				}
				if !strings.Contains(r.Raw, `"types":["recovery_codes","totp"]`) {
					t.Fatalf("mfa flow without its types: %s", r.Raw)
				}
				expect(t, c.do("GET", "/account/email", nil), 401)
				expect(t, c.do("GET", "/auth/session", nil), 401)
				expect(t, c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": "12345"}), 400, "code:incorrect_code")
				r = c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": totpCode(t, secret, srv.clock())})
				expect(t, r, 200)
				if got := methods(r); !slices.Equal(got, []string{"password", "mfa/totp"}) {
					t.Fatalf("methods %v", got)
				}
				expect(t, c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": "123456"}), 409)

				// Recovery code login.
				c.logout()
				expect(t, c.do("POST", "/auth/login", map[string]any{"email": email, "password": goodPassword}), 401)
				r = c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": codes[0]})
				expect(t, r, 200)
				if got := methods(r); !slices.Equal(got, []string{"password", "mfa/recovery_codes"}) {
					t.Fatalf("methods %v", got)
				}

				// Reauthentication.
				srv.advance(6 * time.Minute)
				r = c.do("GET", "/account/authenticators/recovery-codes", nil)
				expect(t, r, 401)
				if r.meta()["is_authenticated"] != true || !strings.Contains(r.Raw, `"flows":[{"id":"reauthenticate"},{"id":"mfa_reauthenticate","types":["recovery_codes","totp"]}]`) {
					t.Fatalf("reauthentication required: %s", r.Raw)
				}
				expect(t, c.do("POST", "/account/email", map[string]any{"email": kind + "-other@example.com"}), 401)
				expect(t, c.do("POST", "/auth/reauthenticate", map[string]any{"password": "wrong password"}), 400, "password:incorrect_password")
				r = c.do("POST", "/auth/reauthenticate", map[string]any{"password": goodPassword})
				expect(t, r, 200)
				if got := methods(r); got[len(got)-1] != "password" {
					t.Fatalf("methods %v", got)
				}
				r = c.do("GET", "/account/authenticators/recovery-codes", nil)
				expect(t, r, 200)
				if r.data()["unused_code_count"] != float64(9) || slices.Contains(r.data()["unused_codes"].([]any), any(codes[0])) {
					t.Fatalf("after a used code: %s", r.Raw)
				}
				expect(t, c.do("POST", "/account/authenticators/recovery-codes", nil), 200)
				srv.advance(6 * time.Minute)
				expect(t, c.do("DELETE", "/account/authenticators/totp", nil), 401)
				expect(t, c.do("POST", "/auth/2fa/reauthenticate", map[string]any{"code": "000000"}), 400, "code:incorrect_code")
				expect(t, c.do("POST", "/auth/2fa/reauthenticate", map[string]any{"code": totpCode(t, secret, srv.clock())}), 200)
				expect(t, c.do("DELETE", "/account/authenticators/totp", nil), 200)
				expect(t, c.do("DELETE", "/account/authenticators/totp", nil), 404)
				r = c.do("GET", "/account/authenticators", nil)
				if expect(t, r, 200); len(r.Body["data"].([]any)) != 0 {
					t.Fatalf("left after deactivation: %s", r.Raw)
				}
				expect(t, c.do("POST", "/account/authenticators/recovery-codes", nil), 400, "cannot_generate_recovery_codes")
			})
		}
	})
}

// TestMFAUnverifiedAccount: an account without a verified address cannot
// set up TOTP (409), as allauth.
func TestMFAUnverifiedAccount(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	c := newClient(t, srv, "app")
	c.signup("unverified@example.com", "")
	expect(t, c.do("GET", "/account/authenticators/totp", nil), 409)
	expect(t, c.do("POST", "/account/authenticators/totp", map[string]any{"code": "123456"}), 409)
}

// TestMFABeforeTokens: under the JWT strategy an app login with a second
// factor gets no access or refresh token until the factor is passed.
func TestMFABeforeTokens(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.Tokens.Strategy = "jwt" })
	c := newClient(t, srv, "app")
	verifiedSignup(t, srv, c, "jwt-mfa@example.com")
	secret := enrolTOTP(t, srv, c)
	c.logout()
	r := c.do("POST", "/auth/login", map[string]any{"email": "jwt-mfa@example.com", "password": goodPassword})
	expect(t, r, 401)
	if r.meta()["access_token"] != nil || r.meta()["refresh_token"] != nil || strings.Contains(r.Raw, "access_token") {
		t.Fatalf("tokens before the second factor: %s", r.Raw)
	}
	r = c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": totpCode(t, secret, srv.clock())})
	expect(t, r, 200)
	if r.meta()["access_token"] == nil || r.meta()["refresh_token"] == nil {
		t.Fatalf("no tokens after the second factor: %s", r.Raw)
	}
}

// TestMFATrustBrowser: with LATCH_MFA_TRUST the browser is asked after the
// second factor; trusting sets an HttpOnly cookie with which the next
// login skips the second factor; without the cookie it is asked again.
func TestMFATrustBrowser(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.MFA.Trust = true })
	c := newClient(t, srv, "browser")
	verifiedSignup(t, srv, c, "trust@example.com")
	secret := enrolTOTP(t, srv, c)
	c.logout()
	login := map[string]any{"email": "trust@example.com", "password": goodPassword}
	expect(t, c.do("POST", "/auth/login", login), 401)
	expect(t, c.do("POST", "/auth/2fa/trust", map[string]any{"trust": true}), 409)
	r := c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": totpCode(t, secret, srv.clock())})
	expect(t, r, 401)
	if got := r.flowIDs(); !slices.Contains(got, "mfa_trust*") {
		t.Fatalf("flows %v", got)
	}
	expect(t, c.do("POST", "/auth/2fa/trust", map[string]any{}), 400, "trust:required")
	r = c.do("POST", "/auth/2fa/trust", map[string]any{"trust": true})
	expect(t, r, 200)
	var cookie *http.Cookie
	for _, k := range (&http.Response{Header: r.Header}).Cookies() {
		if k.Name == "latch_mfa_trust" {
			cookie = k
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.MaxAge != 14*24*3600 {
		t.Fatalf("trust cookie %+v", cookie)
	}
	c.logout()
	r = c.do("POST", "/auth/login", login)
	expect(t, r, 200)
	if got := methods(r); !slices.Equal(got, []string{"password"}) {
		t.Fatalf("trusted login methods %v", got)
	}
	other := newClient(t, srv, "browser")
	expect(t, other.do("POST", "/auth/login", login), 401)
}

// TestMFACompatSurfacesRefuse: the tutorial surfaces have no second-factor
// step, so an account with one gets no session and no token from them —
// the password alone never logs it in.
func TestMFACompatSurfacesRefuse(t *testing.T) {
	srv := startLatch(t, openSQLite(t), compat("all"), func(c *account.Config, _ *httpapi.Config) { c.Tokens.Strategy = "jwt" })
	app := newClient(t, srv, "app")
	app.signup("compat-mfa@example.com", "compatmfa")
	expect(t, app.do("POST", "/auth/email/verify", map[string]any{"key": keyIn(t, srv.mailTo(t, "compat-mfa@example.com"))}), 200)
	r := app.do("GET", "/account/authenticators/totp", nil)
	expect(t, r, 404)
	secret := r.meta()["secret"].(string)
	expect(t, app.do("POST", "/account/authenticators/totp", map[string]any{"code": totpCode(t, secret, srv.clock())}), 200)

	c := newTutorialClient(t, srv)
	for _, path := range []string{"/api/token/", "/api/auth/login/", "/token-auth/"} {
		creds := map[string]any{"username": "compatmfa", "password": goodPassword}
		if path == "/api/auth/login/" {
			creds = map[string]any{"email": "compat-mfa@example.com", "password": goodPassword}
		}
		r := c.do("POST", path, creds)
		if r.Status < 400 || !strings.Contains(r.Raw, "two-factor authentication") {
			t.Errorf("%s: %d %s", path, r.Status, r.Raw)
		}
	}
	sessions := app.do("GET", "/auth/sessions", nil)
	expect(t, sessions, 200)
	if n := len(sessions.Body["data"].([]any)); n != 1 {
		t.Fatalf("%d sessions after the refused logins, want the app's one", n)
	}
}

// TestMFASocialLogin: a provider login of an account with a second factor
// waits at mfa_authenticate too (it goes through the same login stages).
func TestMFASocialLogin(t *testing.T) {
	s := startSocial(t, openSQLite(t))
	user := providertest.User{Sub: "mfa-1", Email: "social-mfa@example.com", EmailVerified: true}
	login := func(c *client) *response {
		return c.do("POST", "/auth/provider/token", map[string]any{"provider": "corp", "process": "login",
			"token": map[string]any{"client_id": s.op.ClientID, "id_token": s.op.IDToken(user, "")}})
	}
	c := newClient(t, s.latchServer, "app")
	expect(t, login(c), 200)
	secret := enrolTOTP(t, s.latchServer, c)
	c.logout()
	r := login(c)
	expect(t, r, 401)
	if !slices.Contains(r.flowIDs(), "mfa_authenticate*") {
		t.Fatalf("flows %v", r.flowIDs())
	}
	r = c.do("POST", "/auth/2fa/authenticate", map[string]any{"code": totpCode(t, secret, s.clock())})
	expect(t, r, 200)
	if got := methods(r); !slices.Equal(got, []string{"socialaccount", "mfa/totp"}) {
		t.Fatalf("methods %v", got)
	}
}

// TestWebAuthnEndpoints: a security key (the test's software authenticator:
// real ES256 signatures and CBOR attestation) is added, listed, renamed,
// passes mfa_authenticate, and is removed, through both clients; a
// replayed assertion, a wrong origin and malformed credentials are 400s.
func TestWebAuthnEndpoints(t *testing.T) {
	srv := startLatch(t, openSQLite(t))
	for _, kind := range []string{"browser", "app"} {
		t.Run(kind, func(t *testing.T) {
			email := kind + "-key@example.com"
			c := newClient(t, srv, kind)
			verifiedSignup(t, srv, c, email)
			key := webauthntest.New(srv.URL)
			r := c.do("GET", "/account/authenticators/webauthn", nil)
			expect(t, r, 200)
			options, _ := json.Marshal(r.data()["creation_options"])
			cred, err := key.Create(options)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, c.do("POST", "/account/authenticators/webauthn", map[string]any{"name": "Key", "credential": "x"}), 400, "credential:invalid")
			r = c.do("POST", "/account/authenticators/webauthn", map[string]any{"name": "Blue key", "credential": json.RawMessage(cred)})
			expect(t, r, 200)
			if r.data()["name"] != "Blue key" || r.data()["is_passwordless"] != false || r.meta()["recovery_codes_generated"] != true {
				t.Fatalf("added: %s", r.Raw)
			}
			id := r.data()["id"]
			// The creation challenge was used up.
			expect(t, c.do("POST", "/account/authenticators/webauthn", map[string]any{"credential": json.RawMessage(cred)}), 400, "credential:incorrect_code")
			expect(t, c.do("PUT", "/account/authenticators/webauthn", map[string]any{"id": id, "name": "Red key"}), 200)
			r = c.do("GET", "/account/authenticators", nil)
			if expect(t, r, 200); !strings.Contains(r.Raw, `"name":"Red key"`) {
				t.Fatalf("list: %s", r.Raw)
			}

			c.logout()
			r = c.do("POST", "/auth/login", map[string]any{"email": email, "password": goodPassword})
			expect(t, r, 401)
			if !strings.Contains(r.Raw, `"types":["recovery_codes","webauthn"]`) {
				t.Fatalf("mfa flow: %s", r.Raw)
			}
			r = c.do("GET", "/auth/webauthn/authenticate", nil)
			expect(t, r, 200)
			options, _ = json.Marshal(r.data()["request_options"])
			assertion, _ := key.Get(options)
			expect(t, c.do("POST", "/auth/webauthn/authenticate", map[string]any{"credential": strings.Repeat("[", 5000)}), 400)
			r = c.do("POST", "/auth/webauthn/authenticate", map[string]any{"credential": json.RawMessage(assertion)})
			expect(t, r, 200)
			if got := methods(r); !slices.Equal(got, []string{"password", "mfa/webauthn"}) {
				t.Fatalf("methods %v", got)
			}

			// A replayed assertion answers no new challenge.
			c.logout()
			expect(t, c.do("POST", "/auth/login", map[string]any{"email": email, "password": goodPassword}), 401)
			expect(t, c.do("GET", "/auth/webauthn/authenticate", nil), 200)
			expect(t, c.do("POST", "/auth/webauthn/authenticate", map[string]any{"credential": json.RawMessage(assertion)}), 400, "credential:incorrect_code")
			// Another origin is refused.
			r = c.do("GET", "/auth/webauthn/authenticate", nil)
			options, _ = json.Marshal(r.data()["request_options"])
			key.Origin = "http://evil.example.com"
			bad, _ := key.Get(options)
			key.Origin = srv.URL
			expect(t, c.do("POST", "/auth/webauthn/authenticate", map[string]any{"credential": json.RawMessage(bad)}), 400, "credential:incorrect_code")
			r = c.do("GET", "/auth/webauthn/authenticate", nil)
			options, _ = json.Marshal(r.data()["request_options"])
			good, _ := key.Get(options)
			expect(t, c.do("POST", "/auth/webauthn/authenticate", map[string]any{"credential": json.RawMessage(good)}), 200)

			expect(t, c.do("DELETE", "/account/authenticators/webauthn", map[string]any{"authenticators": []any{id}}), 200)
			r = c.do("GET", "/account/authenticators", nil)
			if expect(t, r, 200); len(r.Body["data"].([]any)) != 0 {
				t.Fatalf("left: %s", r.Raw)
			}
		})
	}
}

// TestPasskeyLogin: with LATCH_MFA_PASSKEY_LOGIN a passkey (a credential
// added with ?passwordless) logs in without a password and without the
// second-factor stage, through both clients; a plain security key, an
// unknown user handle and a replay cannot; WebAuthn also reauthenticates.
// Without the setting the endpoints do not exist.
func TestPasskeyLogin(t *testing.T) {
	off := startLatch(t, openSQLite(t))
	if status, _ := plainRequest(t, "GET", off.URL+"/_allauth/app/v1/auth/webauthn/login"); status != 404 {
		t.Fatalf("passkey login off: %d", status)
	}

	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) { c.MFA.PasskeyLogin = true })
	for _, kind := range []string{"browser", "app"} {
		t.Run(kind, func(t *testing.T) {
			email := kind + "-passkey@example.com"
			c := newClient(t, srv, kind)
			verifiedSignup(t, srv, c, email)
			add := func(key *webauthntest.Authenticator, query string) {
				t.Helper()
				r := c.do("GET", "/account/authenticators/webauthn"+query, nil)
				expect(t, r, 200)
				options, _ := json.Marshal(r.data()["creation_options"])
				cred, _ := key.Create(options)
				expect(t, c.do("POST", "/account/authenticators/webauthn", map[string]any{"credential": json.RawMessage(cred)}), 200)
			}
			passkey, securityKey := webauthntest.New(srv.URL), webauthntest.New(srv.URL)
			add(passkey, "?passwordless")
			add(securityKey, "")
			r := c.do("GET", "/account/authenticators", nil)
			if !strings.Contains(r.Raw, `"is_passwordless":true`) || !strings.Contains(r.Raw, `"is_passwordless":false`) {
				t.Fatalf("list: %s", r.Raw)
			}

			// WebAuthn reauthentication.
			srv.advance(6 * time.Minute)
			expect(t, c.do("GET", "/account/authenticators/recovery-codes", nil), 401)
			r = c.do("GET", "/auth/webauthn/reauthenticate", nil)
			expect(t, r, 200)
			options, _ := json.Marshal(r.data()["request_options"])
			assertion, _ := securityKey.Get(options)
			expect(t, c.do("POST", "/auth/webauthn/reauthenticate", map[string]any{"credential": json.RawMessage(assertion)}), 200)
			expect(t, c.do("GET", "/account/authenticators/recovery-codes", nil), 200)
			c.logout()

			login := func(key *webauthntest.Authenticator) *response {
				t.Helper()
				r := c.do("GET", "/auth/webauthn/login", nil)
				expect(t, r, 200)
				options, _ := json.Marshal(r.data()["request_options"])
				assertion, _ := key.Get(options)
				return c.do("POST", "/auth/webauthn/login", map[string]any{"credential": json.RawMessage(assertion)})
			}
			r = c.do("GET", "/auth/session", nil)
			if !slices.Contains(r.flowIDs(), "mfa_login_webauthn") {
				t.Fatalf("flows %v", r.flowIDs())
			}
			expect(t, login(securityKey), 400, "credential:incorrect_code")
			handle := passkey.UserHandle
			passkey.UserHandle = []byte("00000000-0000-4000-8000-000000000000")
			expect(t, login(passkey), 400, "credential:incorrect_code")
			passkey.UserHandle = handle
			r = login(passkey)
			expect(t, r, 200)
			if got := methods(r); !slices.Equal(got, []string{"mfa/webauthn"}) {
				t.Fatalf("methods %v", got)
			}
			expect(t, c.do("POST", "/auth/webauthn/login", map[string]any{"credential": json.RawMessage("{}")}), 409)
		})
	}
}

// TestPasskeySignup: with LATCH_MFA_PASSKEY_SIGNUP (mandatory verification
// by code) a signup without a password verifies its address, then adds its
// passkey and is logged in with no usable password; the passkey then logs
// in. The passkey cannot come before the address is verified.
func TestPasskeySignup(t *testing.T) {
	srv := startLatch(t, openSQLite(t), func(c *account.Config, _ *httpapi.Config) {
		c.EmailVerification, c.VerificationByCode = account.VerificationMandatory, true
		c.MFA.PasskeySignup, c.MFA.PasskeyLogin = true, true
	})
	for _, kind := range []string{"browser", "app"} {
		t.Run(kind, func(t *testing.T) {
			email := kind + "-signup@example.com"
			c := newClient(t, srv, kind)
			r := c.do("POST", "/auth/webauthn/signup", map[string]any{"email": email})
			expect(t, r, 401)
			if got := r.flowIDs(); !slices.Contains(got, "verify_email*") || !slices.Contains(got, "mfa_signup_webauthn") {
				t.Fatalf("flows %v", got)
			}
			expect(t, c.do("GET", "/auth/webauthn/signup", nil), 409)
			r = c.do("POST", "/auth/email/verify", map[string]any{"key": codeIn(t, srv.mailTo(t, email))})
			expect(t, r, 401)
			if got := r.flowIDs(); !slices.Contains(got, "mfa_signup_webauthn*") {
				t.Fatalf("flows after verification %v", got)
			}
			r = c.do("GET", "/auth/webauthn/signup", nil)
			expect(t, r, 200)
			options, _ := json.Marshal(r.data()["creation_options"])
			key := webauthntest.New(srv.URL)
			cred, _ := key.Create(options)
			r = c.do("PUT", "/auth/webauthn/signup", map[string]any{"credential": json.RawMessage(cred)})
			expect(t, r, 200)
			user := r.data()["user"].(map[string]any)
			if user["has_usable_password"] != false || user["email"] != email {
				t.Fatalf("signed up: %s", r.Raw)
			}
			if got := methods(r); !slices.Equal(got, []string{"mfa/webauthn"}) {
				t.Fatalf("methods %v", got)
			}
			c.logout()
			r = c.do("GET", "/auth/webauthn/login", nil)
			options, _ = json.Marshal(r.data()["request_options"])
			assertion, _ := key.Get(options)
			expect(t, c.do("POST", "/auth/webauthn/login", map[string]any{"credential": json.RawMessage(assertion)}), 200)

			// A taken address answers the same and creates nothing.
			other := newClient(t, srv, kind)
			r = other.do("POST", "/auth/webauthn/signup", map[string]any{"email": email})
			expect(t, r, 401)
			if !slices.Contains(r.flowIDs(), "verify_email*") {
				t.Fatalf("taken address: %v", r.flowIDs())
			}
			srv.mailTo(t, email) // "an account already exists"
		})
	}
}
