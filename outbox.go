package latch

import "time"

// OutboxItem is a message in the outbox — a mail or a webhook call written
// in the unit of work of the change that asked for it — as a delivery
// worker has claimed it.
type OutboxItem struct {
	ID      int64
	Topic   string // "mail", "webhook"
	Payload []byte
	Created time.Time
	// Attempts counts the claims of the message, this one included.
	Attempts int
}

// OutboxEntry is a message waiting in the outbox (or given up), as the
// admin API lists them.
type OutboxEntry struct {
	ID          int64
	Topic       string
	Payload     []byte
	Created     time.Time
	NextAttempt time.Time
	Attempts    int
	Failed      bool
	LastError   string
}
