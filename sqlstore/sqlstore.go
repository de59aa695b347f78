// Package sqlstore implements the account core's storage on database/sql,
// with one query set that both engines accept (numbered parameters,
// RETURNING, partial indexes). The sqlite and postgres packages open the
// connections, run their own migrations and supply the few differences as a
// Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/latchauth/latch"
)

// Dialect is what differs between the engines.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Time converts an instant to the value the engine stores: SQLite keeps
	// Unix microseconds in INTEGER columns, PostgreSQL uses timestamptz.
	Time func(time.Time) any
	// UniqueIndex reports the name of the unique index err violates, if it
	// is a uniqueness violation.
	UniqueIndex func(err error) (string, bool)
	// MigrationLock, when set, is run at the start of each migration's
	// transaction to serialise nodes migrating the same database.
	MigrationLock string
	// Migrations holds the engine's NNNN_name.sql files.
	Migrations fs.FS
	// OnClose, when set, runs on the writer as the store closes: SQLite
	// checkpoints its WAL into the database file, so that the file alone
	// holds everything (a copy of it is a backup).
	OnClose string
	// BackupInto, when set, writes a consistent copy of the live database
	// to the file named by its one parameter (SQLite: VACUUM INTO).
	BackupInto string
	// Unavailable, when set, reports the engine's errors that mean the
	// database cannot answer now (a statement timeout, a lock wait past the
	// busy timeout, too many connections): the store returns them wrapped
	// in latch.ErrUnavailable. Deadlines and refused connections are
	// recognised for every engine.
	Unavailable func(err error) bool
	// SkipLocked, when set, ends the subquery that picks a row to claim
	// (PostgreSQL: " FOR UPDATE SKIP LOCKED"), so concurrent claims on
	// several nodes take different rows without waiting on each other.
	SkipLocked string
	// WritableCTE reports whether the engine runs INSERT and UPDATE inside
	// WITH (PostgreSQL), so that a write of two statements that depend on
	// each other can be one statement, one round trip.
	WritableCTE bool
}

// DB is the store: one handle on the database, its table families as
// fields, and what spans them (units of work, migrations, backups).
type DB struct {
	Users    *Users
	Emails   *Emails
	Tokens   *Tokens
	Sessions *Sessions
	Refresh  *RefreshTokens
	Keys     *SigningKeys
	Outbox   *Outbox
	Social   *Social // social.go
	// Authenticators are users' second factors (MFA).
	Authenticators *Authenticators
	// Operations (issue 14): the audit log and the admin API keys.
	Audit   *Audit
	APIKeys *APIKeys

	h      *handle
	writes *WriteCheck // for CheckWrite (probe.go)
}

// handle is what every family shares. Reads go to read and writes to write:
// for SQLite these are a pool of readers and a single writer, so reads never
// queue behind writes; for PostgreSQL both are the same pool. Inside a unit
// of work both go to its transaction (atomic.go).
type handle struct {
	read, write *sql.DB
	d           Dialect
	// stmts holds the reads' prepared statements, by query text: parsing
	// and planning a query again on every session check costs more than
	// running it (SQLite).
	stmts sync.Map
	// wstmts holds the writer's prepared statements of the hottest writes
	// (refresh-token rotation, and on a single-connection writer the writes
	// of units of work: cachedTx), by query text.
	wstmts sync.Map
	// cacheWrites is set for a single-connection writer (SQLite), whose
	// transactions run their writes as its prepared statements (cachedTx).
	cacheWrites bool
}

// DefaultTouchDelay is how long a session touch waits to be written unless
// WithTouchDelay says otherwise (see Sessions.TouchSession).
const DefaultTouchDelay = 5 * time.Second

// An Option configures a store at New.
type Option func(*options)

type options struct{ touchDelay time.Duration }

// WithTouchDelay sets how long a session touch may wait to be written
// (default DefaultTouchDelay); tests that watch the write shorten it.
func WithTouchDelay(d time.Duration) Option {
	return func(o *options) { o.touchDelay = d }
}

// New returns a store over the given pools.
func New(read, write *sql.DB, d Dialect, opts ...Option) *DB {
	o := options{touchDelay: DefaultTouchDelay}
	for _, opt := range opts {
		opt(&o)
	}
	single := write.Stats().MaxOpenConnections == 1
	h := &handle{read: read, write: write, d: d, cacheWrites: single}
	db := &DB{
		h:        h,
		Users:    &Users{h},
		Emails:   &Emails{h},
		Tokens:   &Tokens{h},
		Sessions: &Sessions{h: h, delay: o.touchDelay},
		Refresh:  &RefreshTokens{h: h},
		Keys:     &SigningKeys{h},
		Outbox:   &Outbox{h},
		Social:   &Social{h},

		Authenticators: &Authenticators{h},
		Audit:          &Audit{h},
		APIKeys:        &APIKeys{h},
	}
	if single {
		db.Refresh.group = &rotations{}
	}
	db.writes = NewWriteCheck(db, WriteCheckInterval)
	return db
}

// Dialect returns the engine's dialect.
func (db *DB) Dialect() Dialect { return db.h.d }

// Close writes the pending session touches and closes both pools.
func (db *DB) Close() error {
	h := db.h
	db.Sessions.closeTouches()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := db.Sessions.FlushTouches(ctx)
	closeStmts := func(_, v any) bool {
		err = errors.Join(err, v.(*sql.Stmt).Close())
		return true
	}
	h.stmts.Range(closeStmts)
	h.wstmts.Range(closeStmts)
	if h.read != h.write {
		err = errors.Join(err, h.read.Close())
	}
	if h.d.OnClose != "" {
		if _, cerr := h.write.ExecContext(ctx, h.d.OnClose); cerr != nil {
			err = errors.Join(err, fmt.Errorf("on close: %w", cerr))
		}
	}
	return errors.Join(err, h.write.Close())
}

// Ping checks that the database answers, for readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	return db.h.read.PingContext(ctx)
}

// prepared returns the read pool's prepared statement for query, preparing
// it on first use.
func (h *handle) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := h.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := h.read.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := h.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// preparedWrite returns the writer's prepared statement for query,
// preparing it on first use. In a transaction, Tx.StmtContext runs it on the
// transaction's connection, prepared there once.
func (h *handle) preparedWrite(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := h.wstmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := h.write.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := h.wstmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// cachedTx is a transaction that runs its statements as the writer's
// prepared ones (preparedWrite): SQLite otherwise parses and plans each
// statement again in every transaction, which costs more than running it.
// A statement the writer has not prepared yet runs as it is and, in a unit
// of work, is prepared once the unit has committed: until then the single
// writer connection is the unit's.
type cachedTx struct {
	h  *handle
	tx *sql.Tx
}

// txq returns what tx's writes go through: a cachedTx on a single-connection
// writer, tx itself elsewhere (PostgreSQL's driver caches statements per
// connection already).
func (h *handle) txq(tx *sql.Tx) querier {
	if h.cacheWrites {
		return &cachedTx{h: h, tx: tx}
	}
	return tx
}

// stmt returns query's prepared statement bound to the transaction, or nil
// when the writer has none yet.
func (c *cachedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := c.h.wstmts.Load(query); ok {
		return c.tx.StmtContext(ctx, st.(*sql.Stmt))
	}
	if c.h.unit(ctx) != nil {
		latch.AfterCommit(ctx, func() {
			// A failure leaves the query to be parsed again next time.
			c.h.preparedWrite(context.WithoutCancel(ctx), query)
		})
	}
	return nil
}

func (c *cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.tx.ExecContext(ctx, query, args...)
}

func (c *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.tx.QueryRowContext(ctx, query, args...)
}

// readRow runs a single-row read: in the unit of work of ctx if there is
// one, otherwise on the read pool as a prepared statement.
func (h *handle) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if u := h.unit(ctx); u != nil {
		return u.tx.QueryRowContext(ctx, query, args...)
	}
	st, err := h.prepared(ctx, query)
	if err != nil {
		// The same query unprepared reports the error through Row.Scan.
		return h.read.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// readRows runs a read as readRow does.
func (h *handle) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if u := h.unit(ctx); u != nil {
		return u.tx.QueryContext(ctx, query, args...)
	}
	st, err := h.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (h *handle) t(t time.Time) any { return h.d.Time(t) }

// nt is t for a time that may be zero (stored as NULL).
func (h *handle) nt(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return h.d.Time(t)
}

// instant scans a time stored by either engine: Unix microseconds (SQLite),
// a time.Time (PostgreSQL), or NULL (the zero time).
type instant struct{ t *time.Time }

func (i instant) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*i.t = time.Time{}
	case int64:
		*i.t = time.UnixMicro(v).UTC()
	case time.Time:
		*i.t = v.UTC()
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as a time", src)
	}
	return nil
}

var _ sql.Scanner = instant{}

// SQLiteTime is the Dialect.Time of SQLite: Unix microseconds.
func SQLiteTime(t time.Time) any { return t.UnixMicro() }

// nullString turns an empty string into NULL, for optional unique columns.
func nullString(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// Backup writes a consistent copy of the database to path while it stays in
// use; errors.ErrUnsupported for engines backed up with their own tools.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.h.d.BackupInto == "" {
		return errors.ErrUnsupported
	}
	_, err := db.h.write.ExecContext(ctx, db.h.d.BackupInto, path)
	return err
}
