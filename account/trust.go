package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"github.com/latchauth/latch"
)

// Trusted browsers: after mfa_authenticate in the browser client, when
// Config.MFA.Trust is on, the login waits at mfa_trust, where the user may
// trust the browser for Config.MFA.TrustTTL. The browser is then handed a
// trust token (an HttpOnly cookie) that lets its later logins of that user
// skip mfa_authenticate. The token is
//
//	<user public id>.<expiry, Unix seconds>.<MAC>
//
// with an HMAC-SHA-256 under a key derived from the master secret over the
// user, the expiry, the user's password hash and the identity of each of
// its authenticators. Nothing is stored: a password change or reset, or
// any authenticator added, removed or regenerated, changes what the MAC
// covers and so ends every trust of that user.

// trustMAC is the MAC of a trust token for user until exp (Unix seconds).
func (s *MFA) trustMAC(user *latch.User, exp int64, list []latch.Authenticator) string {
	m := hmac.New(sha256.New, s.mfaKeys.trust)
	var n [8]byte
	write := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	write([]byte(user.PublicID))
	write([]byte(strconv.FormatInt(exp, 10)))
	write([]byte(user.PasswordHash))
	for _, a := range list {
		write([]byte(a.Type + ":" + strconv.FormatInt(a.ID, 10) + ":" + strconv.FormatInt(a.Created.UnixMicro(), 10)))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// trustToken returns a new trust token of user's browser.
func (s *MFA) trustToken(user *latch.User, list []latch.Authenticator) string {
	exp := s.now().Add(s.cfg.MFA.TrustTTL).Unix()
	return user.PublicID + "." + strconv.FormatInt(exp, 10) + "." + s.trustMAC(user, exp, list)
}

// trusted reports whether the caller presents a valid trust token for user.
func (s *MFA) trusted(st *State, user *latch.User, list []latch.Authenticator) bool {
	tok := st.Client.Trust
	if !s.cfg.MFA.Trust || tok == "" || st.Client.Kind != latch.Browser {
		return false
	}
	rest, mac, ok := cut(tok)
	if !ok {
		return false
	}
	id, expiry, ok := cut(rest)
	if !ok || id != user.PublicID {
		return false
	}
	exp, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || s.now().Unix() >= exp {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(s.trustMAC(user, exp, list)))
}

// cut splits s at its last dot.
func cut(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// needTrust: in the browser, with trust on, a login that has just passed
// mfa_authenticate is asked whether to trust the browser.
func needTrust(s *core, _ context.Context, st *State, p *latch.PendingLogin, _ *latch.User, _ bool) (bool, error) {
	return s.cfg.MFA.Trust && st.Client.Kind == latch.Browser &&
		slices.Contains(p.Done, string(StageMFAAuthenticate)) && !slices.Contains(p.Done, string(StageMFATrust)), nil
}

// beginTrust puts the login at mfa_trust.
func beginTrust(s *core, ctx context.Context, st *State, p *latch.PendingLogin, _ *latch.User, _ bool) (*State, error) {
	st, err := s.holdLogin(ctx, st, p, StageMFATrust)
	if err != nil {
		return nil, err
	}
	return st, s.saveSession(ctx, st)
}

// Trust answers the mfa_trust stage: the login finishes, and with trust
// the browser is handed a trust token (State.NewTrust). Errors:
// latch.ErrConflict when no login waits there.
func (s *MFA) Trust(ctx context.Context, st *State, trust bool) (*State, error) {
	p := s.pendingStage(st, StageMFATrust)
	if p == nil || st.Authenticated() {
		return nil, latch.ErrConflict
	}
	out, err := s.passStage(ctx, st, StageMFATrust, nil)
	if err != nil || !trust || !out.Authenticated() {
		return out, err
	}
	list, err := s.authenticatorsOf(ctx, out.User.ID)
	if err != nil {
		return nil, err
	}
	out.NewTrust = s.trustToken(out.User, list)
	return out, nil
}
