// Package latch holds Latch's domain types — users, email addresses, sessions
// and the errors the account core returns — shared by every other package.
// It imports no HTTP and no SQL: storage adapters and the HTTP API depend on it,
// never the reverse.
package latch
