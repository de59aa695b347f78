package social

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/latchauth/latch"
)

// userAPI asks an OAuth2-only provider's user API who holds an access
// token. GitHub's address is the primary *verified* one from /user/emails
// (the profile's public address proves nothing); GitLab's counts as
// verified when confirmed_at is set, Discord's when verified is true.
func (p *Provider) userAPI(ctx context.Context, accessToken string) (*latch.SocialIdentity, error) {
	if accessToken == "" {
		return nil, fail("no token")
	}
	var u struct {
		ID          json.Number `json:"id"` // GitHub and GitLab: a number; Discord: a string
		Login       string      `json:"login"`
		Username    string      `json:"username"`
		Name        string      `json:"name"`
		GlobalName  string      `json:"global_name"`
		Email       string      `json:"email"`
		Verified    bool        `json:"verified"`
		ConfirmedAt *string     `json:"confirmed_at"`
	}
	if err := p.getJSON(ctx, p.cfg.UserinfoURL, accessToken, &u); err != nil {
		return nil, err
	}
	id := &latch.SocialIdentity{Provider: p.cfg.ID, UID: u.ID.String(), Name: u.Name}
	switch p.cfg.Kind {
	case KindGitHub:
		id.Username = u.Login
		email, verified, err := p.githubEmail(ctx, accessToken)
		if err != nil {
			return nil, err
		}
		id.Email, id.EmailVerified = email, verified
	case KindGitLab:
		id.Username, id.Email, id.EmailVerified = u.Username, u.Email, u.ConfirmedAt != nil && *u.ConfirmedAt != ""
	case KindDiscord:
		id.Username, id.Email, id.EmailVerified = u.Username, u.Email, u.Verified
		if u.GlobalName != "" {
			id.Name = u.GlobalName
		}
	}
	if id.UID == "" || id.UID == "0" {
		return nil, fail("user API answered without an id")
	}
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	return id, nil
}

// githubEmail returns the primary address from GitHub's /user/emails and
// whether GitHub verified it; without a primary one, the first verified one.
func (p *Provider) githubEmail(ctx context.Context, accessToken string) (string, bool, error) {
	if p.cfg.EmailsURL == "" {
		return "", false, nil
	}
	var list []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := p.getJSON(ctx, p.cfg.EmailsURL, accessToken, &list); err != nil {
		return "", false, err
	}
	for _, e := range list {
		if e.Primary {
			return e.Email, e.Verified, nil
		}
	}
	for _, e := range list {
		if e.Verified {
			return e.Email, true, nil
		}
	}
	return "", false, nil
}

// getJSON GETs a user API with the access token and decodes its answer.
func (p *Provider) getJSON(ctx context.Context, url, accessToken string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail("user API: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	res, err := p.client.Do(req)
	if err != nil {
		return fail("user API: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fail("user API: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		return fail("user API %s: status %s", url, strconv.Itoa(res.StatusCode))
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fail("user API %s: %v", url, err)
	}
	return nil
}
