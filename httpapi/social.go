package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/social"
)

// socialAPI serves social login: the browser's provider redirect, the
// provider's return to Latch (callback), the app's token login, the
// provider_signup stage and the connected accounts.
type socialAPI struct{ s *Server }

// bindingCookie holds the secret that binds a provider redirect to the
// browser that started it: the callback must bring it (login CSRF).
const bindingCookie = "latch_social"

// Messages of the provider endpoints, as allauth words them.
const (
	msgInvalidURL      = "Invalid URL."
	msgInvalidToken    = "Invalid token."
	msgTokenRequired   = "`id_token` and/or `access_token` required."
	msgTokenNotAllowed = "Provider does not support token authentication."
)

// providerJSON is allauth's provider object.
type providerJSON struct {
	ID                     string   `json:"id"`
	Name                   string   `json:"name"`
	Flows                  []string `json:"flows"`
	ClientID               string   `json:"client_id,omitempty"`
	OpenIDConfigurationURL string   `json:"openid_configuration_url,omitempty"`
}

func toProviderJSON(p latch.Provider) providerJSON {
	return providerJSON{ID: p.ID, Name: p.Name, Flows: p.Flows, ClientID: p.ClientID, OpenIDConfigurationURL: p.OpenIDConfigurationURL}
}

// providerAccountJSON is allauth's provider account object.
type providerAccountJSON struct {
	UID      string       `json:"uid"`
	Display  string       `json:"display"`
	Provider providerJSON `json:"provider"`
}

// configProviders lists the providers for GET /config: those the client's
// flow serves (browser: redirect, app: token), sorted by name.
func configProviders(s *Server, kind latch.ClientKind) []providerJSON {
	flow := account.FlowProviderToken
	if kind == latch.Browser {
		flow = account.FlowProviderRedirect
	}
	out := []providerJSON{}
	for _, p := range s.svc.Social.Providers() {
		if slices.Contains(p.Flows, flow) {
			out = append(out, toProviderJSON(p))
		}
	}
	slices.SortStableFunc(out, func(a, b providerJSON) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// POST /auth/provider/redirect (browser, an HTML form): provider,
// callback_url, process and csrfmiddlewaretoken (checked by the router).
// Answers a 302 to the provider; a callback_url on an origin Latch does not
// trust, an unknown provider or process is a 400 (never a redirect).
func (a socialAPI) redirect(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(w, r, a.s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	f := r.PostForm
	callback := f.Get("callback_url")
	switch {
	case callback == "":
		return latch.Invalid("callback_url", "required", "This field is required.")
	case !a.trustedCallback(callback):
		return latch.Invalid("callback_url", "invalid_url", msgInvalidURL)
	}
	if err := a.s.svc.Social.Attempt(r.Context(), c.st); err != nil {
		return err
	}
	red, err := a.s.svc.Social.BeginRedirect(r.Context(), c.st, account.RedirectInput{Provider: f.Get("provider"),
		Process: f.Get("process"), CallbackURL: callback, Browser: cookieValue(r, bindingCookie)})
	if errors.Is(err, latch.ErrUnauthenticated) {
		// A connect by a caller who is not logged in (any more).
		http.Redirect(w, r, withError(callback, "unknown", account.ProcessConnect), http.StatusFound)
		return nil
	}
	if errors.Is(err, latch.ErrReauthenticationRequired) {
		http.Redirect(w, r, withError(callback, "reauthentication_required", account.ProcessConnect), http.StatusFound)
		return nil
	}
	if err != nil {
		return err
	}
	prov, ok := a.s.cfg.Social.Lookup(red.Provider.ID)
	if !ok {
		return latch.Invalid("provider", "invalid_choice", "Unknown provider.")
	}
	target, err := prov.AuthCodeURL(r.Context(), social.Request{RedirectURI: a.redirectURI(prov), State: red.State, Nonce: red.Nonce, Verifier: red.Verifier})
	if err != nil {
		a.s.log.WarnContext(r.Context(), "provider redirect failed", "provider", red.Provider.ID, "err", err)
		http.Redirect(w, r, withError(callback, "unknown", f.Get("process")), http.StatusFound)
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: bindingCookie, Value: red.Browser, Path: "/", Domain: a.s.cfg.CookieDomain,
		MaxAge: 3600, HttpOnly: true, Secure: a.s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// parseForm reads a urlencoded form body, bounded to limit.
func parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	if r.PostForm != nil {
		return nil // read for the CSRF check
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge
		}
		return latch.Invalid("", "invalid", "The form could not be read.")
	}
	return nil
}

// redirectURI is where a provider returns the browser: the callback path
// on the public URL (never the request's Host, which a client chooses).
func (a socialAPI) redirectURI(p *social.Provider) string {
	base := a.s.cfg.PublicURL
	if base == nil {
		base = &url.URL{Scheme: "http", Host: "localhost"}
	}
	return strings.TrimSuffix(base.String(), "/") + p.CallbackPath()
}

// trustedCallback reports whether a frontend callback URL may be
// redirected to: a path on this server, or an absolute http(s) URL on the
// public URL's, the frontend's, a CORS or a CSRF-trusted origin.
func (a socialAPI) trustedCallback(raw string) bool {
	s := a.s
	if strings.ContainsAny(raw, "\\\r\n\t") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil {
		return false
	}
	if u.Scheme == "" && u.Host == "" {
		return strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(raw, "//")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	trusted := append(append([]string{}, s.cfg.CORSOrigins...), s.cfg.TrustedOrigins...)
	for _, b := range []*url.URL{s.cfg.PublicURL, s.cfg.FrontendURL} {
		if b != nil {
			trusted = append(trusted, b.Scheme+"://"+b.Host)
		}
	}
	for _, o := range trusted {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// withError adds allauth's error and error_process to a callback URL.
func withError(callback, code, process string) string {
	u, err := url.Parse(callback)
	if err != nil {
		return "/"
	}
	if process != account.ProcessConnect {
		process = account.ProcessLogin
	}
	q := u.Query()
	q.Set("error", code)
	q.Set("error_process", process)
	u.RawQuery = q.Encode()
	return u.String()
}

// callback serves the provider's return to Latch (GET, or Apple's
// form_post POST): the state is used up, checked against the browser's
// binding cookie and the provider of the path, the code exchanged, and the
// identity logged in or connected; then a 302 to the flow's callback_url,
// with error and error_process when it failed. A cross-site POST carries
// no SameSite=Lax cookie, so a POST is first turned into a GET of the same
// parameters (a top-level navigation, which carries them).
func (a socialAPI) callback(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if err := parseForm(w, r, a.s.cfg.MaxBodyBytes); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "invalid", "The form could not be read."))
			return
		}
		u := *r.URL
		u.RawQuery = r.PostForm.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	fallback := "/"
	if a.s.cfg.FrontendURL != nil {
		fallback = a.s.cfg.FrontendURL.String()
	}
	flow, err := a.s.svc.Social.TakeRedirect(ctx, q.Get("state"), cookieValue(r, bindingCookie))
	if flow == nil {
		if !errors.Is(err, account.ErrFlowInvalid) {
			a.s.log.ErrorContext(ctx, "provider callback failed", "err", err)
		}
		http.Redirect(w, r, withError(fallback, "unknown", account.ProcessLogin), http.StatusFound)
		return
	}
	fail := func(code string, err error) {
		if err != nil {
			a.s.log.InfoContext(ctx, "provider login failed", "provider", flow.Provider, "reason", code, "err", err)
		}
		http.Redirect(w, r, withError(flow.CallbackURL, code, flow.Process), http.StatusFound)
	}
	prov, ok := a.s.cfg.Social.Lookup(flow.Provider)
	switch {
	case err != nil:
		fail("unknown", err)
		return
	case !ok || prov.CallbackPath() != r.URL.Path:
		fail("unknown", errors.New("callback path of another provider"))
		return
	case q.Get("error") == "access_denied":
		fail("cancelled", nil)
		return
	case q.Get("error") != "":
		fail("unknown", errors.New("provider error "+truncate(q.Get("error"), 64)))
		return
	}
	id, err := prov.Exchange(ctx, social.Request{RedirectURI: a.redirectURI(prov), State: q.Get("state"), Nonce: flow.Nonce,
		Verifier: flow.Verifier}, q.Get("code"), q)
	if err != nil {
		fail("unknown", err)
		return
	}
	client := latch.Client{Kind: latch.Browser, IP: a.s.clientIP(r), UserAgent: userAgent(r), Device: deviceToken(r, latch.Browser)}
	st, err := a.s.svc.Sessions.Resolve(ctx, client, cookieValue(r, sessionCookie))
	if err == nil {
		st, err = a.s.svc.Social.CompleteRedirect(ctx, st, flow, id)
	}
	if err != nil {
		fail(redirectErrorCode(err), err)
		return
	}
	c := &call{kind: latch.Browser, st: st}
	a.s.applySession(w, c, st)
	if c.csrf != "" {
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: c.csrf, Path: "/", Domain: a.s.cfg.CookieDomain,
			MaxAge: 365 * 24 * 3600, Secure: a.s.secure, SameSite: a.s.cfg.CookieSameSite, HttpOnly: a.s.cfg.CSRFCookieHTTPOnly})
	}
	http.Redirect(w, r, flow.CallbackURL, http.StatusFound)
}

// redirectErrorCode is the error= of a failed provider login.
func redirectErrorCode(err error) string {
	if input, ok := errors.AsType[*latch.InputError](err); ok && len(input.Errors) > 0 {
		return input.Errors[0].Code // connected_other
	}
	switch {
	case errors.Is(err, latch.ErrForbidden):
		return "signup_closed"
	case errors.Is(err, latch.ErrUnauthenticated):
		return "reauthentication_required"
	}
	return "unknown"
}

// POST /auth/provider/token: {provider, process, token: {client_id?,
// id_token?, access_token?}}: a token the app obtained natively, verified
// with the provider, logs in (or connects).
func (a socialAPI) token(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	providerID, process := f.str("provider"), f.str("process")
	var tok struct {
		ClientID    *string `json:"client_id"`
		IDToken     *string `json:"id_token"`
		AccessToken *string `json:"access_token"`
		Nonce       *string `json:"nonce"`
	}
	var errs latch.InputError
	switch {
	case providerID == "":
		errs.Add("provider", "required", "This field is required.")
	case !slices.ContainsFunc(a.s.svc.Social.Providers(), func(p latch.Provider) bool { return p.ID == providerID }):
		errs.Add("provider", "invalid_choice", "Select a valid choice. "+providerID+" is not one of the available choices.")
	case !slices.Contains(mustProvider(a.s, providerID).Flows, account.FlowProviderToken):
		errs.Add("provider", "token_authentication_not_supported", msgTokenNotAllowed)
	}
	switch process {
	case account.ProcessLogin, account.ProcessConnect:
	case "":
		errs.Add("process", "required", "This field is required.")
	default:
		errs.Add("process", "invalid_choice", "Select a valid choice. "+process+" is not one of the available choices.")
	}
	switch {
	case !f.has("token"):
		errs.Add("token", "required", "This field is required.")
	case json.Unmarshal(f.fields["token"], &tok) != nil:
		errs.Add("token", "invalid_token", msgInvalidToken)
	case tok.IDToken == nil && tok.AccessToken == nil, tok.IDToken != nil && *tok.IDToken == "" && tok.AccessToken == nil:
		errs.Add("token", "token_required", msgTokenRequired)
	}
	if err := f.err(); err != nil {
		return err
	}
	if err := errs.Err(); err != nil {
		return err
	}
	prov, ok := a.s.cfg.Social.Lookup(providerID)
	if !ok {
		return latch.Invalid("token", "invalid_token", msgInvalidToken)
	}
	if err := a.s.svc.Social.Attempt(r.Context(), c.st); err != nil {
		return err
	}
	id, err := prov.VerifyToken(r.Context(), social.Token{ClientID: deref(tok.ClientID), IDToken: deref(tok.IDToken),
		AccessToken: deref(tok.AccessToken), Nonce: deref(tok.Nonce)})
	if err != nil {
		a.s.log.InfoContext(r.Context(), "provider token refused", "provider", providerID, "err", err)
		return latch.Invalid("token", "invalid_token", msgInvalidToken)
	}
	var st *account.State
	if process == account.ProcessConnect {
		st, err = a.s.svc.Social.Connect(r.Context(), c.st, id)
	} else {
		st, err = a.s.svc.Social.LoginWith(r.Context(), c.st, id)
	}
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

func mustProvider(s *Server, id string) latch.Provider {
	p, _ := s.svc.Social.Provider(id)
	return p
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// GET /auth/provider/signup: the pending provider signup — the addresses
// the provider gave, the identity, and the (unsaved) user.
func (a socialAPI) getSignup(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := a.s.svc.Social.ProviderSignup(c.st)
	if err != nil {
		return err
	}
	emails := []emailJSON{}
	if p.Identity.Email != "" {
		emails = append(emails, emailJSON{Email: p.Identity.Email, Verified: p.Identity.EmailVerified, Primary: true})
	}
	type pendingUser struct {
		Display           string `json:"display"`
		HasUsablePassword bool   `json:"has_usable_password"`
	}
	data := struct {
		Email   []emailJSON         `json:"email"`
		Account providerAccountJSON `json:"account"`
		User    pendingUser         `json:"user"`
	}{emails, providerAccountJSON{UID: p.Identity.UID, Display: p.Identity.Display(), Provider: toProviderJSON(p.Provider)},
		pendingUser{Display: "user"}}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: data})
	return nil
}

// POST /auth/provider/signup: {email, username?}: creates the account of
// the pending provider identity and continues the login.
func (a socialAPI) signup(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := a.s.svc.Social.ProviderSignup(c.st); err != nil {
		return err // 409 or 403 before validation, as allauth
	}
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	in := account.SignupInput{Email: f.str("email"), Username: f.str("username")}
	if err := f.err(); err != nil {
		return err
	}
	st, err := a.s.svc.Social.CompleteProviderSignup(r.Context(), c.st, in)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}

// GET /account/providers: the identities connected to the user.
func (a socialAPI) listAccounts(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := a.s.svc.Social.Accounts(r.Context(), c.st)
	if err != nil {
		return err
	}
	a.writeAccounts(w, list)
	return nil
}

// DELETE /account/providers: {provider, account}: disconnects one.
func (a socialAPI) disconnect(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	provider, uid := f.str("provider"), f.str("account")
	if provider == "" {
		f.errs.Add("provider", "required", "This field is required.")
	}
	if uid == "" {
		f.errs.Add("account", "required", "This field is required.")
	}
	if err := f.err(); err != nil {
		return err
	}
	list, err := a.s.svc.Social.Disconnect(r.Context(), c.st, provider, uid)
	if err != nil {
		return err
	}
	a.writeAccounts(w, list)
	return nil
}

func (a socialAPI) writeAccounts(w http.ResponseWriter, list []latch.SocialAccount) {
	out := make([]providerAccountJSON, 0, len(list))
	for _, acct := range list {
		p, ok := a.s.svc.Social.Provider(acct.Provider)
		if !ok {
			p = latch.Provider{ID: acct.Provider, Name: acct.Provider, Flows: []string{}}
		}
		out = append(out, providerAccountJSON{UID: acct.UID, Display: acct.Display, Provider: toProviderJSON(p)})
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: out})
}

// formCSRF lets the provider redirect, an HTML form POST that cannot send
// headers, carry its CSRF token as Django's form field csrfmiddlewaretoken:
// it is read into the X-CSRFToken header the check compares. Other routes
// take JSON and the header only.
func formCSRF(r *http.Request, rt route, limit int64) {
	if !strings.HasSuffix(rt.path, "/auth/provider/redirect") || r.Header.Get(csrfHeaderKey) != "" {
		return
	}
	r.Body = http.MaxBytesReader(nil, r.Body, limit)
	if r.ParseForm() == nil {
		if t := r.PostForm.Get("csrfmiddlewaretoken"); t != "" {
			r.Header.Set(csrfHeaderKey, t)
		}
	}
}

// appendProviderFlow appends the provider parts of a flow entry: the
// provider ids of provider_redirect and provider_token, the provider of a
// pending provider_signup.
func appendProviderFlow(b []byte, f account.Flow) []byte {
	if f.Providers != nil {
		b = append(b, `,"providers":`...)
		list, _ := json.Marshal(f.Providers)
		b = append(b, list...)
	}
	if f.Provider != nil {
		b = append(b, `,"provider":`...)
		p, _ := json.Marshal(toProviderJSON(*f.Provider))
		b = append(b, p...)
	}
	return b
}
