package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
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

// codes keeps the emailed-code processes of callers' sessions.
type codes struct{ *core }

// ensureSession gives an anonymous caller a session to keep flow state in,
// minting a key that the response hands out.
func (s *core) ensureSession(ctx context.Context, st *State) (*State, error) {
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

func (s *core) saveSession(ctx context.Context, st *State) error {
	if err := s.sessions.UpdateSession(ctx, st.Session); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// startCode begins (or, with resend, renews) a code process in the caller's
// session and returns the code to mail. userID 0 makes a process that no
// code can complete, for addresses without an account. Asking again for the
// same account and address keeps the wrong attempts already made, so a new
// request does not buy new guesses.
func (s *codes) start(ctx context.Context, st *State, kind string, userID int64, email string) (*State, string, error) {
	st, err := s.ensureSession(ctx, st)
	if err != nil {
		return nil, "", err
	}
	code := newCode()
	p := &latch.CodeProcess{UserID: userID, Email: email, Started: s.now()}
	if userID != 0 {
		p.Hash = codeHash(st.Session.ID, kind, code)
	}
	if old := s.codes.process(st, kind); old != nil && old.UserID == userID && old.Email == email {
		p.Attempts = old.Attempts
	}
	if st.Session.State.Codes == nil {
		st.Session.State.Codes = map[string]*latch.CodeProcess{}
	}
	st.Session.State.Codes[kind] = p
	return st, code, s.saveSession(ctx, st)
}

func (s *codes) rules(kind string) CodeRules {
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
func (s *codes) process(st *State, kind string) *latch.CodeProcess {
	if st.Session == nil {
		return nil
	}
	p := st.Session.State.Codes[kind]
	if p == nil {
		return nil
	}
	if s.now().Sub(p.Started) > s.codes.rules(kind).TTL {
		delete(st.Session.State.Codes, kind)
		return nil
	}
	return p
}

// codeUse says what a right code does to its process.
type codeUse int

const (
	codePeek    codeUse = iota // a right code changes nothing (it is only shown to be right)
	codeConfirm                // a right code marks the process confirmed
	codeConsume                // a right code ends the process: it can be used once
)

// maxStaleRetries bounds how often a code check reads its session again
// after losing a race; each retry means another request's save won.
const maxStaleRetries = 64

// useCode compares a typed code with the caller's live process of kind, in
// constant time, and records the outcome in one conditional save of the
// session: a wrong code counts an attempt (at the limit the process is
// dropped, and dropped reports it), a right one is confirmed or consumed as
// use says. When another request saved the session first, the session is
// read again and the check repeated on what it holds now — so of N
// concurrent uses exactly one consumes the code, and N wrong codes count N
// attempts. It returns the process as it was checked; latch.ErrConflict when
// there is none (never started, expired, dropped, or already consumed).
func (s *codes) use(ctx context.Context, st *State, kind, code string, use codeUse) (p *latch.CodeProcess, ok, dropped bool, err error) {
	for try := 0; ; try++ {
		p = s.codes.process(st, kind)
		if p == nil {
			return nil, false, false, latch.ErrConflict
		}
		got := codeHash(st.Session.ID, kind, code)
		ok = p.Hash != "" && subtle.ConstantTimeCompare([]byte(p.Hash), []byte(got)) == 1
		dropped = false
		switch {
		case ok && use == codePeek, ok && use == codeConfirm && p.Confirmed:
			return p, true, false, nil
		case ok && use == codeConfirm:
			p.Confirmed = true
		case ok:
			delete(st.Session.State.Codes, kind)
		default:
			p.Attempts++
			if p.Attempts >= s.codes.rules(kind).MaxAttempts {
				delete(st.Session.State.Codes, kind)
				dropped = true
			}
		}
		err = s.sessions.UpdateSession(ctx, st.Session)
		if err == nil {
			return p, ok, dropped, nil
		}
		if !errors.Is(err, latch.ErrStale) || try >= maxStaleRetries {
			return nil, false, false, fmt.Errorf("save code attempt: %w", err)
		}
		if err := s.codes.reload(ctx, st); err != nil {
			return nil, false, false, err
		}
	}
}

// reloadSession reads the caller's session again after a save lost a race;
// latch.ErrConflict when it has ended meanwhile.
func (s *codes) reload(ctx context.Context, st *State) error {
	sess, _, err := s.sessions.SessionByKey(ctx, st.Session.KeyHash)
	if errors.Is(err, latch.ErrNotFound) {
		return latch.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("reload session: %w", err)
	}
	*st.Session = *sess
	return nil
}
