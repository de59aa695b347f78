package httpapi_test

import (
	"testing"
	"time"

	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/sqlstore"
)

// TestCompatDRFJWT replays the frontend of the "Django + React JWT
// authentication" tutorial (djangorestframework-jwt): signup at
// /core/users/, login at /token-auth/, the token kept in localStorage and
// sent as "Authorization: JWT <token>" to /core/current_user/.
func TestCompatDRFJWT(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(*testing.T) *sqlstore.DB) {
		srv := startLatch(t, open(t), compat("drf-jwt"))
		c := newTutorialClient(t, srv)

		// handle_signup. Latch needs an email address, which the tutorial's
		// form does not ask for.
		signup := map[string]any{"username": "dakota", "password": goodPassword}
		want(t, c.do("POST", "/core/users/", signup), 400, `{"email":["This field is required."]}`)
		signup["email"] = "dakota@example.com"
		r := c.do("POST", "/core/users/", signup)
		want(t, r, 201)
		token := r.str("token")
		if r.str("username") != "dakota" || token == "" {
			t.Fatalf("signup: %s", r.Raw)
		}
		claims, err := fetchJWKS(t, srv).Verify(token, srv.clock(), 0, srv.URL, srv.URL)
		if err != nil || claims.Username != "dakota" || claims.SessionID == "" {
			t.Fatalf("the token is not a Latch access token: %+v, %v", claims, err)
		}
		want(t, c.do("POST", "/core/users/", signup), 400, `{"email":["A user is already registered with this email address."],"username":["A user with that username already exists."]}`)
		want(t, c.do("POST", "/core/users/", map[string]any{"username": "x", "password": "123", "email": "x@example.com"}), 400)
		want(t, c.off("POST", "/core/users/", map[string]any{"username": "", "email": "y@example.com"}), 400,
			`{"password":["This field is required."],"username":["This field may not be blank."]}`)

		// componentDidMount with a stored token.
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+token), 200, `{"username":"dakota"}`)

		// handle_login.
		want(t, c.do("POST", "/token-auth/", map[string]any{"username": "dakota", "password": "nope"}), 400,
			`{"non_field_errors":["Unable to log in with provided credentials."]}`)
		want(t, c.off("POST", "/token-auth/", map[string]any{"username": "dakota"}), 400, `{"password":["This field is required."]}`)
		r = c.do("POST", "/token-auth/", map[string]any{"username": "dakota", "password": goodPassword})
		want(t, r, 200)
		login := r.obj()
		if user, _ := login["user"].(map[string]any); user["username"] != "dakota" || r.str("token") == "" || r.str("token") == token {
			t.Fatalf("login: %s", r.Raw)
		}
		token = r.str("token")
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+token), 200, `{"username":"dakota"}`)
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "Bearer "+token), 200)

		// Without a valid token: 401 with drf-jwt's challenge.
		r = c.off("GET", "/core/current_user/", nil)
		want(t, r, 401, `{"detail":"Authentication credentials were not provided."}`)
		if h := r.Header.Get("WWW-Authenticate"); h != `JWT realm="api"` {
			t.Errorf("WWW-Authenticate %q", h)
		}
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT not.a.token"), 401)
		// The token expires with the access-token lifetime, five minutes.
		srv.advance(6 * time.Minute)
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+token), 401)

		// Revocation is Latch's: deactivating the account ends its tokens.
		token = c.do("POST", "/token-auth/", map[string]any{"username": "dakota", "password": goodPassword}).str("token")
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+token), 200)
		u, _ := srv.db.Users.UserByUsername(t.Context(), "dakota")
		if err := srv.db.Users.SetActive(t.Context(), u.ID, false, srv.clock()); err != nil {
			t.Fatal(err)
		}
		// That was a write behind Latch's back (straight to the database), so
		// the session cache serves the old answer until its TTL.
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+token), 200)
		srv.advance(31 * time.Second)
		want(t, c.do("GET", "/core/current_user/", nil, "Authorization", "JWT "+token), 401)
		want(t, c.do("POST", "/token-auth/", map[string]any{"username": "dakota", "password": goodPassword}), 400,
			`{"non_field_errors":["Unable to log in with provided credentials."]}`)
	})
}

// TestCompatDRFJWTSignupRules: closed signup, and the login by email when
// username is not a login method.
func TestCompatDRFJWTSignupRules(t *testing.T) {
	srv := startLatch(t, openSQLite(t), compat("drf-jwt"), func(c *account.Config, _ *httpapi.Config) {
		c.SignupClosed = true
		c.LoginMethods = []string{"email"}
	})
	c := newTutorialClient(t, srv)
	want(t, c.do("POST", "/core/users/", map[string]any{"username": "fay", "password": goodPassword, "email": "fay@example.com"}), 403,
		`{"detail":"Sign up is closed."}`)
	createUser(t, srv, "fay@example.com", "", false)
	r := c.do("POST", "/token-auth/", map[string]any{"username": "fay@example.com", "password": goodPassword})
	want(t, r, 200)
	if r.obj()["user"].(map[string]any)["username"] != "fay@example.com" {
		t.Errorf("login: %s", r.Raw)
	}
}
