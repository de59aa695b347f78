package latchauth

import "time"

// SetClock makes a use now instead of the real clock.
func SetClock(a *Auth, now func() time.Time) { a.now = now }

// CachedSessions returns the number of entries in the session-check cache.
func CachedSessions(a *Auth) int {
	if a.sessions == nil {
		return 0
	}
	return a.sessions.size()
}

// SetCacheLimit changes the most entries the session-check cache holds.
func SetCacheLimit(a *Auth, n int) { a.sessions.limit = n }
