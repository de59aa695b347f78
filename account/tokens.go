package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/jwt"
)

// RefreshStore keeps refresh tokens and finds the session an access token names.
type RefreshStore interface {
	// AddRefreshToken stores a token; storing the same hash again is a no-op.
	AddRefreshToken(ctx context.Context, t *latch.RefreshToken) error
	// UseRefreshToken marks a token used unless it was, atomically, and
	// returns it with the time of its first use.
	UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (*latch.RefreshToken, error)
	// RefreshTokenByHash returns a token without using it.
	RefreshTokenByHash(ctx context.Context, hash []byte) (*latch.RefreshToken, error)
	// RotateRefreshToken, atomically, marks the unexpired token with hash
	// used at now unless it was, adds its successor with hash next (created
	// at the first use, living ttl; adding it again is a no-op), and returns
	// the token with the time of its first use; a token used before is not
	// written again. latch.ErrNotFound: no such unexpired token.
	RotateRefreshToken(ctx context.Context, hash []byte, now time.Time, next []byte, ttl time.Duration) (*latch.RefreshToken, error)
}

// Signer signs and verifies access tokens (see package keyring).
type Signer interface {
	Sign(c *jwt.Claims) (string, error)
	Verify(ctx context.Context, token, issuer, audience string) (*jwt.Claims, error)
}

// ErrInvalidRefresh means a refresh token was refused: unknown, expired,
// spent, or its session is gone. The API answers a plain 400.
var ErrInvalidRefresh = errors.New("invalid refresh token")

// TokenConfig configures the JWT strategy.
type TokenConfig struct {
	Strategy     string        // "session" or "jwt", for the app client
	Issuer       string        // iss of access tokens
	Audience     string        // aud of access tokens
	AccessTTL    time.Duration // access-token lifetime
	RefreshTTL   time.Duration // lifetime of each refresh token
	RefreshGrace time.Duration // a spent refresh token repeated within it gets the same successor
	// Secret derives successors of refresh tokens, so that concurrent
	// refreshes of one token within the grace window get the same pair, and
	// the key that encrypts session ids into the sid claim (sid.go).
	Secret []byte
}

// jwtStrategy reports whether the app client gets access and refresh tokens.
func (s *core) jwtStrategy() bool {
	return s.signer != nil && s.cfg.Tokens.Strategy == "jwt"
}

// accessClaims are the claims of an access token for a session.
func (s *core) accessClaims(sess *latch.Session, user *latch.User, iat time.Time, jti string) *jwt.Claims {
	return &jwt.Claims{
		Issuer: s.cfg.Tokens.Issuer, Audience: s.cfg.Tokens.Audience,
		Subject: user.PublicID, SessionID: s.sid.encode(sess.ID),
		IssuedAt: iat.Unix(), Expires: iat.Add(s.cfg.Tokens.AccessTTL).Unix(), ID: jti,
		Email: user.Email, Username: user.Username, Staff: user.IsStaff, Superuser: user.IsSuperuser,
	}
}

// IssueTokens gives the caller's authenticated session an access token and
// the first refresh token of its family, in st.AccessToken and
// st.RefreshToken. Logins through the app client get them automatically
// under the JWT strategy; the tutorial-compatible endpoints call this.
func (s *Tokens) IssueTokens(ctx context.Context, st *State) error {
	if !st.Authenticated() {
		return latch.ErrUnauthenticated
	}
	if s.signer == nil {
		return errors.New("access tokens are not enabled")
	}
	return s.issueTokens(ctx, st)
}

// RevokeRefresh ends the session (and so the whole token family) that a
// refresh token belongs to, as a blacklist endpoint does. Errors:
// ErrInvalidRefresh for an unknown token.
func (s *Tokens) RevokeRefresh(ctx context.Context, token string) error {
	if s.signer == nil || token == "" {
		return ErrInvalidRefresh
	}
	t, err := s.refresh.UseRefreshToken(ctx, HashKey(token), s.now())
	if errors.Is(err, latch.ErrNotFound) {
		return ErrInvalidRefresh
	}
	if err != nil {
		return fmt.Errorf("revoke refresh token: %w", err)
	}
	s.event(ctx, nil, EventSessionRevoked, s.sessionUser(ctx, t.SessionID), "session", t.SessionID)
	return s.sessions.DeleteSession(ctx, t.SessionID)
}

// issueTokens gives a freshly authenticated session its first access and
// refresh tokens.
func (s *Tokens) issueTokens(ctx context.Context, st *State) error {
	now := s.now()
	refresh, hash := newKey()
	if err := s.refresh.AddRefreshToken(ctx, &latch.RefreshToken{Hash: hash, SessionID: st.Session.ID, Created: now, Expires: now.Add(s.cfg.Tokens.RefreshTTL)}); err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	access, err := s.signer.Sign(s.accessClaims(st.Session, st.User, now, newUUID()))
	if err != nil {
		return fmt.Errorf("sign access token: %w", err)
	}
	st.AccessToken, st.RefreshToken = access, refresh
	return nil
}

// derive returns a deterministic secret for purpose from a refresh token.
func (s *Tokens) derive(purpose, token string) string {
	m := hmac.New(sha256.New, s.cfg.Tokens.Secret)
	m.Write([]byte(purpose + "\x00" + token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Refresh exchanges a refresh token for a new access token and the next
// refresh token. Each refresh token works once; repeating it within the
// grace window (two tabs, a retried request) returns the same pair, because
// the successor is derived from the token; repeating it later is taken as
// theft: the session and with it every refresh token of its family end.
// Errors: ErrInvalidRefresh.
//
// The exchange is one write, RotateRefreshToken, which decides the race
// between concurrent uses; nothing is read before it (a read of the token
// first cost 12 % of a refresh). A token refused there (unknown, expired,
// its family revoked) or repeated writes nothing. A token of a session that
// has expired, or of a user deactivated, is spent with the session it
// ends.
func (s *Tokens) Refresh(ctx context.Context, token string) (access, refresh string, err error) {
	if s.signer == nil || token == "" {
		return "", "", ErrInvalidRefresh
	}
	now := s.now()
	next := s.derive("refresh", token)
	t, err := s.refresh.RotateRefreshToken(ctx, HashKey(token), now, HashKey(next), s.cfg.Tokens.RefreshTTL)
	if errors.Is(err, latch.ErrNotFound) {
		return "", "", ErrInvalidRefresh
	}
	if err != nil {
		return "", "", fmt.Errorf("rotate refresh token: %w", err)
	}
	if now.Sub(t.UsedAt) > s.cfg.Tokens.RefreshGrace {
		return "", "", s.reused(ctx, t.SessionID)
	}
	sess, user, err := s.sessions.SessionByID(ctx, t.SessionID)
	if errors.Is(err, latch.ErrNotFound) {
		return "", "", ErrInvalidRefresh
	}
	if err != nil {
		return "", "", fmt.Errorf("refresh session: %w", err)
	}
	if user == nil || !user.IsActive || !now.Before(sess.Expires) {
		if err := s.sessions.DeleteSession(ctx, sess.ID); err != nil {
			return "", "", fmt.Errorf("end session: %w", err)
		}
		return "", "", ErrInvalidRefresh
	}
	jti := hex.EncodeToString([]byte(s.derive("jti", token))[:16])
	if access, err = s.signer.Sign(s.accessClaims(sess, user, t.UsedAt, jti)); err != nil {
		return "", "", fmt.Errorf("sign access token: %w", err)
	}
	if now.Sub(sess.LastSeen) >= s.cfg.TouchInterval {
		if err := s.sessions.TouchSession(ctx, sess.ID, now, minTime(now.Add(s.cfg.SessionTTL), sess.MaxExpires)); err != nil {
			return "", "", fmt.Errorf("touch session: %w", err)
		}
	}
	return access, next, nil
}

// reused answers the use of a spent refresh token after the grace window:
// theft is assumed, and the session ends with every token of its family. It
// returns ErrInvalidRefresh, or the error of ending the session.
func (s *Tokens) reused(ctx context.Context, sessionID int64) error {
	s.event(ctx, nil, EventTokenReuse, s.sessionUser(ctx, sessionID), "session", sessionID)
	if err := s.sessions.DeleteSession(ctx, sessionID); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	s.log.Warn("refresh token reused after rotation: session and its token family revoked", "session_id", sessionID)
	return ErrInvalidRefresh
}

// RefreshAccess issues a new access token for a refresh token without
// spending it: simplejwt's default (no rotation), which the frontends of its
// tutorials expect — they keep their first refresh token. Such a token has no
// reuse detection; it still dies with its session (logout, password change,
// revocation) and at its expiry. A token already exchanged by Refresh is
// refused. Errors: ErrInvalidRefresh.
func (s *Tokens) RefreshAccess(ctx context.Context, token string) (string, error) {
	if s.signer == nil || token == "" {
		return "", ErrInvalidRefresh
	}
	now := s.now()
	t, err := s.refresh.RefreshTokenByHash(ctx, HashKey(token))
	if errors.Is(err, latch.ErrNotFound) {
		return "", ErrInvalidRefresh
	}
	if err != nil {
		return "", fmt.Errorf("find refresh token: %w", err)
	}
	if !now.Before(t.Expires) || !t.UsedAt.IsZero() {
		return "", ErrInvalidRefresh
	}
	sess, user, err := s.sessions.SessionByID(ctx, t.SessionID)
	if errors.Is(err, latch.ErrNotFound) {
		return "", ErrInvalidRefresh
	}
	if err != nil {
		return "", fmt.Errorf("refresh session: %w", err)
	}
	if user == nil || !user.IsActive || !now.Before(sess.Expires) {
		return "", ErrInvalidRefresh
	}
	access, err := s.signer.Sign(s.accessClaims(sess, user, now, newUUID()))
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return access, nil
}

// ResolveBearer finds the session behind an access token, for callers that
// present one instead of a session key. The app client accepts only tokens
// of app sessions; client kind Browser accepts any (forward auth). An invalid or expired token gives an
// anonymous state; a valid token whose session has ended gives
// latch.ErrSessionGone to the app client: access tokens stop working
// against Latch the moment their session ends.
func (s *Tokens) ResolveBearer(ctx context.Context, client latch.Client, token string) (*State, error) {
	st := &State{Client: client}
	if s.signer == nil {
		return st, nil
	}
	c, err := s.signer.Verify(ctx, token, s.cfg.Tokens.Issuer, s.cfg.Tokens.Audience)
	if err != nil {
		return st, nil
	}
	id, ok := s.sid.decode(c.SessionID)
	if !ok {
		return st, nil
	}
	sess, user, err := s.sessions.SessionByID(ctx, id)
	switch {
	case errors.Is(err, latch.ErrNotFound):
		return s.gone(st)
	case err != nil:
		return nil, fmt.Errorf("resolve access token: %w", err)
	}
	if user == nil || user.PublicID != c.Subject || !user.IsActive || !s.now().Before(sess.Expires) ||
		c.IssuedAt < sess.Created.Unix() {
		// The token predates the session: it named another one.
		return s.gone(st)
	}
	if client.Kind == latch.App && sess.Client != latch.App {
		// A browser session's token is for other services, not for acting
		// on the account through the app API without CSRF protection.
		return st, nil
	}
	st.Session, st.User = sess, user
	return st, nil
}

// AccessToken issues a short-lived access token for the caller's
// authenticated session (for a browser calling services that verify JWTs);
// it names the session and dies with it. It returns the token and its expiry.
func (s *Tokens) AccessToken(ctx context.Context, st *State) (string, time.Time, error) {
	if !st.Authenticated() {
		return "", time.Time{}, latch.ErrUnauthenticated
	}
	if s.signer == nil {
		return "", time.Time{}, latch.ErrNotFound
	}
	now := s.now()
	c := s.accessClaims(st.Session, st.User, now, newUUID())
	token, err := s.signer.Sign(c)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return token, time.Unix(c.Expires, 0), nil
}
