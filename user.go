package latch

import "time"

// User is an account. ID is the internal key used between tables; PublicID is
// the UUID shown to the outside world (API responses, token subjects), so that
// internal row counts never leak.
type User struct {
	ID           int64
	PublicID     string
	Username     string // empty when the user has none
	PasswordHash string // encoded hash, or an unusable marker (see package password)
	IsActive     bool
	IsStaff      bool
	IsSuperuser  bool
	DateJoined   time.Time
	LastLogin    time.Time // zero until the first login
	Updated      time.Time

	// Email is the primary address, filled in by the stores when they read a
	// user; empty when the user has none.
	Email string
}

// EmailAddress is one of a user's addresses. Email is stored lower-cased and is
// unique across users, case-insensitively.
type EmailAddress struct {
	ID       int64
	UserID   int64
	Email    string
	Verified bool
	Primary  bool
	Created  time.Time
}

// Client is who is calling, as far as the core needs to know: the kind of API
// client and the network facts used for rate limits and the sessions list.
type Client struct {
	Kind      ClientKind
	IP        string
	UserAgent string
	// Device is the device token the client presented (a cookie or a
	// header), empty when none; see account's device tokens.
	Device string
	// Trust is the MFA trust token the browser presented (a cookie),
	// empty when none; see account's trusted browsers.
	Trust string
}

// ClientKind is the headless API tree a request came through.
type ClientKind string

// The two client kinds of the headless API.
const (
	Browser ClientKind = "browser"
	App     ClientKind = "app"
)
