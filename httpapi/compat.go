package httpapi

// The tutorial-compatible surfaces speak the wire formats of the common
// Django + React tutorials — plain Django JsonResponse views, Django REST
// framework, djangorestframework-jwt and djangorestframework-simplejwt — so
// that their frontends work against Latch unchanged. Each is a thin adapter
// over the account core, opt-in through Config.Compat, with its routes in
// the route table (routes.go), its handlers in its own compat_<name>.go and
// its operations in openapi-compat.yaml. This file holds what they share:
// how each carries a login and refuses a caller, the request wrapper,
// DRF-shaped errors, and the password login and signup they all make.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// compatNames are the surfaces Config.Compat can name; "all" names them all.
var compatNames = []string{"django-session", "drf-session", "drf-jwt", "simplejwt"}

// compatSurface is how a tutorial surface carries a login and how it turns
// away a caller that a route's access level refuses.
type compatSurface struct {
	// kind: a browser surface carries the core's browser session in the
	// sessionid cookie; an app surface carries access tokens (and needs
	// them on), in the Authorization header.
	kind latch.ClientKind
	csrf compatCSRF
	// denied is the refusal of a caller not logged in; tokenSent reports
	// whether the request carried an access token (refused as invalid,
	// expired, or for an ended session).
	denied func(tokenSent bool) error
}

// compatSurfaces are the tutorial surfaces by name.
var compatSurfaces = map[surface]compatSurface{
	// No django-session route takes only logged-in callers; a refusal
	// would be DRF's, as drf-session's.
	surfaceDjangoSession: {kind: latch.Browser, csrf: csrfFull, denied: drfSessionDenied},
	surfaceDRFSession:    {kind: latch.Browser, csrf: csrfOrigin, denied: drfSessionDenied},
	surfaceDRFJWT:        {kind: latch.App, csrf: csrfNone, denied: drfJWTDenied},
	surfaceSimpleJWT:     {kind: latch.App, csrf: csrfNone, denied: simpleJWTDenied},
}

// appendSlash redirects a request to its path with a trailing slash: a GET
// permanently, as Django's CommonMiddleware does under APPEND_SLASH, other
// methods with 307, which keeps the method and body (Django cannot).
func appendSlash(w http.ResponseWriter, r *http.Request) {
	to := r.URL.EscapedPath() + "/"
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	status := http.StatusTemporaryRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		status = http.StatusMovedPermanently
	}
	w.Header().Set("Location", to)
	writeJSON(w, status, detailBody{Detail: "This endpoint is at " + to})
}

// compatCSRF is how much of Django's CSRF protection a surface applies to
// unsafe methods.
type compatCSRF int

const (
	// csrfNone: token surfaces carry no cookie, so there is nothing to forge.
	csrfNone compatCSRF = iota
	// csrfOrigin: the Origin / Sec-Fetch-Site check only, for a cookie
	// surface whose tutorial frontend never sends the X-CSRFToken header.
	csrfOrigin
	// csrfFull: Django's rules, the Origin check and the X-CSRFToken header
	// echoing the csrftoken cookie (Server.checkCSRF).
	csrfFull
)

// compat wraps a tutorial route for its surface. A browser surface's route
// checks CSRF on unsafe methods as the surface says, resolves the sessionid
// cookie, and hands out the csrftoken cookie when the client has none, as
// the headless browser tree does. An app surface's route starts anonymous
// and without a session: a route open to anyone reads the tokens it takes
// itself (a login there makes a new token-addressed session); a route for
// logged-in callers only resolves the request's access token first. A
// caller the route's access level refuses gets the surface's refusal.
func (s *Server) compat(rt route) http.Handler {
	sf := compatSurfaces[rt.surface]
	kind, csrf, h := sf.kind, sf.csrf, rt.h
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client := latch.Client{Kind: kind, IP: s.clientIP(r), UserAgent: userAgent(r)}
		c := &call{kind: kind, anon: account.State{Client: client}}
		c.st = &c.anon
		if kind == latch.Browser {
			c.cw = cookieWriter{ResponseWriter: w, s: s, c: c}
			w = &c.cw
			key := cookieValue(r, sessionCookie)
			if !s.csrfKey.bound(cookieValue(r, csrfCookie), key) {
				c.csrf = s.csrfKey.newToken(key)
			}
			var anonOnly *csrfError // an anonymous token with a session cookie: good only if it names no session
			if !safeMethod(r.Method) {
				var refused *csrfError
				switch csrf {
				case csrfFull:
					refused = s.checkCSRF(r, key)
					if refused != nil && s.csrfKey.anonymousOnly(r, refused, key) {
						refused, anonOnly = nil, refused
					}
				case csrfOrigin:
					if s.cop.Check(r) != nil {
						refused = &csrfError{code: "csrf_origin"}
					}
				}
				if refused != nil {
					writeJSON(w, http.StatusForbidden, detailBody{Detail: "CSRF Failed: " + djangoCSRFReason(r, refused)})
					return
				}
			}
			st, err := s.svc.Sessions.Resolve(r.Context(), client, key)
			if err != nil {
				s.writeCompatError(w, r, err)
				return
			}
			c.st = st
			if st.Ended {
				s.clearSessionCookie(w, c)
			}
			if anonOnly != nil && st.Session != nil {
				writeJSON(w, http.StatusForbidden, detailBody{Detail: "CSRF Failed: " + djangoCSRFReason(r, anonOnly)})
				return
			}
		}
		sent := false
		if kind == latch.App && rt.access != anyone {
			st, tokenSent, err := s.resolveAccess(r, c)
			if err != nil {
				s.writeCompatError(w, r, err)
				return
			}
			c.st, sent = st, tokenSent
		}
		if err := refuse(rt.access, c.st); errors.Is(err, latch.ErrUnauthenticated) {
			s.writeCompatError(w, r, sf.denied(sent))
			return
		} else if err != nil {
			s.writeCompatError(w, r, err)
			return
		}
		if err := h(w, r, c); err != nil {
			s.writeCompatError(w, r, err)
		}
	})
}

// djangoCSRFReason words a CSRF refusal as Django's CsrfViewMiddleware does
// (Django 4.1 and later).
func djangoCSRFReason(r *http.Request, e *csrfError) string {
	switch e.code {
	case "csrf_cookie_missing":
		return "CSRF cookie not set."
	case "csrf_header_missing":
		return "CSRF token missing."
	case "csrf_token_mismatch", "csrf_token_invalid":
		return "CSRF token incorrect."
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return "Origin checking failed - " + truncate(r.Header.Get("Sec-Fetch-Site"), 20) + " request without an Origin header."
	}
	return "Origin checking failed - " + truncate(origin, 200) + " does not match any trusted origins."
}

// detailBody is Django REST framework's error body (and the body of the
// plain Django views' answers): {"detail": "…"}; simplejwt adds a code.
type detailBody struct {
	Detail string `json:"detail"`
	Code   string `json:"code,omitempty"`
}

// compatError is a refusal in Django REST framework's shape, with its status
// and, for a 401, the WWW-Authenticate challenge DRF sends with it.
type compatError struct {
	status    int
	body      any
	challenge string
}

func (e *compatError) Error() string { return fmt.Sprintf("%d %v", e.status, e.body) }

// detailError returns a {"detail": msg} refusal.
func detailError(status int, msg string) *compatError {
	return &compatError{status: status, body: detailBody{Detail: msg}}
}

// fieldErrors returns a DRF validation error: {"field": ["message"]},
// with form-level problems under "non_field_errors".
func fieldErrors(in *latch.InputError) *compatError {
	out := map[string][]string{}
	for _, e := range in.Errors {
		p := e.Param
		if p == "" {
			p = "non_field_errors"
		}
		out[p] = append(out[p], e.Message)
	}
	return &compatError{status: http.StatusBadRequest, body: out}
}

// DRF's texts for the refusals every surface shares.
const (
	msgNotAuthenticated = "Authentication credentials were not provided."
	msgUnverified       = "E-mail is not verified."
	// msgSecondFactor refuses an account with a second factor, which
	// these surfaces have no step for.
	msgSecondFactor     = "This account uses two-factor authentication; sign in through the headless API."
	msgVerificationSent = "Verification e-mail sent."
)

// writeCompatError answers an error from a tutorial endpoint or the core in
// Django REST framework's shape. Unknown errors become a generic 500; their
// cause is logged, never sent.
func (s *Server) writeCompatError(w http.ResponseWriter, r *http.Request, err error) {
	var ce *compatError
	var input *latch.InputError
	var limited *latch.RateLimitError
	var tooLarge *http.MaxBytesError
	var status *statusError
	switch {
	case errors.As(err, &ce):
		if ce.challenge != "" {
			w.Header().Set("WWW-Authenticate", ce.challenge)
		}
		writeJSON(w, ce.status, ce.body)
	case errors.As(err, &input):
		if len(input.Errors) == 1 && input.Errors[0].Param == "" && input.Errors[0].Code == "invalid" {
			// The body could not be parsed, as DRF's ParseError says it.
			writeJSON(w, http.StatusBadRequest, detailBody{Detail: "JSON parse error - " + input.Errors[0].Message})
			return
		}
		writeJSON(w, http.StatusBadRequest, fieldErrors(input).body)
	case errors.As(err, &limited):
		secs := max(int(limited.RetryAfter.Round(time.Second)/time.Second), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, http.StatusTooManyRequests, detailBody{Detail: "Request was throttled. Expected available in " + strconv.Itoa(secs) + " seconds."})
	case errors.As(err, &tooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, detailBody{Detail: "The request body is larger than " + strconv.FormatInt(tooLarge.Limit, 10) + " bytes."})
	case errors.As(err, &status):
		writeJSON(w, status.status, detailBody{Detail: status.message})
	case errors.Is(err, latch.ErrUnauthenticated), errors.Is(err, latch.ErrSessionGone):
		writeJSON(w, http.StatusUnauthorized, detailBody{Detail: msgNotAuthenticated})
	case errors.Is(err, latch.ErrForbidden):
		writeJSON(w, http.StatusForbidden, detailBody{Detail: "You do not have permission to perform this action."})
	case errors.Is(err, latch.ErrNotFound):
		writeJSON(w, http.StatusNotFound, detailBody{Detail: "Not found."})
	default:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, detailBody{Detail: "A server error occurred."})
	}
}

// requireStrings reads string fields a DRF serializer requires, with its
// messages: absent or null is "This field is required.", empty is "This
// field may not be blank.", another type is "Not a valid string.". It
// returns the values in order, or the errors of every field at once.
func requireStrings(f *form, names ...string) ([]string, error) {
	var errs latch.InputError
	out := make([]string, len(names))
	for i, name := range names {
		if !f.has(name) {
			errs.Add(name, "required", "This field is required.")
			continue
		}
		if err := json.Unmarshal(f.fields[name], &out[i]); err != nil {
			errs.Add(name, "invalid", "Not a valid string.")
			continue
		}
		if strings.TrimSpace(out[i]) == "" {
			errs.Add(name, "blank", "This field may not be blank.")
		}
	}
	if err := errs.Err(); err != nil {
		return nil, fieldErrors(&errs)
	}
	return out, nil
}

// Outcomes of passwordLogin that each surface words its own way.
var (
	// errBadCredentials: wrong or incomplete credentials, or an inactive
	// account — told apart by nobody, so that nothing is learnt about
	// which accounts exist.
	errBadCredentials = errors.New("credentials refused")
	// errUnverified: the password is right but the login waits for the
	// account's address to be verified (mandatory verification).
	errUnverified = errors.New("address not verified")
	// errSecondFactor: the password is right but the account has a
	// second factor, which these surfaces cannot ask for: no login.
	errSecondFactor = errors.New("second factor required")
)

// passwordLogin logs in with an identifier and a password through the core
// and returns the new authenticated state. field is the surface's name for
// the identifier ("username" or "email"); it is taken as a username when
// username is a login method and field is "username" or email is not a login
// method, and as an email address otherwise. A logged-in caller is logged in
// afresh, as Django's login() does: the new session replaces the old one only
// once the credentials are accepted. Errors: errBadCredentials,
// errUnverified, errSecondFactor, a 429 compatError after too many failures,
// *latch.RateLimitError.
func (s *Server) passwordLogin(ctx context.Context, c *call, field, ident, password string) (*account.State, error) {
	in := account.LoginInput{Password: password}
	if s.svc.LoginMethod("username") && (field == "username" || !s.svc.LoginMethod("email")) {
		in.Username = &ident
	} else {
		in.Email = &ident
	}
	prev := c.st
	st, err := s.svc.Sessions.Login(ctx, &account.State{Client: prev.Client}, in)
	var input *latch.InputError
	if errors.As(err, &input) {
		for _, e := range input.Errors {
			if e.Code == "too_many_login_attempts" {
				return nil, detailError(http.StatusTooManyRequests, e.Message)
			}
		}
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !st.Authenticated() {
		if st.Session == nil {
			return nil, errBadCredentials // an inactive account
		}
		// The login waits at a stage (verify_email, mfa_authenticate) in
		// a session these surfaces cannot carry: drop it. A verification
		// mail is sent; a second factor is never skipped.
		types, err := s.svc.MFA.PendingTypes(ctx, st)
		if err != nil {
			return nil, err
		}
		if _, err := s.svc.Sessions.Logout(ctx, st); err != nil {
			return nil, err
		}
		if types != nil {
			return nil, errSecondFactor
		}
		return nil, errUnverified
	}
	if prev.Session != nil {
		if _, err := s.svc.Sessions.Logout(ctx, prev); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// compatSignup creates an account through the core and returns the new
// account's token-addressed session with its access and refresh tokens.
// Errors: *latch.InputError (per field), errUnverified when the account must
// verify its address before it can log in (and for a taken address under
// mandatory verification, which must look the same), a 403 compatError when
// signup is closed, *latch.RateLimitError.
func (s *Server) compatSignup(ctx context.Context, c *call, in account.SignupInput) (*account.State, error) {
	st, err := s.svc.Users.Signup(ctx, &account.State{Client: c.st.Client}, in)
	switch {
	case errors.Is(err, latch.ErrForbidden):
		return nil, detailError(http.StatusForbidden, "Sign up is closed.")
	case err != nil:
		return nil, err
	case !st.Authenticated():
		if _, err := s.svc.Sessions.Logout(ctx, st); err != nil {
			return nil, err
		}
		return nil, errUnverified
	}
	if err := s.compatTokens(ctx, st); err != nil {
		return nil, err
	}
	return st, nil
}

// compatTokens gives a new token-addressed session its access token and the
// first refresh token of its family, unless the core already has (app
// logins under the JWT strategy).
func (s *Server) compatTokens(ctx context.Context, st *account.State) error {
	if st.AccessToken != "" {
		return nil
	}
	return s.svc.Tokens.IssueTokens(ctx, st)
}

// accessToken returns the token of an "Authorization: Bearer …" or
// "Authorization: JWT …" header (djangorestframework-jwt's prefix), or "".
func accessToken(r *http.Request) string {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "JWT") {
		return strings.TrimSpace(token)
	}
	return ""
}

// resolveAccess finds who the request's access token belongs to. It reports
// whether a token was sent at all; a token that is invalid, expired, or whose
// session has ended gives an anonymous state.
func (s *Server) resolveAccess(r *http.Request, c *call) (st *account.State, sent bool, err error) {
	token := accessToken(r)
	if token == "" {
		return c.st, false, nil
	}
	st, err = s.svc.Tokens.ResolveBearer(r.Context(), c.st.Client, token)
	if errors.Is(err, latch.ErrSessionGone) {
		return c.st, true, nil
	}
	if err != nil {
		return nil, true, err
	}
	return st, true, nil
}

// djangoTime formats a time as Django REST framework's DateTimeField does
// (ISO 8601, UTC as "Z").
func djangoTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// compatUsername is the name the tutorials show for a user: the username, or
// the email address of an account that has none (Latch accounts may have no
// username; Django's always do).
func compatUsername(u *latch.User) string {
	if u.Username != "" {
		return u.Username
	}
	return u.Email
}
