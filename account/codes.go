package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/latchauth/latch"
)

// Code process kinds, keys of latch.SessionState.Codes.
const (
	codeVerifyEmail = "verify_email"
	codeReset       = "password_reset"
	codeLogin       = "login"
)

// codeAlphabet is allauth's: consonants only, so codes spell no words and
// have no look-alike vowels. Eight of them carry about 34.6 bits; attempts
// are capped per code, and codes expire in minutes.
const codeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newCode returns a code shown as XXXX-XXXX.
func newCode() string {
	b := make([]byte, 8)
	for i := range b {
		for {
			var one [1]byte
			rand.Read(one[:])
			if one[0] < 240 { // 240 = 12*20: reject the rest for a uniform choice
				b[i] = codeAlphabet[int(one[0])%len(codeAlphabet)]
				break
			}
		}
	}
	return string(b[:4]) + "-" + string(b[4:])
}

// normalizeCode drops punctuation and spaces and upper-cases, as allauth
// compares codes.
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return strings.ToUpper(b.String())
}

// codeHash binds a code to its session and kind, so a stored hash is useless
// for any other session or purpose.
func codeHash(sessionID int64, kind, code string) string {
	h := sha256.Sum256([]byte(strconv.FormatInt(sessionID, 10) + "\x00" + kind + "\x00" + normalizeCode(code)))
	return hex.EncodeToString(h[:])
}

// ensureSession gives an anonymous caller a session to keep flow state in,
// minting a key that the response hands out.
func (s *Service) ensureSession(ctx context.Context, st *State) (*State, error) {
	if st.Session != nil {
		return st, nil
	}
	now := s.now()
	key, hash := newKey()
	sess := &latch.Session{
		KeyHash: hash, Client: st.Client.Kind, Created: now, LastSeen: now,
		Expires: now.Add(s.cfg.SessionTTL), MaxExpires: now.Add(s.cfg.SessionMaxAge),
		IP: st.Client.IP, UserAgent: st.Client.UserAgent,
	}
	if sess.MaxExpires.Before(sess.Expires) {
		sess.Expires = sess.MaxExpires
	}
	if err := s.sessions.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	out := *st
	out.Session, out.NewKey = sess, key
	return &out, nil
}

func (s *Service) saveSession(ctx context.Context, st *State) error {
	if err := s.sessions.UpdateSession(ctx, st.Session); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// startCode begins (or, with resend, renews) a code process in the caller's
// session and returns the code to mail. userID 0 makes a process that no
// code can complete, for addresses without an account.
func (s *Service) startCode(ctx context.Context, st *State, kind string, userID int64, email string) (*State, string, error) {
	st, err := s.ensureSession(ctx, st)
	if err != nil {
		return nil, "", err
	}
	code := newCode()
	p := &latch.CodeProcess{UserID: userID, Email: email, Started: s.now()}
	if userID != 0 {
		p.Hash = codeHash(st.Session.ID, kind, code)
	}
	if st.Session.State.Codes == nil {
		st.Session.State.Codes = map[string]*latch.CodeProcess{}
	}
	st.Session.State.Codes[kind] = p
	return st, code, s.saveSession(ctx, st)
}

func (s *Service) codeRules(kind string) CodeRules {
	switch kind {
	case codeVerifyEmail:
		return s.cfg.VerificationCode
	case codeReset:
		return s.cfg.ResetCode
	}
	return s.cfg.LoginCode
}

// codeProcess returns the caller's live process of a kind, dropping it when
// it has expired.
func (s *Service) codeProcess(st *State, kind string) *latch.CodeProcess {
	if st.Session == nil {
		return nil
	}
	p := st.Session.State.Codes[kind]
	if p == nil {
		return nil
	}
	if s.now().Sub(p.Started) > s.codeRules(kind).TTL {
		delete(st.Session.State.Codes, kind)
		return nil
	}
	return p
}

// checkCode compares a typed code with the process's, in constant time. A
// wrong code counts as an attempt; at the limit the process is dropped (and
// dropped reports it). The session is saved either way.
func (s *Service) checkCode(ctx context.Context, st *State, kind string, p *latch.CodeProcess, code string) (ok, dropped bool, err error) {
	want := p.Hash
	got := codeHash(st.Session.ID, kind, code)
	if want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1 {
		return true, false, nil
	}
	p.Attempts++
	if p.Attempts >= s.codeRules(kind).MaxAttempts {
		delete(st.Session.State.Codes, kind)
		dropped = true
	}
	return false, dropped, s.saveSession(ctx, st)
}
