package httpapi

import (
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// adminUserJSON is a user in the admin list.
type adminUserJSON struct {
	ID            string  `json:"id"`
	Email         *string `json:"email"`
	Username      *string `json:"username"`
	IsActive      bool    `json:"is_active"`
	IsStaff       bool    `json:"is_staff"`
	IsSuperuser   bool    `json:"is_superuser"`
	DateJoined    *string `json:"date_joined"`
	LastLogin     *string `json:"last_login"`
	EmailVerified bool    `json:"email_verified"`
	HasMFA        bool    `json:"has_mfa"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func adminUser(u *latch.UserSummary) adminUserJSON {
	return adminUserJSON{ID: u.PublicID, Email: orNull(u.Email), Username: orNull(u.Username), IsActive: u.IsActive,
		IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser, DateJoined: rfc3339(u.DateJoined), LastLogin: rfc3339(u.LastLogin),
		EmailVerified: u.EmailVerified, HasMFA: u.HasMFA}
}

type adminEmailJSON struct {
	Email    string `json:"email"`
	Verified bool   `json:"verified"`
	Primary  bool   `json:"primary"`
}

type adminSessionJSON struct {
	ID         int64   `json:"id"`
	CreatedAt  *string `json:"created_at"`
	LastSeenAt *string `json:"last_seen_at"`
	IP         string  `json:"ip"`
	UserAgent  string  `json:"user_agent"`
}

// adminAuthenticatorJSON is an authenticator: its type and dates, never its secrets.
type adminAuthenticatorJSON struct {
	Type       string  `json:"type"`
	CreatedAt  *string `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

// adminProviderJSON is a connected provider account, without tokens.
type adminProviderJSON struct {
	Provider  string  `json:"provider"`
	UID       string  `json:"uid"`
	Email     string  `json:"email"`
	Display   string  `json:"display"`
	CreatedAt *string `json:"created_at"`
	LastLogin *string `json:"last_login"`
}

// adminUserDetailJSON is a user with what is theirs.
type adminUserDetailJSON struct {
	adminUserJSON
	Emails         []adminEmailJSON         `json:"emails"`
	Sessions       []adminSessionJSON       `json:"sessions"`
	Authenticators []adminAuthenticatorJSON `json:"authenticators"`
	Providers      []adminProviderJSON      `json:"providers"`
}

// GET /_latch/admin/v1/users: a page of users.
func (a adminAPI) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	q := readQuery(r, "q", "is_active", "is_staff", "email_verified", "has_mfa", "sort", "limit", "cursor")
	f := latch.UserFilter{Query: q.str("q"), Active: q.flag("is_active"), Staff: q.flag("is_staff"),
		Verified: q.flag("email_verified"), HasMFA: q.flag("has_mfa"), Sort: q.str("sort"), Cursor: q.str("cursor"), Limit: q.limit()}
	if f.Sort != "" && !contains(latch.UserSorts, f.Sort) {
		q.errs.Add("sort", "invalid_choice", "Sort by one of date_joined, -date_joined, last_login, -last_login, email.")
	}
	if err := q.errs.Err(); err != nil {
		return err
	}
	list, next, err := a.s.svc.Admin.ListUsers(r.Context(), c.actor, f)
	if err != nil {
		return err
	}
	out := make([]adminUserJSON, len(list))
	for i := range list {
		out[i] = adminUser(&list[i])
	}
	writePage(w, out, next)
	return nil
}

// writeUser answers with a user's detail.
func (a adminAPI) writeUser(w http.ResponseWriter, r *http.Request, c *call, status int, id string) error {
	d, err := a.s.svc.Admin.User(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	out := adminUserDetailJSON{adminUserJSON: adminUser(&d.UserSummary), Emails: []adminEmailJSON{}, Sessions: []adminSessionJSON{},
		Authenticators: []adminAuthenticatorJSON{}, Providers: []adminProviderJSON{}}
	for _, x := range d.Authenticators {
		out.Authenticators = append(out.Authenticators, adminAuthenticatorJSON{Type: x.Type, CreatedAt: rfc3339(x.Created), LastUsedAt: rfc3339(x.LastUsed)})
	}
	for _, x := range d.Providers {
		out.Providers = append(out.Providers, adminProviderJSON{Provider: x.Provider, UID: x.UID, Email: x.Email, Display: x.Display,
			CreatedAt: rfc3339(x.Created), LastLogin: rfc3339(x.LastLogin)})
	}
	for _, e := range d.Emails {
		out.Emails = append(out.Emails, adminEmailJSON{Email: e.Email, Verified: e.Verified, Primary: e.Primary})
	}
	for _, x := range d.Sessions {
		out.Sessions = append(out.Sessions, adminSessionJSON{ID: x.ID, CreatedAt: rfc3339(x.Created), LastSeenAt: rfc3339(x.LastSeen),
			IP: x.IP, UserAgent: x.UserAgent})
	}
	writeJSON(w, status, envelope{Status: status, Data: out})
	return nil
}

// GET /_latch/admin/v1/users/{id}: a user with their addresses and sessions.
func (a adminAPI) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := readQuery(r).errs.Err(); err != nil {
		return err
	}
	return a.writeUser(w, r, c, http.StatusOK, r.PathValue("id"))
}

// POST /_latch/admin/v1/users: {email, username?, password?, is_staff?,
// email_verified?} creates an active user (201).
func (a adminAPI) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	f.known("email", "username", "password", "is_staff", "email_verified")
	in := account.NewUserInput{Email: f.str("email"), Username: f.str("username"), Password: f.str("password"),
		Staff: f.boolean("is_staff"), EmailVerified: f.boolean("email_verified")}
	if err := f.err(); err != nil {
		return err
	}
	u, err := a.s.svc.Admin.CreateUser(r.Context(), c.actor, in)
	if err != nil {
		return err
	}
	return a.writeUser(w, r, c, http.StatusCreated, u.PublicID)
}

// PATCH /_latch/admin/v1/users/{id}: {is_active?, is_staff?, is_superuser?}.
func (a adminAPI) updateUser(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	f.known("is_active", "is_staff", "is_superuser")
	ch := account.UserUpdate{Active: f.optBool("is_active"), Staff: f.optBool("is_staff"), Superuser: f.optBool("is_superuser")}
	if err := f.err(); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.s.svc.Admin.UpdateUser(r.Context(), c.actor, id, ch); err != nil {
		return err
	}
	return a.writeUser(w, r, c, http.StatusOK, id)
}

// POST /_latch/admin/v1/users/{id}/emails/verify: {email} marks one of the
// user's addresses verified.
func (a adminAPI) verifyEmail(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	f.known("email")
	email := f.str("email")
	if err := f.err(); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := a.s.svc.Admin.VerifyEmail(r.Context(), c.actor, id, email); err != nil {
		return err
	}
	return a.writeUser(w, r, c, http.StatusOK, id)
}

// DELETE /_latch/admin/v1/users/{id}: the user and everything that is theirs (204).
func (a adminAPI) deleteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := a.s.svc.Admin.DeleteUser(r.Context(), c.actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// DELETE /_latch/admin/v1/users/{id}/sessions: every session and refresh-token family of the user end (204).
func (a adminAPI) revokeSessions(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := a.s.svc.Admin.RevokeSessions(r.Context(), c.actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// DELETE /_latch/admin/v1/users/{id}/authenticators: MFA reset (204).
func (a adminAPI) resetMFA(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := a.s.svc.Admin.ResetMFA(r.Context(), c.actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
