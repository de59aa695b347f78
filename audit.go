package latch

import "time"

// AuditEntry is a security event as the audit log keeps it.
type AuditEntry struct {
	ID   int64
	At   time.Time
	Type string
	// UserID is the public id of the user concerned; empty when none.
	UserID        string
	IP, UserAgent string
	// Details are the event's own fields (Event.Data), in order.
	Details []EventField
}

// AuditFilter selects audit entries, newest first. Zero fields select
// everything.
type AuditFilter struct {
	UserID       string // a user's public id
	Type         string
	Since, Until time.Time // Since ≤ at < Until
	// Cursor continues a listing where the page that returned it ended.
	Cursor string
	Limit  int
}

// UserFilter selects users for the admin list. Nil flags select both.
type UserFilter struct {
	// Query matches the primary address or the username, as a
	// case-insensitive substring.
	Query                           string
	Active, Staff, Verified, HasMFA *bool
	// Sort is one of UserSorts; empty is "-date_joined".
	Sort string
	// Cursor continues a listing where the page that returned it ended.
	Cursor string
	Limit  int
}

// UserSorts are the orders of the admin users list.
var UserSorts = []string{"date_joined", "-date_joined", "last_login", "-last_login", "email"}

// UserSummary is a user as the admin list shows it.
type UserSummary struct {
	User
	// EmailVerified reports that the primary address is verified.
	EmailVerified bool
	// HasMFA reports that the user has an authenticator.
	HasMFA bool
}

// APIKey is an admin API key. Only the hash of the key itself is stored.
type APIKey struct {
	ID       int64
	Name     string
	Hash     []byte
	Created  time.Time
	LastUsed time.Time // zero until first used
}
