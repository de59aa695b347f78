package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/latchauth/latch"
)

// unit is a unit of work in progress: the write transaction that every
// store call made with its context runs in.
type unit struct{ tx *sql.Tx }

// unit returns the unit of work ctx carries on this database, or nil. The
// handle itself is the context key, so a unit of one database is never
// joined by another.
func (h *handle) unit(ctx context.Context) *unit {
	u, _ := ctx.Value(h).(*unit)
	return u
}

// Atomic runs fn in a unit of work: every call of a family's method (read or
// write) made with the context fn receives runs in one write transaction,
// which commits if fn returns nil and rolls back if it returns an error or
// panics (the panic goes on). Reads in fn see fn's writes. A ctx that already
// carries a unit of this database joins it: fn runs in it and the outermost
// Atomic decides. The functions given to latch.AfterCommit in fn run after
// the commit, in order, and not at all on a rollback.
//
// On SQLite the writer is one connection whose transactions start with BEGIN
// IMMEDIATE, so units of work run one at a time and a unit that reads before
// it writes cannot fail on a lock upgrade. On PostgreSQL they run
// concurrently at READ COMMITTED: a write that depends on an earlier read
// must check it itself (as UpdateSession's compare-and-swap does).
//
// Session touches stay outside units of work (Sessions.TouchSession); Migrate,
// Backup and Close must not be called in one.
func (db *DB) Atomic(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	h := db.h
	if h.unit(ctx) != nil {
		return fn(ctx)
	}
	defer h.classify(&err)
	ctx, done := latch.WithCommitHooks(ctx)
	tx, err := h.write.BeginTx(ctx, nil)
	if err != nil {
		done(false)
		return err
	}
	committed := false
	defer func() {
		if !committed { // fn failed or panicked, or the commit did
			tx.Rollback()
			done(false)
		}
	}()
	if err := fn(context.WithValue(ctx, h, &unit{tx: tx})); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	committed = true
	done(true)
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// w returns where a single-statement write of ctx goes: its unit of work, or
// the write pool.
func (h *handle) w(ctx context.Context) querier {
	if u := h.unit(ctx); u != nil {
		return h.txq(u.tx)
	}
	return h.write
}

// tx runs fn, a write of several statements, in a transaction of its own, or
// in the unit of work of ctx if there is one. There it runs inside a
// savepoint, so that a failed write leaves nothing of itself behind and
// (on PostgreSQL) the unit usable: its caller may handle the error and go on.
func (h *handle) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if u := h.unit(ctx); u != nil {
		q := h.txq(u.tx)
		if _, err := q.ExecContext(ctx, `SAVEPOINT latch_write`); err != nil {
			return err
		}
		if err := fn(u.tx); err != nil {
			_, rerr := q.ExecContext(ctx, `ROLLBACK TO SAVEPOINT latch_write`)
			if rerr == nil {
				_, rerr = q.ExecContext(ctx, `RELEASE SAVEPOINT latch_write`)
			}
			if rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
		_, err := q.ExecContext(ctx, `RELEASE SAVEPOINT latch_write`)
		return err
	}
	tx, err := h.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// tx1 runs fn, a write of one statement that must leave a unit of work
// usable when it fails (its caller may handle the error and go on), on q:
// outside a unit of work on the write pool, a transaction of its own with no
// BEGIN and COMMIT round trips; in one, inside a savepoint as tx runs it.
func (h *handle) tx1(ctx context.Context, fn func(q querier) error) error {
	if h.unit(ctx) != nil {
		return h.tx(ctx, func(tx *sql.Tx) error { return fn(tx) })
	}
	return fn(h.write)
}
