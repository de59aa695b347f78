package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/jwt"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sessioncache"
	"github.com/latchauth/latch/social"
	"github.com/latchauth/latch/webhook"
)

// config is everything read from the environment.
type config struct {
	Addr           string
	DatabaseURL    string
	SecretKey      string
	PublicURL      *url.URL
	FrontendURL    *url.URL
	EmailURL       *url.URL
	CORSOrigins    []string
	TrustedOrigins []string
	CookieDomain   string
	CookieSameSite http.SameSite
	CSRFHTTPOnly   bool
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	ProxyCount     int
	LogFormat      string
	AccessLog      string // LATCH_ACCESS_LOG: httpapi.AccessAll, AccessErrors or AccessOff
	LogLevel       slog.Level
	EmailFrom      string
	SiteName       string
	EmailTemplates string
	// EmailTimeout bounds one delivery attempt; EmailRetryFor is how long
	// a mail is retried before it is given up.
	EmailTimeout, EmailRetryFor time.Duration
	FrontendPaths               map[string]string
	publicDefault               bool // PublicURL was derived from Addr
	JWTAlgorithm                jwt.Algorithm
	Compat                      []string
	RedisURL                    string
	SessionCache                sessioncache.Config
	Argon2                      password.Params
	// MemoryLimit is the memory, in bytes, that applyMemoryLimit plans
	// for: memoryAuto (the container's limit) or 0 (no plan) but for
	// LATCH_MEMORY_LIMIT.
	MemoryLimit int64
	Account     account.Config
	// WebAuthnRPID and WebAuthnOrigins are the WebAuthn relying party.
	WebAuthnRPID    string
	WebAuthnOrigins []string
	// webauthnOff says why WebAuthn is off although offered (logged at
	// startup): the default relying-party id is an IP address.
	webauthnOff string
	// SocialProviders is LATCH_SOCIAL_PROVIDERS, checked.
	SocialProviders []social.Config
	// Brand is LATCH_BRAND_* (brand.go); its SiteName comes from SiteName.
	Brand httpapi.Brand

	// AuditRetention is how long audit entries are kept (sweep, serve.go).
	AuditRetention time.Duration
	// MetricsAddr, when set, serves /metrics there only.
	MetricsAddr string
	// Webhooks is LATCH_WEBHOOKS, checked.
	Webhooks []webhook.Endpoint

	// ShutdownDelay and ShutdownTimeout shape the drain on SIGTERM
	// (serve.go).
	ShutdownDelay, ShutdownTimeout time.Duration

	// passwordValidators holds the rules LATCH_PASSWORD_VALIDATORS names.
	passwordValidators map[string]bool
	// warnings are problems with the settings that do not stop the server,
	// logged at startup.
	warnings []string
}

// setting is one environment variable: its name, default and meaning, and
// how it is applied. The same table drives parsing and `latch serve --help`.
type setting struct {
	name, def, help string
	apply           func(c *config, v string) error
}

var settings = []setting{
	{"LATCH_ADDR", "127.0.0.1:8000", "address to listen on (host:port)", func(c *config, v string) error {
		if err := checkAddr(v); err != nil {
			return err
		}
		c.Addr = v
		return nil
	}},
	{"LATCH_DATABASE_URL", "sqlite:latch.db", "sqlite:PATH (embedded default) or postgres://user@host:port/db", func(c *config, v string) error {
		if !strings.HasPrefix(v, "sqlite:") && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
			return errors.New("want sqlite:PATH or postgres://…")
		}
		if v == "sqlite:" {
			return errors.New("sqlite: needs a file path, e.g. sqlite:latch.db")
		}
		c.DatabaseURL = v
		return nil
	}},
	{"LATCH_SECRET_KEY", "", "master secret, at least 32 characters; generated and stored beside the database when unset (set it explicitly with PostgreSQL and several nodes)", func(c *config, v string) error {
		if v != "" && len(v) < 32 {
			return errors.New("must be at least 32 characters")
		}
		c.SecretKey = v
		return nil
	}},
	{"LATCH_PUBLIC_URL", "", "the URL users reach Latch at (default: http:// + LATCH_ADDR); https enables Secure cookies and HSTS", func(c *config, v string) error {
		if v == "" {
			return nil
		}
		u, err := parseHTTPURL(v)
		c.PublicURL = u
		return err
	}},
	{"LATCH_FRONTEND_URL", "", "where links in emails point (default: the embedded web app)", func(c *config, v string) error {
		if v == "" {
			return nil
		}
		u, err := parseHTTPURL(v)
		c.FrontendURL = u
		return err
	}},
	{"LATCH_EMAIL_URL", "console:", "smtp://[user:pass@]host:port (STARTTLS when offered), smtps://… (implicit TLS), or console: (print mail to standard output)", func(c *config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "console" && u.Scheme != "smtp" && u.Scheme != "smtps") {
			return errors.New("want console:, smtp://host:port or smtps://host:port")
		}
		if u.Scheme != "console" && u.Port() == "" {
			return errors.New("the SMTP URL needs a port, e.g. smtp://localhost:25")
		}
		c.EmailURL = u
		return nil
	}},
	{"LATCH_EMAIL_VERIFICATION", "optional", "none, optional or mandatory", func(c *config, v string) error {
		switch v {
		case account.VerificationNone, account.VerificationOptional, account.VerificationMandatory:
			c.Account.EmailVerification = v
			return nil
		}
		return errors.New("want none, optional or mandatory")
	}},
	{"LATCH_LOGIN_METHODS", "email,username", "login identifiers, comma-separated: email, username or both", func(c *config, v string) error {
		var methods []string
		for _, m := range splitList(v) {
			if m != "email" && m != "username" {
				return fmt.Errorf("unknown login method %q; want email and/or username", m)
			}
			methods = append(methods, m)
		}
		if len(methods) == 0 {
			return errors.New("at least one of email, username")
		}
		c.Account.LoginMethods = methods
		return nil
	}},
	{"LATCH_SIGNUP_FIELDS", "email*,username,password1*", "signup fields in allauth's ACCOUNT_SIGNUP_FIELDS syntax (* = required): email* or email (optional: username-only accounts, which need username*, username in LATCH_LOGIN_METHODS and verification not mandatory); username, username* or neither (email-only accounts, which need LATCH_LOGIN_METHODS=email); password1*", func(c *config, v string) error {
		var email, username, password bool
		for _, f := range splitList(v) {
			switch f {
			case "email*":
				email = true
			case "email":
				email, c.Account.EmailOptional = true, true
			case "username":
				username = true
			case "username*":
				username, c.Account.UsernameRequired = true, true
			case "password1*":
				password = true
			default:
				return fmt.Errorf("unknown field %q; want email*, email, username*, username, password1*", f)
			}
		}
		// No username field: email-only accounts (login by email only).
		c.Account.NoUsername = !username
		switch {
		case !email:
			return errors.New("email or email* must be listed (an email field left out is not supported; use email for an optional one)")
		case !password:
			return errors.New("password1* must be listed: every account has a password")
		case c.Account.EmailOptional && !c.Account.UsernameRequired:
			return errors.New("an optional email needs username*, as allauth requires: an account needs one or the other")
		}
		return nil
	}},
	{"LATCH_SIGNUP_ENABLED", "true", "whether anyone may sign up", func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		c.Account.SignupClosed = !b
		return err
	}},
	{"LATCH_CSRF_COOKIE_HTTPONLY", "false", "make the csrftoken cookie HttpOnly (Django's CSRF_COOKIE_HTTPONLY): frontends then take the token from the X-CSRFToken header of the django-session surface's GET /api/csrf/; frontends that read the cookie (the headless browser API's, the embedded web app) stop working", func(c *config, v string) error {
		return parseBool(v, &c.CSRFHTTPOnly)
	}},
	{"LATCH_CORS_ALLOWED_ORIGINS", "", "origins (scheme://host[:port]) of SPAs allowed to call the API cross-origin with credentials, comma-separated", func(c *config, v string) error {
		list, err := parseOrigins(v)
		c.CORSOrigins = list
		return err
	}},
	{"LATCH_CSRF_TRUSTED_ORIGINS", "", "further origins allowed to send unsafe requests to the browser API (e.g. a frontend behind another proxy), comma-separated", func(c *config, v string) error {
		list, err := parseOrigins(v)
		c.TrustedOrigins = list
		return err
	}},
	{"LATCH_COOKIE_DOMAIN", "", "Domain of the session and CSRF cookies (e.g. .example.com to share them with subdomains); empty: host-only", func(c *config, v string) error {
		c.CookieDomain = v
		return nil
	}},
	{"LATCH_COOKIE_SAMESITE", "lax", "SameSite of the session and CSRF cookies: lax, strict or none (none requires an https LATCH_PUBLIC_URL)", func(c *config, v string) error {
		switch strings.ToLower(v) {
		case "lax":
			c.CookieSameSite = http.SameSiteLaxMode
		case "strict":
			c.CookieSameSite = http.SameSiteStrictMode
		case "none":
			c.CookieSameSite = http.SameSiteNoneMode
		default:
			return errors.New("want lax, strict or none")
		}
		return nil
	}},
	{"LATCH_APP_TOKEN_STRATEGY", "session", "session (X-Session-Token only) or jwt (also access and refresh tokens) for the app client", func(c *config, v string) error {
		if v != "session" && v != "jwt" {
			return errors.New("want session or jwt")
		}
		c.Account.Tokens.Strategy = v
		return nil
	}},
	{"LATCH_JWT_ACCESS_TTL", "5m", "access-token lifetime (Go duration)", func(c *config, v string) error {
		return parseDuration(v, &c.Account.Tokens.AccessTTL)
	}},
	{"LATCH_JWT_REFRESH_TTL", "336h", "lifetime of each refresh token (Go duration); each refresh issues a new one", func(c *config, v string) error {
		return parseDuration(v, &c.Account.Tokens.RefreshTTL)
	}},
	{"LATCH_JWT_REFRESH_GRACE", "5s", "window in which a repeated refresh gets the same successor instead of revoking the session (Go duration)", func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Minute {
			return errors.New("want a Go duration from 0s to 1m")
		}
		c.Account.Tokens.RefreshGrace = d
		return nil
	}},
	{"LATCH_JWT_ALGORITHM", "EdDSA", "signing algorithm of new keys: EdDSA (Ed25519), RS256 or ES256", func(c *config, v string) error {
		alg, err := jwt.ParseAlgorithm(v)
		c.JWTAlgorithm = alg
		return err
	}},
	{"LATCH_COMPAT", "", "tutorial-compatible endpoints to serve, comma-separated: django-session, drf-session, drf-jwt, simplejwt, or all", func(c *config, v string) error {
		for _, name := range splitList(v) {
			switch name {
			case "django-session", "drf-session", "drf-jwt", "simplejwt":
				c.Compat = append(c.Compat, name)
			case "all":
				c.Compat = append(c.Compat, "django-session", "drf-session", "drf-jwt", "simplejwt")
			default:
				return fmt.Errorf("unknown surface %q; want django-session, drf-session, drf-jwt, simplejwt or all", name)
			}
		}
		return nil
	}},
	{"LATCH_JWT_AUDIENCE", "", "aud of access tokens (default: the public URL)", func(c *config, v string) error {
		c.Account.Tokens.Audience = v
		return nil
	}},
	{"LATCH_EMAIL_VERIFICATION_BY_CODE", "false", "verify addresses with a code typed in (instead of a link)", func(c *config, v string) error {
		return parseBool(v, &c.Account.VerificationByCode)
	}},
	{"LATCH_PASSWORD_RESET_BY_CODE", "false", "reset passwords with a code typed in (instead of a link)", func(c *config, v string) error {
		return parseBool(v, &c.Account.PasswordResetByCode)
	}},
	{"LATCH_LOGIN_BY_CODE", "false", "offer passwordless login by emailed code", func(c *config, v string) error {
		return parseBool(v, &c.Account.LoginByCode)
	}},
	{"LATCH_LOGIN_ON_EMAIL_CONFIRMATION", "false", "a verification link finishes the login that was waiting for it (codes always do)", func(c *config, v string) error {
		return parseBool(v, &c.Account.LoginOnEmailConfirmation)
	}},
	{"LATCH_LOGIN_ON_PASSWORD_RESET", "false", "log the user in after a password reset", func(c *config, v string) error {
		return parseBool(v, &c.Account.LoginOnPasswordReset)
	}},
	{"LATCH_EMAIL_UNKNOWN_ACCOUNTS", "true", "mail a note to addresses without an account that ask for a reset or a login code", func(c *config, v string) error {
		return parseBool(v, &c.Account.EmailUnknownAccounts)
	}},
	{"LATCH_EMAIL_NOTIFICATIONS", "true", "mail users when their password is changed or reset and when an address is added, removed or made primary", func(c *config, v string) error {
		return parseBool(v, &c.Account.EmailNotifications)
	}},
	{"LATCH_MAX_EMAIL_ADDRESSES", "0", "most addresses per user; 0: no limit", func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a number, 0 for no limit")
		}
		c.Account.MaxEmailAddresses = n
		return nil
	}},
	{"LATCH_EMAIL_FROM", "", "sender address of Latch's mail (default: no-reply@ the public URL's host)", func(c *config, v string) error {
		if v == "" {
			return nil
		}
		if _, err := mail.ParseAddress(v); err != nil {
			return errors.New(`want an address, e.g. "Example <no-reply@example.com>"`)
		}
		c.EmailFrom = v
		return nil
	}},
	{"LATCH_SITE_NAME", "Latch", "the site name shown in mail", func(c *config, v string) error {
		c.SiteName = v
		return nil
	}},
	{"LATCH_BRAND_COLOR", "#2f5d50", "accent colour of the web app and of mail buttons (#rrggbb)", func(c *config, v string) error {
		col, err := parseColor(v)
		c.Brand.Color = col
		return err
	}},
	{"LATCH_BRAND_LOGO_URL", "", "logo shown by the web app and in mail: an https:// URL (set this or LATCH_BRAND_LOGO_FILE)", func(c *config, v string) error {
		if v == "" {
			return nil
		}
		if c.Brand.Logo != nil {
			return errors.New("set LATCH_BRAND_LOGO_URL or LATCH_BRAND_LOGO_FILE, not both")
		}
		u, err := parseLogoURL(v)
		if err == nil {
			c.Brand.LogoURL = u.String()
		}
		return err
	}},
	{"LATCH_BRAND_LOGO_FILE", "", "logo file (PNG, JPEG, WebP, GIF or SVG, at most 512 KiB) that Latch serves at /_latch/brand/logo", func(c *config, v string) error {
		if v == "" {
			return nil
		}
		if c.Brand.LogoURL != "" {
			return errors.New("set LATCH_BRAND_LOGO_URL or LATCH_BRAND_LOGO_FILE, not both")
		}
		b, t, err := readLogo(v)
		c.Brand.Logo, c.Brand.LogoType = b, t
		return err
	}},
	{"LATCH_ACCOUNT_DELETION", "true", "let users delete their own account (DELETE /_allauth/{client}/v1/account, after reauthentication)", func(c *config, v string) error {
		return parseBool(v, &c.Account.AccountDeletion)
	}},
	{"LATCH_EMAIL_TIMEOUT", "10s", "bound on one mail delivery attempt (connect and SMTP conversation); a claimed mail is retried by any node after 3× this", func(c *config, v string) error {
		return parseDuration(v, &c.EmailTimeout)
	}},
	{"LATCH_EMAIL_RETRY_FOR", "72h", "how long a mail that the server refuses for now (or cannot reach) is retried, with exponential backoff up to 30m, before it is given up", func(c *config, v string) error {
		return parseDuration(v, &c.EmailRetryFor)
	}},
	{"LATCH_EMAIL_TEMPLATES", "", "directory of mail templates overriding the built-in ones (same file names)", func(c *config, v string) error {
		if v == "" {
			return nil
		}
		if fi, err := os.Stat(v); err != nil || !fi.IsDir() {
			return errors.New("not a directory")
		}
		c.EmailTemplates = v
		return nil
	}},
	{"LATCH_FRONTEND_PATHS", "", "paths of the frontend pages mail links point at, overriding the web app's: verify_email=/verify/{key};reset_password=/reset/{key};signup=/signup;request_reset=/reset", func(c *config, v string) error {
		for _, part := range strings.Split(v, ";") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			k, p, ok := strings.Cut(part, "=")
			k, p = strings.TrimSpace(k), strings.TrimSpace(p)
			if _, known := c.FrontendPaths[k]; !ok || !known || !strings.HasPrefix(p, "/") {
				return fmt.Errorf("%q: want kind=/path with kind one of verify_email, reset_password, signup, request_reset", part)
			}
			if (k == "verify_email" || k == "reset_password") && !strings.Contains(p, "{key}") {
				return fmt.Errorf("%q: the path needs a {key} placeholder", part)
			}
			c.FrontendPaths[k] = p
		}
		return nil
	}},
	{"LATCH_PASSWORD_RESET_LINK_TTL", "1h", "lifetime of password reset links (Go duration)", func(c *config, v string) error {
		return parseDuration(v, &c.Account.ResetLinkTTL)
	}},
	{"LATCH_EMAIL_VERIFICATION_LINK_TTL", "24h", "lifetime of email verification links (Go duration)", func(c *config, v string) error {
		return parseDuration(v, &c.Account.VerificationLinkTTL)
	}},
	{"LATCH_SESSION_TTL", "336h", "rolling session lifetime (Go duration); each use extends it", func(c *config, v string) error {
		return parseDuration(v, &c.Account.SessionTTL)
	}},
	{"LATCH_SESSION_MAX_AGE", "2160h", "absolute session lifetime (Go duration), however active the session", func(c *config, v string) error {
		return parseDuration(v, &c.Account.SessionMaxAge)
	}},
	{"LATCH_SESSION_CACHE_SIZE", "10000", "sessions each node keeps in memory so that checking them costs no query (about 1 KB each); 0: off. Changes made through Latch reach every node's cache at once (PostgreSQL LISTEN/NOTIFY)", func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a number of sessions, 0 for no cache")
		}
		c.SessionCache.Size = n
		return nil
	}},
	{"LATCH_SESSION_CACHE_TTL", "30s", "longest a session is served from memory before it is read again: the delay for changes made behind Latch's back (SQL by hand) to take effect", func(c *config, v string) error {
		return parseDuration(v, &c.SessionCache.TTL)
	}},
	// MFA and reauthentication (account/mfa.go).
	{"LATCH_MFA_SUPPORTED_TYPES", "totp,recovery_codes,webauthn", "second factors offered, comma-separated: totp, recovery_codes (recovery codes only beside another factor), webauthn (security keys and passkeys), or none", func(c *config, v string) error {
		var types []string
		for _, t := range splitList(v) {
			switch t {
			case latch.AuthenticatorTOTP, latch.AuthenticatorRecoveryCodes, latch.AuthenticatorWebAuthn:
				if !slices.Contains(types, t) {
					types = append(types, t)
				}
			case "none":
			default:
				return fmt.Errorf("unknown type %q; want any of totp, recovery_codes, webauthn", t)
			}
		}
		c.Account.MFA.SupportedTypes = types
		return nil
	}},
	{"LATCH_MFA_TOTP_ISSUER", "", "the issuer authenticator apps show for Latch's TOTP entries (default: LATCH_SITE_NAME)", func(c *config, v string) error {
		c.Account.MFA.TOTPIssuer = v
		return nil
	}},
	{"LATCH_MFA_RECOVERY_CODES", "10", "recovery codes in a set (8 digits each, single use)", func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return errors.New("want a number from 1 to 100")
		}
		c.Account.MFA.RecoveryCodes = n
		return nil
	}},
	{"LATCH_MFA_TRUST", "false", "offer \"trust this browser\" after the second factor in the browser: its later logins skip the second factor for LATCH_MFA_TRUST_TTL", func(c *config, v string) error {
		return parseBool(v, &c.Account.MFA.Trust)
	}},
	{"LATCH_MFA_TRUST_TTL", "336h", "how long a trusted browser skips the second factor (Go duration); a password change or any authenticator change ends it sooner", func(c *config, v string) error {
		return parseDuration(v, &c.Account.MFA.TrustTTL)
	}},
	{"LATCH_MFA_PASSKEY_LOGIN", "false", "passkey login: a passkey (a WebAuthn credential added as passwordless) logs in without a password or another factor", func(c *config, v string) error {
		return parseBool(v, &c.Account.MFA.PasskeyLogin)
	}},
	{"LATCH_MFA_PASSKEY_SIGNUP", "false", "passkey signup: an account made with a passkey and no password; needs LATCH_EMAIL_VERIFICATION=mandatory and LATCH_EMAIL_VERIFICATION_BY_CODE=true", func(c *config, v string) error {
		return parseBool(v, &c.Account.MFA.PasskeySignup)
	}},
	{"LATCH_WEBAUTHN_RP_ID", "", "WebAuthn relying-party id: the registrable domain credentials are bound to (default: the host of LATCH_PUBLIC_URL; localhost is valid)", func(c *config, v string) error {
		c.WebAuthnRPID = v
		return nil
	}},
	{"LATCH_WEBAUTHN_ORIGINS", "", "origins WebAuthn responses may come from, comma-separated, compared exactly (default: the origin of LATCH_PUBLIC_URL)", func(c *config, v string) error {
		c.WebAuthnOrigins = nil
		for _, o := range splitList(v) {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
				return fmt.Errorf("%q: want an origin, e.g. https://app.example.com", o)
			}
			c.WebAuthnOrigins = append(c.WebAuthnOrigins, u.Scheme+"://"+u.Host)
		}
		return nil
	}},
	{"LATCH_REAUTHENTICATION_TIMEOUT", "5m", "how recent an authentication must be for MFA changes, address changes, ending other sessions and setting a first password; older ones must reauthenticate (Go duration)", func(c *config, v string) error {
		return parseDuration(v, &c.Account.MFA.ReauthenticationTimeout)
	}},
	{"LATCH_PASSWORD_MIN_LENGTH", "8", "minimum password length", func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return errors.New("want a number from 1 to 1024")
		}
		c.Account.PasswordPolicy.MinLength = n
		return nil
	}},
	{"LATCH_PASSWORD_VALIDATORS", "length,common,similarity,numeric", "password rules to apply, comma-separated, as Django's AUTH_PASSWORD_VALIDATORS: length (LATCH_PASSWORD_MIN_LENGTH), common, similarity (to the username and email), numeric; leaving any out logs a warning", func(c *config, v string) error {
		on := map[string]bool{}
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			switch name {
			case "length", "common", "similarity", "numeric":
				on[name] = true
			case "", "none":
			default:
				return fmt.Errorf("%q: want any of length, common, similarity, numeric (or none)", name)
			}
		}
		// Applied in loadConfig, after LATCH_PASSWORD_MIN_LENGTH.
		c.passwordValidators = on
		return nil
	}},
	{"LATCH_ARGON2_MEMORY_KIB", "12288", "argon2id memory in KiB (OWASP: 12288 with 3 iterations, or 19456 with 2)", func(c *config, v string) error {
		return parseUint32(v, 8, 4<<20, &c.Argon2.Memory)
	}},
	{"LATCH_ARGON2_ITERATIONS", "3", "argon2id iterations (OWASP: 3 with 12288 KiB, or 2 with 19456)", func(c *config, v string) error {
		return parseUint32(v, 1, 100, &c.Argon2.Time)
	}},
	{"LATCH_ARGON2_PARALLELISM", "1", "argon2id lanes (OWASP: 1)", func(c *config, v string) error {
		var n uint32
		err := parseUint32(v, 1, 64, &n)
		c.Argon2.Threads = uint8(n)
		return err
	}},
	{"LATCH_ARGON2_MAX_CONCURRENT", "0", "password hashes computed at once, each holding LATCH_ARGON2_MEMORY_KIB; more requests wait their turn. 0: one per CPU core, fewer if the container's memory limit cannot hold them (then GOMEMLIMIT, unless set, is the limit less the hashes' memory and a headroom)", func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1024 {
			return errors.New("want a number from 0 to 1024")
		}
		c.Argon2.MaxConcurrent = n
		return nil
	}},
	{"LATCH_MEMORY_LIMIT", "auto", "memory Latch plans for: LATCH_ARGON2_MAX_CONCURRENT (if 0) is lowered to the hashes that fit, and GOMEMLIMIT (unless set) is what the hashes leave less a headroom. auto: the container's cgroup limit, if any; off: no plan; or a size in bytes, KiB, MiB or GiB (e.g. 64MiB)", func(c *config, v string) error {
		n, err := parseMemoryLimit(v)
		c.MemoryLimit = n
		return err
	}},
	{"LATCH_RATE_LIMITS", "", "per-action budgets overriding allauth's defaults (login=30/m/ip;login_failed=10/m/ip,5/5m/key;signup=20/m/ip;change_password=5/m/user), e.g. login=30/m/ip;login_failed=10/m/ip,5/5m/key; an action with an empty value is unlimited; off disables all", func(c *config, v string) error {
		if strings.TrimSpace(v) == "off" {
			c.Account.RateLimits = nil
			return nil
		}
		for _, part := range strings.Split(v, ";") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			action, spec, ok := strings.Cut(part, "=")
			action = strings.TrimSpace(action)
			if _, known := account.DefaultRateLimits()[action]; !ok || !known {
				return fmt.Errorf("%q: want action=rates with action one of login, login_failed, signup, change_password", part)
			}
			rates, err := ratelimit.ParseRates(spec)
			if err != nil {
				return err
			}
			c.Account.RateLimits[action] = rates
		}
		return nil
	}},
	{"LATCH_REDIS_URL", "", "redis://[user:pass@]host:port[/db]: keep rate-limit counts in Redis so that every node shares them (default: in memory, per node)", func(c *config, v string) error {
		if v != "" && !strings.HasPrefix(v, "redis://") && !strings.HasPrefix(v, "rediss://") {
			return errors.New("want redis://host:port or rediss://host:port")
		}
		c.RedisURL = v
		return nil
	}},
	{"LATCH_TRUSTED_PROXY_COUNT", "0", "number of reverse proxies in front of Latch that append to X-Forwarded-For; 0 ignores the header", func(c *config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			return errors.New("want a number from 0 to 10")
		}
		c.ProxyCount = n
		return nil
	}},
	{"LATCH_REQUEST_TIMEOUT", "10s", "deadline of each request, database work included; a request that runs out of it waiting for the database gets 503 with Retry-After (Go duration)", func(c *config, v string) error {
		return parseDuration(v, &c.RequestTimeout)
	}},
	{"LATCH_MAX_BODY_BYTES", "65536", "largest request body accepted; larger ones get 413", func(c *config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return errors.New("want a number of bytes, at least 1024")
		}
		c.MaxBodyBytes = n
		return nil
	}},
	{"LATCH_SHUTDOWN_DELAY", "5s", "on SIGTERM or SIGINT, how long /readyz answers 503 while requests are still served, so that load balancers stop sending new ones (Go duration; 0: none)", func(c *config, v string) error {
		return parseWait(v, &c.ShutdownDelay)
	}},
	{"LATCH_SHUTDOWN_TIMEOUT", "30s", "after LATCH_SHUTDOWN_DELAY, how long requests still running may take to finish before they are cut off (Go duration; 0: cut off at once)", func(c *config, v string) error {
		return parseWait(v, &c.ShutdownTimeout)
	}},
	// Social login (DESIGN.md "Social login").
	{"LATCH_SOCIAL_PROVIDERS", "", "login providers: a JSON array, inline or the path of a file holding it; entries {id, kind (oidc, google, github, microsoft, apple, gitlab, discord), name, client_id, secret, scopes, issuer, tenant, authorize_url, token_url, userinfo_url, emails_url, audiences}", func(c *config, v string) error {
		list, err := social.Parse(v)
		if err != nil {
			return err
		}
		if _, err := social.New(list, nil); err != nil {
			return err
		}
		c.SocialProviders = list
		return nil
	}},
	{"LATCH_SOCIAL_EMAIL_AUTHENTICATION", "false", "a provider login whose address the provider verified logs into the account where that address is verified (never on an unverified address on either side)", func(c *config, v string) error {
		return parseBool(v, &c.Account.Social.EmailAuthentication)
	}},
	{"LATCH_SOCIAL_EMAIL_AUTHENTICATION_AUTO_CONNECT", "true", "with LATCH_SOCIAL_EMAIL_AUTHENTICATION, connect the provider to the account it logged into", func(c *config, v string) error {
		return parseBool(v, &c.Account.Social.AutoConnect)
	}},
	{"LATCH_SOCIAL_AUTO_SIGNUP", "true", "a new provider identity with a usable address nobody holds gets an account at once; false: it always goes through the provider signup form", func(c *config, v string) error {
		return parseBool(v, &c.Account.Social.AutoSignup)
	}},
	{"LATCH_SOCIAL_STORE_TOKENS", "false", "keep the providers' access and refresh tokens, encrypted with a key derived from LATCH_SECRET_KEY", func(c *config, v string) error {
		return parseBool(v, &c.Account.Social.StoreTokens)
	}},
	{"LATCH_ACCESS_LOG", "all", "request log: all (a line per request), errors (answers of 400 or more) or off (5xx answers only)", func(c *config, v string) error {
		switch v {
		case httpapi.AccessAll, httpapi.AccessErrors, httpapi.AccessOff:
			c.AccessLog = v
			return nil
		}
		return errors.New("want all, errors or off")
	}},
	{"LATCH_LOG_FORMAT", "text", "text or json", func(c *config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("want text or json")
		}
		c.LogFormat = v
		return nil
	}},
	{"LATCH_LOG_LEVEL", "info", "debug, info, warn or error", func(c *config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},

	// Operations (issue 14).
	{"LATCH_WEBHOOKS", "", "webhook endpoints: a JSON array, inline or the path of a file holding it, of {url, secret (16+ characters), events (event types, or \"*\")}; signed POSTs from a durable outbox, retried with backoff for 24h", func(c *config, v string) error {
		list, err := webhook.Parse(v, account.Events)
		c.Webhooks = list
		return err
	}},
	{"LATCH_METRICS_ADDR", "", "serve /metrics (Prometheus) on this separate host:port only, e.g. 127.0.0.1:9100; empty: on LATCH_ADDR", func(c *config, v string) error {
		if v != "" {
			if err := checkAddr(v); err != nil {
				return err
			}
		}
		c.MetricsAddr = v
		return nil
	}},
	{"LATCH_AUDIT_RETENTION", "2160h", "how long audit log entries are kept (Go duration; default 90 days); older ones are pruned in the background", func(c *config, v string) error {
		return parseDuration(v, &c.AuditRetention)
	}},
}

func parseBool(v string, out *bool) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false")
	}
	*out = b
	return nil
}

// loadConfig reads every setting from getenv, applying defaults. All
// problems are reported together, each naming its variable.
func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{Account: account.DefaultConfig(), Argon2: password.DefaultParams, FrontendPaths: map[string]string{
		// The embedded web app's pages.
		"verify_email":   "/account/verify-email/{key}",
		"reset_password": "/account/password/reset/key/{key}",
		"signup":         "/account/signup",
		"request_reset":  "/account/password/reset",
	}}
	var errs []error
	for _, s := range settings {
		v := getenv(s.name)
		if v == "" {
			v = s.def
		}
		if err := s.apply(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", s.name, v, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.Account.EmailOptional && !slices.Contains(c.Account.LoginMethods, "username") {
		return nil, errors.New("LATCH_SIGNUP_FIELDS makes the email optional, so LATCH_LOGIN_METHODS must include username: an account without an address logs in by its username")
	}
	if c.Account.NoUsername && slices.Contains(c.Account.LoginMethods, "username") {
		return nil, errors.New("LATCH_SIGNUP_FIELDS lists no username (email-only accounts), so LATCH_LOGIN_METHODS must be email: accounts have no username to log in with")
	}
	if c.Account.EmailOptional && c.Account.EmailVerification == account.VerificationMandatory {
		return nil, errors.New("LATCH_SIGNUP_FIELDS makes the email optional, which LATCH_EMAIL_VERIFICATION=mandatory cannot be: there would be no address to verify")
	}
	if err := c.applyPasswordValidators(getenv("LATCH_PASSWORD_MIN_LENGTH") != ""); err != nil {
		return nil, err
	}
	if c.PublicURL == nil {
		c.PublicURL = &url.URL{Scheme: "http", Host: c.Addr}
		c.publicDefault = true
	}
	c.setLinks()
	if c.Account.MFA.PasskeySignup && (c.Account.EmailVerification != account.VerificationMandatory || !c.Account.VerificationByCode) {
		return nil, errors.New("LATCH_MFA_PASSKEY_SIGNUP needs LATCH_EMAIL_VERIFICATION=mandatory and LATCH_EMAIL_VERIFICATION_BY_CODE=true: the address is the only way back into an account without a password")
	}
	if c.Account.MFA.TOTPIssuer == "" {
		c.Account.MFA.TOTPIssuer = c.SiteName
	}
	if c.WebAuthnRPID == "" {
		c.WebAuthnRPID = c.PublicURL.Hostname()
		if net.ParseIP(c.WebAuthnRPID) != nil && slices.Contains(c.Account.MFA.SupportedTypes, latch.AuthenticatorWebAuthn) {
			// An IP address cannot be a relying-party id: browsers refuse
			// WebAuthn on such origins.
			c.Account.MFA.SupportedTypes = slices.DeleteFunc(c.Account.MFA.SupportedTypes, func(t string) bool { return t == latch.AuthenticatorWebAuthn })
			c.webauthnOff = "WebAuthn is off: the host of LATCH_PUBLIC_URL (" + c.WebAuthnRPID + ") is an IP address, which cannot be a relying-party id; " +
				"reach Latch by a domain name (localhost works) and set LATCH_PUBLIC_URL or LATCH_WEBAUTHN_RP_ID"
		}
	}
	if len(c.WebAuthnOrigins) == 0 {
		c.WebAuthnOrigins = []string{c.PublicURL.Scheme + "://" + c.PublicURL.Host}
	}
	if c.EmailFrom == "" {
		c.EmailFrom = "no-reply@" + c.PublicURL.Hostname()
	}
	if c.CookieSameSite == http.SameSiteNoneMode && c.PublicURL.Scheme != "https" {
		return nil, errors.New("LATCH_COOKIE_SAMESITE=none: browsers only accept SameSite=None cookies over https; set an https LATCH_PUBLIC_URL")
	}
	if c.Account.SessionMaxAge < c.Account.SessionTTL {
		return nil, errors.New("LATCH_SESSION_MAX_AGE must not be shorter than LATCH_SESSION_TTL")
	}
	if c.PublicURL.Scheme == "https" && c.EmailURL.Scheme == "console" && getenv("LATCH_EMAIL_URL") == "" {
		return nil, errors.New("LATCH_PUBLIC_URL is https but no mail server is set: reset links and codes would only be printed to the log. " +
			"Set LATCH_EMAIL_URL=smtp://host:port, or LATCH_EMAIL_URL=console: to mean it")
	}
	// The rolling expiry is written at most once per touch interval; a tenth
	// of the lifetime keeps short idle timeouts sliding.
	c.Account.TouchInterval = min(time.Minute, c.Account.SessionTTL/10)
	return c, nil
}

// applyPasswordValidators turns off the password rules that
// LATCH_PASSWORD_VALIDATORS leaves out, with a warning naming them. A
// minimum length set explicitly while the length rule is off is refused:
// one of the two is a mistake.
func (c *config) applyPasswordValidators(minLengthSet bool) error {
	on, p := c.passwordValidators, &c.Account.PasswordPolicy
	var off []string
	if !on["length"] {
		if minLengthSet {
			return errors.New("LATCH_PASSWORD_MIN_LENGTH is set but LATCH_PASSWORD_VALIDATORS leaves out length")
		}
		p.MinLength = 0
		off = append(off, "length")
	}
	if !on["common"] {
		p.CheckCommon = false
		off = append(off, "common")
	}
	if !on["similarity"] {
		p.MaxSimilarity = 0
		off = append(off, "similarity")
	}
	if !on["numeric"] {
		p.CheckNumeric = false
		off = append(off, "numeric")
	}
	if len(off) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("LATCH_PASSWORD_VALIDATORS turns off password rules: %s; new passwords are checked less than Django's defaults", strings.Join(off, ", ")))
	}
	return nil
}

// checkAddr validates a listen address: host:port with a port in range and
// a host that is empty, an IP address or a host name.
func checkAddr(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("want host:port, e.g. 127.0.0.1:8000")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("host %q: want an IP address or a host name", host)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// unknownSettings returns a warning for each LATCH_* variable in environ
// (NAME=VALUE entries) that no setting reads, naming the nearest known one:
// a misspelled LATCH_DATABASE_URL must not silently fall back to SQLite.
func unknownSettings(environ []string) []string {
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "LATCH_") || known[name] || strings.HasPrefix(name, "LATCH_TEST_") {
			continue
		}
		best, dist := "", 1<<30
		for _, s := range settings {
			if d := editDistance(name, s.name); d < dist {
				best, dist = s.name, d
			}
		}
		out = append(out, fmt.Sprintf("unknown setting %s is ignored; did you mean %s?", name, best))
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// setLinks derives the email links from the frontend (or public) URL, and
// the access tokens' issuer (and default audience) from the public URL.
func (c *config) setLinks() {
	iss := strings.TrimSuffix(c.PublicURL.String(), "/")
	if c.Account.Tokens.Audience == "" || c.Account.Tokens.Audience == c.Account.Tokens.Issuer {
		c.Account.Tokens.Audience = iss
	}
	c.Account.Tokens.Issuer = iss
	front := c.PublicURL
	if c.FrontendURL != nil {
		front = c.FrontendURL
	}
	base := strings.TrimSuffix(front.String(), "/")
	c.Account.Links = account.Links{
		VerifyEmail:   base + c.FrontendPaths["verify_email"],
		ResetPassword: base + c.FrontendPaths["reset_password"],
		Signup:        base + c.FrontendPaths["signup"],
		RequestReset:  base + c.FrontendPaths["request_reset"],
	}
}

// listening tells the configuration the address actually bound: when the
// public URL is the default and the port was 0, it takes the real port.
func (c *config) listening(addr string) {
	if c.publicDefault {
		c.PublicURL = &url.URL{Scheme: "http", Host: addr}
		c.setLinks()
	}
}

func printSettings(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(empty)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.name, def, s.help)
	}
	tw.Flush()
}

func parseHTTPURL(v string) (*url.URL, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want an absolute http:// or https:// URL")
	}
	return u, nil
}

func parseOrigins(v string) ([]string, error) {
	var list []string
	for _, o := range splitList(v) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("%q is not an origin; want scheme://host[:port], e.g. http://localhost:5173", o)
		}
		list = append(list, u.Scheme+"://"+u.Host)
	}
	return list, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseDuration(v string, d *time.Duration) error {
	x, err := time.ParseDuration(v)
	if err != nil || x <= 0 {
		return errors.New("want a positive Go duration, e.g. 336h")
	}
	*d = x
	return nil
}

// parseWait reads a duration that may be zero.
func parseWait(v string, d *time.Duration) error {
	x, err := time.ParseDuration(v)
	if err != nil || x < 0 {
		return errors.New("want a Go duration, 0 or more, e.g. 5s")
	}
	*d = x
	return nil
}

func parseUint32(v string, lo, hi uint64, out *uint32) error {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("want a number from %d to %d", lo, hi)
	}
	*out = uint32(n)
	return nil
}
