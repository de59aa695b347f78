package httpapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sqlstore"
)

const tokenNotValid = `{"detail":"Token is invalid or expired","code":"token_not_valid"}`

// TestCompatSimpleJWTTutorial replays the frontend of the "DRF + simplejwt +
// React" tutorial: register, the user endpoints with "Authorization: Bearer",
// the axios refresh interceptor, login by email.
func TestCompatSimpleJWTTutorial(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), compat("simplejwt"))
		c := newTutorialClient(t, srv)

		// Registration.
		r := c.do("POST", "/api/auth/register/", map[string]any{"username": "kola", "email": "Kola@Example.com", "password": goodPassword})
		want(t, r, 201)
		user, _ := r.obj()["user"].(map[string]any)
		id, _ := user["id"].(string)
		if len(id) != 36 || user["public_id"] != id || user["username"] != "kola" || user["email"] != "kola@example.com" || user["is_active"] != true {
			t.Fatalf("register: %s", r.Raw)
		}
		access, refresh := r.str("token"), r.str("refresh")
		if claims, err := fetchJWKS(t, srv).Verify(access, srv.clock(), 0, srv.URL, srv.URL); err != nil || claims.Subject != id {
			t.Fatalf("token: %+v, %v", claims, err)
		}
		want(t, c.do("POST", "/api/auth/register/", map[string]any{"username": "kola", "email": "kola@example.com", "password": goodPassword}), 400,
			`{"email":["A user is already registered with this email address."],"username":["A user with that username already exists."]}`)
		want(t, c.do("POST", "/api/auth/register/", map[string]any{"username": "kolb", "email": "kolb@example.com", "password": "12345678"}), 400)
		want(t, c.off("POST", "/api/auth/register/", map[string]any{"username": "kolb"}), 400,
			`{"email":["This field is required."],"password":["This field is required."]}`)

		// The user endpoints: a non-superuser sees only themselves.
		bearer := func(token string) []string { return []string{"Authorization", "Bearer " + token} }
		r = c.do("GET", "/api/user/", nil, bearer(access)...)
		want(t, r, 200)
		if list, _ := r.Body.([]any); len(list) != 1 || list[0].(map[string]any)["id"] != id {
			t.Fatalf("users: %s", r.Raw)
		}
		want(t, c.do("GET", "/api/user/"+id+"/", nil, bearer(access)...), 200)
		other := createUser(t, srv, "lee@example.com", "lee", false)
		want(t, c.do("GET", "/api/user/"+other.PublicID+"/", nil, bearer(access)...), 404, `{"detail":"Not found."}`)
		r = c.off("GET", "/api/user/", nil)
		want(t, r, 401, `{"detail":"Authentication credentials were not provided."}`)
		if h := r.Header.Get("WWW-Authenticate"); h != `Bearer realm="api"` {
			t.Errorf("WWW-Authenticate %q", h)
		}
		want(t, c.do("GET", "/api/user/", nil, bearer("not.a.token")...), 401,
			`{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}`)

		// The refresh interceptor: after a 401, POST /auth/refresh/ {refresh}
		// gives a new access token; the frontend keeps its refresh token,
		// which stays valid (simplejwt's default: no rotation).
		srv.advance(6 * time.Minute)
		want(t, c.do("GET", "/api/user/", nil, bearer(access)...), 401)
		r = c.do("POST", "/api/auth/refresh/", map[string]any{"refresh": refresh})
		want(t, r, 200)
		access2 := r.str("access")
		if len(r.obj()) != 1 { // docs/compat.md: {"access"} only
			t.Errorf("refresh answered %s, want {\"access\"} only", r.Raw)
		}
		want(t, c.do("GET", "/api/user/", nil, bearer(access2)...), 200)
		srv.advance(6 * time.Minute)
		r = c.do("POST", "/api/auth/refresh/", map[string]any{"refresh": refresh})
		want(t, r, 200)
		want(t, c.do("GET", "/api/user/", nil, bearer(r.str("access"))...), 200)
		want(t, c.off("POST", "/api/auth/refresh/", map[string]any{}), 400, `{"refresh":["This field is required."]}`)

		// Login by email.
		want(t, c.do("POST", "/api/auth/login/", map[string]any{"email": "kola@example.com", "password": "wrong"}), 401,
			`{"detail":"No active account found with the given credentials"}`)
		want(t, c.off("POST", "/api/auth/login/", map[string]any{"password": goodPassword}), 400, `{"email":["This field is required."]}`)
		r = c.do("POST", "/api/auth/login/", map[string]any{"email": "kola@example.com", "password": goodPassword})
		want(t, r, 200)
		if u, _ := r.obj()["user"].(map[string]any); u["id"] != id || r.str("access") == "" || r.str("refresh") == "" {
			t.Fatalf("login: %s", r.Raw)
		}
		want(t, c.do("GET", "/api/user/"+id+"/", nil, bearer(r.str("access"))...), 200)
	})
}

// TestCompatSimpleJWTViews exercises simplejwt's own views: obtain by
// username or email, verify, blacklist; superusers' user list; and that
// revocation is Latch's (password change, mandatory verification, lockout).
func TestCompatSimpleJWTViews(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), compat("simplejwt"), func(c *account.Config, _ *httpapi.Config) {
			c.RateLimits = map[string][]ratelimit.Rate{}
			c.RateLimits["login_failed"], _ = ratelimit.ParseRates("3/5m/key")
		})
		c := newTutorialClient(t, srv)
		root := createUser(t, srv, "root@example.com", "root", true)
		srv.advance(time.Second)
		ada := createUser(t, srv, "ada@example.com", "ada", false)

		r := c.do("POST", "/api/token/", map[string]any{"username": "ada", "password": goodPassword})
		want(t, r, 200)
		access, refresh := r.str("access"), r.str("refresh")
		want(t, c.do("POST", "/api/token/", map[string]any{"email": "ada@example.com", "password": goodPassword}), 200)
		want(t, c.off("POST", "/api/token/", map[string]any{}), 400, `{"password":["This field is required."],"username":["This field is required."]}`)
		want(t, c.off("POST", "/api/token/", map[string]any{"username": "", "password": "x"}), 400, `{"username":["This field may not be blank."]}`)

		// verify: access tokens only, while their session lasts.
		want(t, c.do("POST", "/api/token/verify/", map[string]any{"token": access}), 200, `{}`)
		want(t, c.do("POST", "/api/token/verify/", map[string]any{"token": "garbage"}), 401, tokenNotValid)
		want(t, c.do("POST", "/api/token/verify/", map[string]any{"token": refresh}), 401, tokenNotValid)

		// blacklist: the session ends, and every token of it.
		want(t, c.do("POST", "/api/token/blacklist/", map[string]any{"refresh": refresh}), 200, `{}`)
		want(t, c.do("POST", "/api/token/verify/", map[string]any{"token": access}), 401, tokenNotValid)
		want(t, c.do("POST", "/api/token/refresh/", map[string]any{"refresh": refresh}), 401, tokenNotValid)
		want(t, c.do("POST", "/api/token/blacklist/", map[string]any{"refresh": refresh}), 401, tokenNotValid)

		// A superuser lists everyone, most recently updated first.
		r = c.do("POST", "/api/auth/login/", map[string]any{"username": "root", "password": goodPassword})
		want(t, r, 200)
		rootAccess := r.str("access")
		r = c.do("GET", "/api/user/", nil, "Authorization", "Bearer "+rootAccess)
		want(t, r, 200)
		var ids []string
		for _, u := range r.Body.([]any) {
			ids = append(ids, u.(map[string]any)["id"].(string))
		}
		if !slices.Equal(ids, []string{ada.PublicID, root.PublicID}) {
			t.Errorf("superuser's list %v, want ada then root", ids)
		}
		want(t, c.do("GET", "/api/user/"+ada.PublicID+"/", nil, "Authorization", "Bearer "+rootAccess), 200)
		want(t, c.do("GET", "/api/user/nobody/", nil, "Authorization", "Bearer "+rootAccess), 404)

		// A password change through the headless API ends the other sessions,
		// and with them these tokens.
		app := newClient(t, srv, "app")
		expect(t, app.do("POST", "/auth/login", map[string]any{"username": "root", "password": goodPassword}), 200)
		expect(t, app.do("POST", "/account/password/change", map[string]any{"current_password": goodPassword, "new_password": "copper-Meadow-31"}), 200)
		want(t, c.do("GET", "/api/user/", nil, "Authorization", "Bearer "+rootAccess), 401)

		// Too many failures for an account: 429, even with the right password.
		for range 3 {
			want(t, c.do("POST", "/api/token/", map[string]any{"username": "ada", "password": "wrong"}), 401)
		}
		want(t, c.do("POST", "/api/token/", map[string]any{"username": "ada", "password": goodPassword}), 429,
			`{"detail":"Too many failed login attempts. Try again later."}`)
	})
}

// TestCompatSimpleJWTMandatoryVerification: with mandatory verification a
// registration gets no tokens and a login waits for the address.
func TestCompatSimpleJWTMandatoryVerification(t *testing.T) {
	srv := startLatch(t, openSQLite(t), compat("all"), func(c *account.Config, _ *httpapi.Config) {
		c.EmailVerification = account.VerificationMandatory
	})
	c := newTutorialClient(t, srv)
	want(t, c.do("POST", "/api/auth/register/", map[string]any{"username": "vi", "email": "vi@example.com", "password": goodPassword}), 201,
		`{"detail":"Verification e-mail sent."}`)
	srv.mailTo(t, "vi@example.com")
	want(t, c.do("POST", "/api/auth/login/", map[string]any{"email": "vi@example.com", "password": goodPassword}), 401,
		`{"detail":"E-mail is not verified."}`)
	// A taken address looks the same.
	want(t, c.do("POST", "/api/auth/register/", map[string]any{"username": "vj", "email": "vi@example.com", "password": goodPassword}), 201,
		`{"detail":"Verification e-mail sent."}`)
}
