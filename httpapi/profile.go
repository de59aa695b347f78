package httpapi

import (
	"net/http"

	"github.com/latchauth/latch/account"
)

// profileAPI serves the caller's profile and the deletion of their account
// (Latch's additions to the headless API, for the account web app).
type profileAPI struct{ s *Server }

type profileJSON struct {
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

func writeProfile(w http.ResponseWriter, p *account.Profile) {
	writeJSON(w, http.StatusOK, envelope{Status: http.StatusOK,
		Data: profileJSON{Username: p.Username, FirstName: p.FirstName, LastName: p.LastName}})
}

// GET /account/profile.
func (a profileAPI) getProfile(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := a.s.svc.Users.Profile(r.Context(), c.st)
	if err != nil {
		return err
	}
	writeProfile(w, p)
	return nil
}

// PATCH /account/profile: any of {username, first_name, last_name}.
func (a profileAPI) updateProfile(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := a.s.readForm(w, r)
	if err != nil {
		return err
	}
	ch := account.ProfileChange{Username: f.strPtr("username"), FirstName: f.strPtr("first_name"), LastName: f.strPtr("last_name")}
	if err := f.err(); err != nil {
		return err
	}
	p, err := a.s.svc.Users.UpdateProfile(r.Context(), c.st, ch)
	if err != nil {
		return err
	}
	writeProfile(w, p)
	return nil
}

// DELETE /account: the caller's account goes, after a recent
// authentication; answered as a logout.
func (a profileAPI) deleteAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := a.s.svc.Users.DeleteAccount(r.Context(), c.st)
	if err != nil {
		return err
	}
	a.s.writeAuth(w, r, c, st)
	return nil
}
