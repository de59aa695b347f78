package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// channel is the NOTIFY channel on which nodes tell each other which
// sessions and users changed.
const channel = "latch_sessions"

// Receiver is told what other nodes changed (package sessioncache's Store).
type Receiver interface {
	// Receive handles another node's message.
	Receive(msg string)
	// Suspend is called when messages may be lost from now on.
	Suspend()
	// Resume is called when every later message will arrive.
	Resume()
}

// Peers connects the nodes sharing a database with LISTEN/NOTIFY: Publish
// reaches every other node's Receiver. A node does not hear its own
// messages.
type Peers struct {
	url  string
	node string
	pub  *sql.DB
	log  *slog.Logger
}

// NewPeers prepares to publish to and listen for the nodes sharing the
// database at url (postgres://…).
func NewPeers(url string, log *slog.Logger) (*Peers, error) {
	pub, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pub.SetMaxOpenConns(4)
	id := make([]byte, 8)
	rand.Read(id)
	return &Peers{url: url, node: hex.EncodeToString(id), pub: pub, log: log}, nil
}

// Publish sends msg to the other nodes.
func (p *Peers) Publish(ctx context.Context, msg string) error {
	_, err := p.pub.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, p.node+" "+msg)
	return err
}

// Close closes the publishing connections.
func (p *Peers) Close() error { return p.pub.Close() }

// Listen passes the other nodes' messages to r until ctx ends, reconnecting
// when the connection drops. r is resumed each time LISTEN succeeds and
// suspended each time the connection is lost.
func (p *Peers) Listen(ctx context.Context, r Receiver) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := p.session(ctx, r)
		if ctx.Err() != nil {
			return
		}
		p.log.Warn("session cache: listening to other nodes failed; serving sessions from the database until it is back", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// session holds one listening connection until it fails.
func (p *Peers) session(ctx context.Context, r Receiver) error {
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	r.Resume()
	defer r.Suspend()
	own := p.node + " "
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if strings.HasPrefix(n.Payload, own) {
			continue
		}
		_, msg, _ := strings.Cut(n.Payload, " ")
		r.Receive(msg)
	}
}
