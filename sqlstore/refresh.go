package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/latchauth/latch"
)

// RefreshTokens is the refresh_tokens table: the families of single-use
// refresh tokens that keep a session's access tokens coming.
type RefreshTokens struct {
	h *handle
	// group, when set, commits concurrent rotations together (see
	// RotateRefreshToken): the writer is one connection, or (made on first
	// use, under once) the engine has writable common table expressions.
	group *rotations
	once  sync.Once
}

// batches returns the group commit of rotations, or nil if the store has
// none.
func (rs *RefreshTokens) batches() *rotations {
	rs.once.Do(func() {
		if rs.group == nil && rs.h.d.WritableCTE {
			rs.group = &rotations{}
		}
	})
	return rs.group
}

// AddRefreshToken stores a refresh token; adding the same hash twice is not
// an error (successors are derived deterministically, and concurrent
// refreshes within the grace window all add the same one).
func (rs *RefreshTokens) AddRefreshToken(ctx context.Context, t *latch.RefreshToken) (err error) {
	defer rs.h.classify(&err)
	return rs.h.insertRefresh(ctx, rs.h.w(ctx), t)
}

func (h *handle) insertRefresh(ctx context.Context, q querier, t *latch.RefreshToken) error {
	_, err := q.ExecContext(ctx, `INSERT INTO refresh_tokens (token_hash, session_id, created, expires) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token_hash) DO NOTHING`, t.Hash, t.SessionID, h.t(t.Created), h.t(t.Expires))
	return err
}

// UseRefreshToken marks the token used at now unless it was used before,
// atomically, and returns it with the time of its first use: of concurrent
// callers exactly one sees UsedAt equal to its own now.
func (rs *RefreshTokens) UseRefreshToken(ctx context.Context, hash []byte, now time.Time) (_ *latch.RefreshToken, err error) {
	defer rs.h.classify(&err)
	t := &latch.RefreshToken{Hash: hash}
	err = rs.h.w(ctx).QueryRowContext(ctx, `UPDATE refresh_tokens SET used_at = COALESCE(used_at, $1) WHERE token_hash = $2
		RETURNING id, session_id, created, expires, used_at`, rs.h.t(now), hash).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return t, err
}

// RefreshTokenByHash returns a refresh token without using it.
func (rs *RefreshTokens) RefreshTokenByHash(ctx context.Context, hash []byte) (_ *latch.RefreshToken, err error) {
	defer rs.h.classify(&err)
	t := &latch.RefreshToken{Hash: hash}
	err = rs.h.readRow(ctx, `SELECT id, session_id, created, expires, used_at FROM refresh_tokens WHERE token_hash = $1`, hash).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	}
	return t, err
}

// The statements of a rotation. The claim takes an unused token only, so
// that a repeat writes nothing; the lookup then finds the token's first use,
// in the same transaction.
const (
	claimRefreshQuery = `UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND expires > $1 AND used_at IS NULL
		RETURNING id, session_id, created, expires, used_at`
	usedRefreshQuery = `SELECT id, session_id, created, expires, used_at FROM refresh_tokens
		WHERE token_hash = $1 AND expires > $2 AND used_at IS NOT NULL`
	insertRefreshQuery = `INSERT INTO refresh_tokens (token_hash, session_id, created, expires) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token_hash) DO NOTHING`
)

// rotateRefreshCTE is a batch of rotations in one statement, for engines
// with writable common table expressions (Dialect.WritableCTE): $1 the
// tokens' hashes (distinct), $2 their successors', $3 each one's now, $4
// each successor's lifetime in microseconds. It claims unused tokens only
// and returns the claimed; repeatRefreshCTE answers a token used before,
// one at a time ($1 now, $2 the hash, $3 the successor's, $4 its lifetime),
// in a statement of its own, whose snapshot sees the uses committed since.
// rotateOneRefreshCTE, with repeatRefreshCTE's parameters, is a batch of
// one: PostgreSQL spent ~120 µs more on the array form of one rotation.
const (
	rotateRefreshCTE = `WITH req AS (
		SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::timestamptz[], $4::bigint[]) AS r (hash, next, now, ttl)
	), used AS (
		UPDATE refresh_tokens t SET used_at = req.now FROM req
		WHERE t.token_hash = req.hash AND t.expires > req.now AND t.used_at IS NULL
		RETURNING t.token_hash, t.id, t.session_id, t.created, t.expires, t.used_at, req.next, req.ttl
	), successor AS (
		INSERT INTO refresh_tokens (token_hash, session_id, created, expires)
		SELECT next, session_id, used_at, used_at + ttl * interval '1 microsecond' FROM used
		ON CONFLICT (token_hash) DO NOTHING
	)
	SELECT token_hash, id, session_id, created, expires, used_at FROM used`
	rotateOneRefreshCTE = `WITH used AS (
		UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND expires > $1 AND used_at IS NULL
		RETURNING id, session_id, created, expires, used_at
	), successor AS (
		INSERT INTO refresh_tokens (token_hash, session_id, created, expires)
		SELECT $3, session_id, used_at, used_at + $4::bigint * interval '1 microsecond' FROM used
		ON CONFLICT (token_hash) DO NOTHING
	)
	SELECT id, session_id, created, expires, used_at FROM used`
	repeatRefreshCTE = `WITH used AS (
		SELECT id, session_id, created, expires, used_at FROM refresh_tokens
		WHERE token_hash = $2 AND expires > $1 AND used_at IS NOT NULL
	), successor AS (
		INSERT INTO refresh_tokens (token_hash, session_id, created, expires)
		SELECT $3, session_id, used_at, used_at + $4::bigint * interval '1 microsecond' FROM used
		ON CONFLICT (token_hash) DO NOTHING
	)
	SELECT id, session_id, created, expires, used_at FROM used`
)

// maxRotationBatch bounds how many rotations one group commit holds, so
// that a burst does not keep the writer in one long transaction.
const maxRotationBatch = 64

// RotateRefreshToken exchanges a refresh token for its successor in one
// transaction: it marks the unexpired token with hash used at now unless it
// was used before, adds the successor with hash next (created at the token's
// first use and expiring ttl later; adding it again is a no-op, as
// successors are derived from their token), and returns the token with the
// time of its first use. Of concurrent callers exactly one sees UsedAt equal
// to its own now. A token used before is not written again: a repeat
// writes nothing unless its successor is missing. Errors: latch.ErrNotFound
// when no unexpired token has hash (unknown, expired, or its session ended),
// which writes nothing either.
//
// Outside a unit of work, concurrent rotations are committed together:
// those that arrive while one batch commits wait for the next, and each
// caller is answered only once its own rotation has committed. On SQLite,
// whose writer is one connection and whose every commit waits for the disk,
// a batch is one transaction of prepared statements; on an engine with
// writable common table expressions (PostgreSQL) it is one statement, one
// round trip and one commit for the batch (and one more statement for each
// token used before). In a unit of work the rotation is part of it.
func (rs *RefreshTokens) RotateRefreshToken(ctx context.Context, hash []byte, now time.Time, next []byte, ttl time.Duration) (_ *latch.RefreshToken, err error) {
	defer rs.h.classify(&err)
	r := &rotation{ctx: ctx, hash: hash, next: next, now: now, ttl: ttl}
	if g := rs.batches(); g != nil && rs.h.unit(ctx) == nil {
		return g.do(ctx, rs.h, r)
	}
	if u := rs.h.unit(ctx); u != nil && rs.h.d.WritableCTE {
		err = rotationStatement(ctx, &rs.h.d, u.tx, []*rotation{r})
	} else {
		err = rs.h.tx(ctx, func(tx *sql.Tx) error {
			st, err := prepareRotation(ctx, tx)
			if err != nil {
				return err
			}
			defer st.close()
			return r.run(ctx, &rs.h.d, st)
		})
	}
	if err != nil {
		return nil, err
	}
	return r.t, r.err
}

// rotationStatement runs rotations as one rotateRefreshCTE on q (a batch of
// one: rotateOneRefreshCTE), then repeatRefreshCTE for each token the batch
// did not claim (used before, a second rotation of a token in the batch, or
// not there), and sets each one's answer. q is the write pool or a unit of
// work's transaction; d is its engine's.
func rotationStatement(ctx context.Context, d *Dialect, q rowsQuerier, rotations []*rotation) error {
	seen := make(map[string]bool, len(rotations))
	distinct := make([]*rotation, 0, len(rotations))
	for _, r := range rotations {
		r.t, r.err = nil, latch.ErrNotFound
		if !seen[string(r.hash)] {
			seen[string(r.hash)] = true
			distinct = append(distinct, r)
		}
	}
	var err error
	if len(distinct) == 1 {
		err = distinct[0].runOne(ctx, d, q, rotateOneRefreshCTE)
	} else {
		err = claimBatch(ctx, q, distinct)
	}
	if err != nil {
		return err
	}
	for _, r := range rotations {
		if r.t == nil {
			if err := r.runOne(ctx, d, q, repeatRefreshCTE); err != nil {
				return err
			}
		}
	}
	return nil
}

// runOne runs query, rotateOneRefreshCTE or repeatRefreshCTE, for r on q
// and answers r if it returns the token.
func (r *rotation) runOne(ctx context.Context, d *Dialect, q querier, query string) error {
	t := &latch.RefreshToken{Hash: r.hash}
	err := q.QueryRowContext(ctx, query, d.Time(r.now), r.hash, r.next, r.ttl.Microseconds()).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	switch {
	case err == nil:
		r.t, r.err = t, nil
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return nil
}

// rowsQuerier is a querier that also runs queries of several rows: *sql.DB
// and *sql.Tx.
type rowsQuerier interface {
	querier
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// claimBatch runs rotateRefreshCTE for rotations, of distinct tokens, and
// answers those whose token it claimed.
func claimBatch(ctx context.Context, q rowsQuerier, rotations []*rotation) error {
	byHash := make(map[string]*rotation, len(rotations))
	hashes, nexts := make([][]byte, len(rotations)), make([][]byte, len(rotations))
	nows, ttls := make([]time.Time, len(rotations)), make([]int64, len(rotations))
	for i, r := range rotations {
		byHash[string(r.hash)] = r
		hashes[i], nexts[i], nows[i], ttls[i] = r.hash, r.next, r.now, r.ttl.Microseconds()
	}
	rows, err := q.QueryContext(ctx, rotateRefreshCTE, hashes, nexts, nows, ttls)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		t := &latch.RefreshToken{}
		if err := rows.Scan(&t.Hash, &t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt}); err != nil {
			return err
		}
		if r := byHash[string(t.Hash)]; r != nil {
			r.t, r.err = t, nil
		}
	}
	return rows.Err()
}

// rotation is one RotateRefreshToken call; t and err are its answer.
type rotation struct {
	ctx       context.Context
	hash      []byte
	next      []byte
	now       time.Time
	ttl       time.Duration
	t         *latch.RefreshToken
	err       error
	committed chan struct{} // closed once t and err are set
}

// rotationStmts are a rotation's statements, prepared.
type rotationStmts struct{ claim, used, insert *sql.Stmt }

// run runs r in the transaction that st belong to: the claim, or for a
// token used before the lookup of its first use, then the successor's
// insert. A token not found is r's answer (latch.ErrNotFound), not a failure
// of the transaction: nothing was written for it.
func (r *rotation) run(ctx context.Context, d *Dialect, st rotationStmts) error {
	t := &latch.RefreshToken{Hash: r.hash}
	err := st.claim.QueryRowContext(ctx, d.Time(r.now), r.hash).
		Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		err = st.used.QueryRowContext(ctx, r.hash, d.Time(r.now)).
			Scan(&t.ID, &t.SessionID, instant{&t.Created}, instant{&t.Expires}, instant{&t.UsedAt})
	}
	if errors.Is(err, sql.ErrNoRows) {
		r.t, r.err = nil, latch.ErrNotFound
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := st.insert.ExecContext(ctx, r.next, t.SessionID, d.Time(t.UsedAt), d.Time(t.UsedAt.Add(r.ttl))); err != nil {
		return err
	}
	r.t, r.err = t, nil
	return nil
}

// writerRotationStmts returns the writer's prepared rotation statements,
// preparing them on first use: parsing them again for every rotation costs
// SQLite more than running them. Not to be called while a transaction holds
// a single-connection writer: there is no connection left to prepare on.
func (h *handle) writerRotationStmts(ctx context.Context) (st rotationStmts, err error) {
	if st.claim, err = h.preparedWrite(ctx, claimRefreshQuery); err != nil {
		return st, err
	}
	if st.used, err = h.preparedWrite(ctx, usedRefreshQuery); err != nil {
		return st, err
	}
	if st.insert, err = h.preparedWrite(ctx, insertRefreshQuery); err != nil {
		return st, err
	}
	return st, nil
}

// prepareRotation prepares the rotation statements in tx, a unit of work;
// the caller closes them.
func prepareRotation(ctx context.Context, tx *sql.Tx) (st rotationStmts, err error) {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{{&st.claim, claimRefreshQuery}, {&st.used, usedRefreshQuery}, {&st.insert, insertRefreshQuery}} {
		if *p.stmt, err = tx.PrepareContext(ctx, p.query); err != nil {
			st.close()
			return rotationStmts{}, err
		}
	}
	return st, nil
}

// close closes the statements that st holds.
func (st rotationStmts) close() {
	for _, s := range []*sql.Stmt{st.claim, st.used, st.insert} {
		if s != nil {
			s.Close()
		}
	}
}

// rotations is the group commit of a single-connection writer: the queue of
// rotations waiting for the next transaction, whether a goroutine is
// committing them, and whether that goroutine is parked, waiting on wake for
// more.
type rotations struct {
	mu      sync.Mutex
	queue   []*rotation
	running bool
	parked  bool
	wake    chan struct{} // made on first use; holds at most one wake-up
}

// drainIdle is how long the committing goroutine stays parked for more
// rotations before it ends. Reusing it keeps the stack it grew to SQLite's
// depth: a new goroutine for each burst grew its stack twice, ~60,000
// instructions, 8 % of a refresh at one connection.
const drainIdle = 2 * time.Second

// do queues r and waits for its answer, or for ctx to end (r may then still
// commit, as a request may commit just before its client goes away).
func (g *rotations) do(ctx context.Context, h *handle, r *rotation) (*latch.RefreshToken, error) {
	r.committed = make(chan struct{})
	g.mu.Lock()
	g.queue = append(g.queue, r)
	if !g.running {
		g.running = true
		if g.parked {
			g.parked = false
			g.wake <- struct{}{}
		} else {
			if g.wake == nil {
				g.wake = make(chan struct{}, 1)
			}
			go g.drain(h)
		}
	}
	g.mu.Unlock()
	select {
	case <-r.committed:
		return r.t, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// drain commits the queue, a batch at a time, until it is empty; then it
// parks for up to drainIdle, and goes on if do wakes it.
func (g *rotations) drain(h *handle) {
	var idle *time.Timer
	for {
		g.mu.Lock()
		batch := g.queue
		if len(batch) > maxRotationBatch {
			batch, g.queue = batch[:maxRotationBatch:maxRotationBatch], batch[maxRotationBatch:]
		} else {
			g.queue = nil
		}
		if len(batch) == 0 {
			g.running, g.parked = false, true
			g.mu.Unlock()
			if idle == nil {
				idle = time.NewTimer(drainIdle)
			} else {
				idle.Reset(drainIdle)
			}
			if !g.park(idle) {
				return
			}
			continue
		}
		g.mu.Unlock()
		g.commit(h, batch)
		for _, r := range batch {
			close(r.committed)
		}
	}
}

// park waits for do to wake the parked goroutine, reporting false if idle
// fired first and the goroutine is to end.
func (g *rotations) park(idle *time.Timer) bool {
	select {
	case <-g.wake:
		return true
	case <-idle.C:
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.parked {
		// do took the parked goroutine just as the timer fired: its
		// wake-up, sent under the lock, is in the channel.
		<-g.wake
		return true
	}
	g.parked = false
	return false
}

// commit runs the rotations of batch whose callers still wait in
// one transaction and sets each one's answer. If the transaction fails (a
// statement of one rotation, or the commit), it is rolled back and each
// rotation is tried again in a transaction of its own, so that one bad
// rotation fails alone and a failure of the database fails every one, with
// nothing of them written.
func (g *rotations) commit(h *handle, batch []*rotation) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// Not a caller's context: it ends when that caller stops waiting, and
	// the transaction holds the others' rotations too.
	ctx := context.Background()
	commit := h.rotationTx
	if h.d.WritableCTE {
		commit = func(ctx context.Context, rotations []*rotation) error {
			return rotationStatement(ctx, &h.d, h.write, rotations)
		}
	}
	err := commit(ctx, live)
	if err == nil || len(live) == 1 {
		for _, r := range live {
			if err != nil {
				r.t, r.err = nil, err
			}
		}
		return
	}
	for _, r := range live {
		if err := commit(ctx, []*rotation{r}); err != nil {
			r.t, r.err = nil, err
		}
	}
}

// rotationTx runs rotations in one transaction of their own on the writer.
func (h *handle) rotationTx(ctx context.Context, rotations []*rotation) error {
	st, err := h.writerRotationStmts(ctx)
	if err != nil {
		return err
	}
	tx, err := h.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	in := rotationStmts{tx.StmtContext(ctx, st.claim), tx.StmtContext(ctx, st.used), tx.StmtContext(ctx, st.insert)}
	for _, r := range rotations {
		if err := r.run(ctx, &h.d, in); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
