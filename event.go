package latch

import "time"

// Event is a security-relevant change or attempt, as the core records it for
// the log, the audit log and webhooks. Type is one of the catalogue in
// DESIGN.md ("user.logged_in", "session.revoked", …).
type Event struct {
	Type string
	At   time.Time
	// User is the account concerned; nil when there is none (a login
	// attempt on an unknown address, a rate limit on an address).
	User *User
	// IP and UserAgent are the calling client's.
	IP, UserAgent string
	// Data holds the event's own fields, in the order given: never a
	// password, code, key or token.
	Data []EventField
}

// EventField is one named value of an event.
type EventField struct{ Key, Value string }
