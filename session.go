package latch

import "time"

// Session is a server-side session. Only a hash of its key is stored; the key
// itself lives in the browser's cookie or the app's X-Session-Token header.
// A session with UserID 0 is anonymous and exists only to carry a pending flow.
type Session struct {
	ID         int64
	KeyHash    []byte
	UserID     int64
	Client     ClientKind
	Created    time.Time
	LastSeen   time.Time
	Expires    time.Time // rolling expiry, pushed forward as the session is used
	MaxExpires time.Time // absolute limit the rolling expiry never passes
	IP         string
	UserAgent  string
	State      SessionState
}

// Authenticated reports whether the session carries a completed login.
func (s *Session) Authenticated() bool { return s != nil && s.UserID != 0 }

// SessionState is the part of a session that changes with authentication: the
// record of how the user authenticated and any login flow still in progress.
// It is stored as JSON, so new flows add fields without reshaping tables.
type SessionState struct {
	Methods []AuthMethod  `json:"methods,omitempty"`
	Pending *PendingLogin `json:"pending,omitempty"`
}

// AuthMethod records one authentication step, as allauth's "methods" list.
type AuthMethod struct {
	Method          string  `json:"method"`
	At              float64 `json:"at"`
	Email           string  `json:"email,omitempty"`
	Username        string  `json:"username,omitempty"`
	Reauthenticated bool    `json:"reauthenticated,omitempty"`
}

// PendingLogin is a login that has proved a first factor but still has stages
// to pass (email verification, MFA, …) before the session is authenticated.
type PendingLogin struct {
	UserID  int64        `json:"user_id"`
	Started time.Time    `json:"started"`
	Stages  []string     `json:"stages"`
	Methods []AuthMethod `json:"methods,omitempty"`
	Email   string       `json:"email,omitempty"`
}

// SessionInfo is a session of a user as listed to that user.
type SessionInfo struct {
	ID        int64
	Created   time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
}
