package httpapi

import "net/http"

// configAPI serves GET /config.
type configAPI struct{ s *Server }

type configJSON struct {
	Account       accountConfigJSON `json:"account"`
	MFA           mfaConfigJSON     `json:"mfa"`
	SocialAccount struct {
		Providers []providerJSON `json:"providers"`
	} `json:"socialaccount"`
	UserSessions struct {
		TrackActivity bool `json:"track_activity"`
	} `json:"usersessions"`
	// Latch is Latch's own section, for the embedded web app and other
	// frontends: branding, features and the lifetimes their copy names.
	Latch latchConfigJSON `json:"latch"`
}

type latchConfigJSON struct {
	SiteName string `json:"site_name"`
	Brand    struct {
		LogoURL *string `json:"logo_url"`
		Color   string  `json:"color"`
	} `json:"brand"`
	AccountDeletion bool          `json:"account_deletion"`
	Lifetimes       lifetimesJSON `json:"lifetimes"`
}

// lifetimesJSON are in seconds.
type lifetimesJSON struct {
	LoginCode             int64 `json:"login_code"`
	EmailVerificationCode int64 `json:"email_verification_code"`
	PasswordResetCode     int64 `json:"password_reset_code"`
	EmailVerificationLink int64 `json:"email_verification_link"`
	PasswordResetLink     int64 `json:"password_reset_link"`
	Session               int64 `json:"session"`
}

type accountConfigJSON struct {
	LoginMethods                   []string `json:"login_methods"`
	IsOpenForSignup                bool     `json:"is_open_for_signup"`
	EmailVerificationByCodeEnabled bool     `json:"email_verification_by_code_enabled"`
	LoginByCodeEnabled             bool     `json:"login_by_code_enabled"`
	PasswordResetByCodeEnabled     bool     `json:"password_reset_by_code_enabled"`
	AuthenticationMethod           string   `json:"authentication_method,omitempty"`
	// SignupFields is a Latch extension: the identity fields a signup asks
	// for (LATCH_SIGNUP_FIELDS), absent when not asked.
	SignupFields signupFieldsJSON `json:"signup_fields"`
}

// mfaConfigJSON is allauth's mfa section.
type mfaConfigJSON struct {
	SupportedTypes       []string `json:"supported_types"`
	PasskeyLoginEnabled  bool     `json:"passkey_login_enabled"`
	PasskeySignupEnabled bool     `json:"passkey_signup_enabled"`
}

type signupFieldsJSON struct {
	Email    *signupFieldJSON `json:"email,omitempty"`
	Username *signupFieldJSON `json:"username,omitempty"`
}

type signupFieldJSON struct {
	Required bool `json:"required"`
}

// GET /config: the account features this server offers. Not user dependent.
func (a configAPI) getConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	cfg := a.s.svc.Config()
	var out configJSON
	out.Account = accountConfigJSON{
		LoginMethods:                   cfg.LoginMethods,
		IsOpenForSignup:                !cfg.SignupClosed,
		EmailVerificationByCodeEnabled: cfg.VerificationByCode,
		LoginByCodeEnabled:             cfg.LoginByCode,
		PasswordResetByCodeEnabled:     cfg.PasswordResetByCode,
	}
	email, username := a.s.svc.LoginMethod("email"), a.s.svc.LoginMethod("username")
	switch {
	case email && username:
		out.Account.AuthenticationMethod = "username_email"
	case email:
		out.Account.AuthenticationMethod = "email"
	case username:
		out.Account.AuthenticationMethod = "username"
	}
	f := a.s.svc.Users.SignupFields()
	if f.Email {
		out.Account.SignupFields.Email = &signupFieldJSON{Required: f.EmailRequired}
	}
	if f.Username {
		out.Account.SignupFields.Username = &signupFieldJSON{Required: f.UsernameRequired}
	}
	out.MFA = mfaConfigJSON{SupportedTypes: cfg.MFA.SupportedTypes, PasskeyLoginEnabled: cfg.MFA.PasskeyLogin,
		PasskeySignupEnabled: cfg.MFA.PasskeySignup}
	if out.MFA.SupportedTypes == nil {
		out.MFA.SupportedTypes = []string{}
	}
	// Always sent, possibly empty: allauth's frontends read it unguarded.
	out.SocialAccount.Providers = configProviders(a.s, c.kind)
	// Last-seen times are always kept (written at most once a minute).
	out.UserSessions.TrackActivity = true
	b := a.s.cfg.Brand
	out.Latch.SiteName, out.Latch.Brand.Color = b.SiteName, b.Color
	if u := b.logoURL(); u != "" {
		out.Latch.Brand.LogoURL = &u
	}
	out.Latch.AccountDeletion = cfg.AccountDeletion
	out.Latch.Lifetimes = lifetimesJSON{
		LoginCode:             int64(cfg.LoginCode.TTL.Seconds()),
		EmailVerificationCode: int64(cfg.VerificationCode.TTL.Seconds()),
		PasswordResetCode:     int64(cfg.ResetCode.TTL.Seconds()),
		EmailVerificationLink: int64(cfg.VerificationLinkTTL.Seconds()),
		PasswordResetLink:     int64(cfg.ResetLinkTTL.Seconds()),
		Session:               int64(cfg.SessionTTL.Seconds()),
	}
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK, Data: out})
	return nil
}
