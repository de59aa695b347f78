package account_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

const grace = 5 * time.Second

// jwtHarness is a core under the JWT strategy with an app client logged in;
// it returns the login's state (session, access and refresh tokens).
func jwtHarness(t *testing.T, adjust func(*account.Config)) (*harness, *client, *account.State) {
	t.Helper()
	h := newHarness(t, func(c *account.Config) {
		c.Tokens.Strategy, c.Tokens.RefreshGrace = "jwt", grace
		c.Tokens.AccessTTL, c.Tokens.RefreshTTL = 5*time.Minute, time.Hour
		if adjust != nil {
			adjust(c)
		}
	})
	h.addUser("gil@example.com", "gil", true)
	c := h.app()
	st, err := c.login("gil@example.com", "", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Authenticated() || st.AccessToken == "" || st.RefreshToken == "" {
		t.Fatalf("an app login under the JWT strategy got no tokens: %+v", st)
	}
	return h, c, st
}

// subject returns the subject of a valid access token.
func (h *harness) subject(access string) string {
	h.t.Helper()
	cfg := h.svc.Config()
	claims, err := h.keys.Verify(bg, access, cfg.Tokens.Issuer, cfg.Tokens.Audience)
	if err != nil {
		h.t.Fatalf("access token does not verify: %v", err)
	}
	return claims.Subject
}

func (h *harness) sessionExists(id int64) bool {
	h.t.Helper()
	_, _, err := h.db.Sessions.SessionByID(bg, id)
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		h.t.Fatal(err)
	}
	return err == nil
}

// TestRefreshRotates: a refresh token gives a new pair once; its successor
// is the next refresh token.
func TestRefreshRotates(t *testing.T) {
	h, _, st := jwtHarness(t, nil)
	if h.subject(st.AccessToken) != st.User.PublicID {
		t.Fatal("the login's access token names another subject")
	}
	tok := st.RefreshToken
	for i := 0; i < 3; i++ {
		h.advance(time.Minute)
		access, next, err := h.svc.Tokens.Refresh(bg, tok)
		if err != nil {
			t.Fatalf("refresh %d: %v", i+1, err)
		}
		if next == "" || next == tok || access == "" || access == st.AccessToken {
			t.Fatalf("refresh %d gave access %q, refresh %q", i+1, access, next)
		}
		if h.subject(access) != st.User.PublicID {
			t.Fatal("refreshed access token names another subject")
		}
		tok = next
	}
	if h.events.count(account.EventTokenReuse) != 0 || !h.sessionExists(st.Session.ID) {
		t.Error("rotation was taken for reuse")
	}
	if _, _, err := h.svc.Tokens.Refresh(bg, "not-a-token"); !errors.Is(err, account.ErrInvalidRefresh) {
		t.Errorf("unknown token: %v", err)
	}
}

// TestRefreshGraceAndReuse: a spent refresh token repeated within
// RefreshGrace gets the same successor (and access token); repeated later,
// it is reuse: the session and its whole token family are revoked.
func TestRefreshGraceAndReuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
		reuse bool
	}{
		{"at once", 0, false},
		{"within the grace", grace / 2, false},
		{"at the grace", grace, false},
		{"just after the grace", grace + time.Second, true},
		{"much later", 30 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c, st := jwtHarness(t, nil)
			h.advance(time.Minute)
			access, next, err := h.svc.Tokens.Refresh(bg, st.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			h.advance(tc.after)
			access2, next2, err := h.svc.Tokens.Refresh(bg, st.RefreshToken)
			if !tc.reuse {
				if err != nil {
					t.Fatalf("repeat within the grace: %v", err)
				}
				if next2 != next || access2 != access {
					t.Fatal("a repeat within the grace got another pair")
				}
				if h.events.count(account.EventTokenReuse) != 0 || !h.sessionExists(st.Session.ID) {
					t.Fatal("a repeat within the grace was taken for reuse")
				}
				// The successor still works, once.
				if _, _, err := h.svc.Tokens.Refresh(bg, next); err != nil {
					t.Fatalf("successor after a repeat: %v", err)
				}
				return
			}
			if !errors.Is(err, account.ErrInvalidRefresh) {
				t.Fatalf("reuse: %v, want ErrInvalidRefresh", err)
			}
			if n := h.events.count(account.EventTokenReuse); n != 1 {
				t.Errorf("%d token.reuse_detected events", n)
			}
			if h.sessionExists(st.Session.ID) {
				t.Fatal("reuse left the session")
			}
			if _, _, err := h.svc.Tokens.Refresh(bg, next); !errors.Is(err, account.ErrInvalidRefresh) {
				t.Errorf("the successor survived the reuse: %v", err)
			}
			// Replays of the revoked token are refused as unknown: no
			// second revocation.
			for range 3 {
				if _, _, err := h.svc.Tokens.Refresh(bg, st.RefreshToken); !errors.Is(err, account.ErrInvalidRefresh) {
					t.Errorf("replay after the reuse: %v", err)
				}
			}
			if n := h.events.count(account.EventTokenReuse); n != 1 {
				t.Errorf("%d token.reuse_detected events after the replays, want 1", n)
			}
			// An access token still unexpired names a session that is gone
			// (an expired one is merely anonymous).
			if bst, err := h.svc.Tokens.ResolveBearer(bg, c.c, access); tc.after < 5*time.Minute && !errors.Is(err, latch.ErrSessionGone) ||
				err == nil && bst.Authenticated() {
				t.Errorf("the access token survived the reuse: %v", err)
			}
			if _, err := h.svc.Sessions.Resolve(bg, c.c, c.key); !errors.Is(err, latch.ErrSessionGone) {
				t.Errorf("the session token survived the reuse: %v", err)
			}
		})
	}
}

// TestRefreshConcurrent: concurrent refreshes of one token (two tabs, a
// retry racing its original) are one rotation: each gets the same pair, and
// the successor works once.
func TestRefreshConcurrent(t *testing.T) {
	h, _, st := jwtHarness(t, nil)
	const n = 16
	type pair struct {
		access, refresh string
		err             error
	}
	got := make([]pair, n)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &got[i]
			p.access, p.refresh, p.err = h.svc.Tokens.Refresh(bg, st.RefreshToken)
		}()
	}
	wg.Wait()
	for i, p := range got {
		if p.err != nil || p.access != got[0].access || p.refresh != got[0].refresh {
			t.Fatalf("refresh %d: %v, or another pair than refresh 0's", i, p.err)
		}
	}
	if h.events.count(account.EventTokenReuse) != 0 || !h.sessionExists(st.Session.ID) {
		t.Fatal("concurrent refreshes were taken for reuse")
	}
	if _, _, err := h.svc.Tokens.Refresh(bg, got[0].refresh); err != nil {
		t.Fatalf("the successor: %v", err)
	}
	h.advance(grace + time.Second)
	if _, _, err := h.svc.Tokens.Refresh(bg, got[0].refresh); !errors.Is(err, account.ErrInvalidRefresh) {
		t.Fatalf("the successor spent twice: %v, want ErrInvalidRefresh", err)
	}
}

// TestRefreshExpiry: a refresh token works until RefreshTTL after it was
// made (a successor: after its predecessor was spent); an expired one is
// refused without being taken for reuse, however often it is presented.
func TestRefreshExpiry(t *testing.T) {
	const ttl = time.Hour
	for _, tc := range []struct {
		name  string
		after time.Duration
		works bool
	}{
		{"just before", ttl - time.Second, true},
		{"at the expiry", ttl, false},
		{"later", 3 * ttl, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _, st := jwtHarness(t, nil)
			h.advance(tc.after)
			_, next, err := h.svc.Tokens.Refresh(bg, st.RefreshToken)
			if tc.works {
				if err != nil {
					t.Fatalf("refresh before the expiry: %v", err)
				}
				// The successor lives RefreshTTL from now.
				h.advance(ttl - time.Second)
				if _, _, err := h.svc.Tokens.Refresh(bg, next); err != nil {
					t.Fatalf("successor before its expiry: %v", err)
				}
				return
			}
			if !errors.Is(err, account.ErrInvalidRefresh) {
				t.Fatalf("expired token: %v", err)
			}
			h.advance(time.Minute)
			if _, _, err := h.svc.Tokens.Refresh(bg, st.RefreshToken); !errors.Is(err, account.ErrInvalidRefresh) {
				t.Fatalf("expired token again: %v", err)
			}
			if h.events.count(account.EventTokenReuse) != 0 || !h.sessionExists(st.Session.ID) {
				t.Error("an expired token was taken for reuse")
			}
		})
	}
}

// TestRefreshAfterSessionEnds: a refresh token dies with its session.
func TestRefreshAfterSessionEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(h *harness, c *client, st *account.State)
	}{
		{"logout", func(h *harness, c *client, st *account.State) {
			if _, err := h.svc.Sessions.Logout(bg, c.state()); err != nil {
				h.t.Fatal(err)
			}
		}},
		{"user deactivated", func(h *harness, c *client, st *account.State) {
			if err := h.db.Users.SetActive(bg, st.User.ID, false, h.now); err != nil {
				h.t.Fatal(err)
			}
		}},
		{"session expired", func(h *harness, c *client, st *account.State) {
			h.advance(h.svc.Config().SessionTTL + time.Second)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c, st := jwtHarness(t, func(c *account.Config) {
				c.SessionTTL, c.Tokens.RefreshTTL = time.Hour, 24*time.Hour
			})
			tc.end(h, c, st)
			if _, _, err := h.svc.Tokens.Refresh(bg, st.RefreshToken); !errors.Is(err, account.ErrInvalidRefresh) {
				t.Fatalf("refresh after the session ended: %v", err)
			}
			if h.sessionExists(st.Session.ID) {
				t.Error("the session is still stored")
			}
		})
	}
}

// TestRefreshRepeatWithoutSuccessor: a token marked used whose successor was
// never stored (spent by an earlier version, which wrote the two in separate
// transactions, and stopped between them) still gets its successor when
// repeated within the grace window.
func TestRefreshRepeatWithoutSuccessor(t *testing.T) {
	h, _, st := jwtHarness(t, nil)
	if _, err := h.db.Refresh.UseRefreshToken(bg, account.HashKey(st.RefreshToken), h.now); err != nil {
		t.Fatal(err)
	}
	h.advance(grace / 2)
	_, next, err := h.svc.Tokens.Refresh(bg, st.RefreshToken)
	if err != nil {
		t.Fatalf("repeat within the grace, no successor stored: %v", err)
	}
	if _, _, err := h.svc.Tokens.Refresh(bg, next); err != nil {
		t.Fatalf("the successor: %v", err)
	}
}
