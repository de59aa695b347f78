package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver Latch uses

	"github.com/latchauth/latch/account"
)

// benchPassword is every seeded user's password. It passes Latch's
// validators, so signups use it too.
const benchPassword = "correct-Horse-battery-17"

// userEmail is the address of seeded user i.
func userEmail(i int) string { return fmt.Sprintf("user%07d@bench.example", i) }

// sessionKey is the key of seeded user i's session of the given client kind
// ("browser" or "app"): 256 bits derived from the run's salt, base64url like
// Latch's own keys. The harness recomputes keys instead of keeping a million
// of them.
func sessionKey(salt []byte, kind string, i int) string {
	m := hmac.New(sha256.New, salt)
	fmt.Fprintf(m, "%s/%d", kind, i)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// database is the fresh database of one run: its engine, the URL Latch is
// given, a connection for seeding, and how to remove it.
type database struct {
	engine  string // "sqlite" or "postgres"
	latch   string // LATCH_DATABASE_URL
	sql     *sql.DB
	cleanup func() error
}

// openSeedConn opens the seeding connection once Latch has migrated the
// database. SQLite gets a connection tuned for bulk loading: Latch is not
// running meanwhile.
func (d *database) openSeedConn() error {
	var err error
	switch d.engine {
	case "sqlite":
		path := strings.TrimPrefix(d.latch, "sqlite:")
		d.sql, err = sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+
			"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(0)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)")
		if err == nil {
			d.sql.SetMaxOpenConns(1)
		}
	default:
		d.sql, err = sql.Open("pgx", d.latch)
	}
	if err != nil {
		return err
	}
	return d.sql.Ping()
}

// closeSeedConn closes the seeding connection. With SQLite it first copies
// the seeded pages from the WAL into the database file and empties the WAL,
// as Latch's own automatic checkpoints do over time: a reader looks up every
// page in the WAL's index first, so a WAL of a million fresh rows would make
// each read slower than it is in a database that has settled.
func (d *database) closeSeedConn() {
	if d.sql != nil {
		if d.engine == "sqlite" {
			d.sql.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		}
		d.sql.Close()
		d.sql = nil
	}
}

// newPostgres creates a fresh schema in the database at base and returns a
// URL whose search_path points at it; cleanup drops the schema.
func newPostgres(ctx context.Context, base string) (*database, error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: create schema: %w", redactURL(base), err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return &database{engine: "postgres", latch: u.String(), cleanup: func() error {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return err
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`)
		return err
	}}, nil
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// seedSpec says which users to add: seed indexes [From, To), each with a
// verified primary address, the password benchPassword (hash computed once)
// and one session per kind in Kinds.
type seedSpec struct {
	From, To int
	Kinds    []string
	Hash     string // argon2id hash of benchPassword with Latch's parameters
	Salt     []byte // for sessionKey
}

// seedTable is one table's bulk insert: row k of n.
type seedTable struct {
	name string
	cols []string
	n    int
	row  func(k int, vals []any)
}

// seed bulk-inserts spec's users, addresses and sessions. IDs continue after
// the largest in each table, so seeding can add to a used database.
func seed(ctx context.Context, d *database, spec seedSpec, progress io.Writer) error {
	n := spec.To - spec.From
	if n <= 0 {
		return nil
	}
	var firstUser, firstSession int64
	if err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM users`).Scan(&firstUser); err != nil {
		return err
	}
	if err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM sessions`).Scan(&firstSession); err != nil {
		return err
	}
	var firstEmail int64
	if err := d.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM email_addresses`).Scan(&firstEmail); err != nil {
		return err
	}
	now := time.Now()
	ts := func(t time.Time) any {
		if d.engine == "sqlite" {
			return t.UnixMicro()
		}
		return t.UTC()
	}
	nowV, expires, maxExpires := ts(now), ts(now.Add(14*24*time.Hour)), ts(now.Add(90*24*time.Hour))
	// Sessions were last seen at random moments of the last minute, so that
	// Latch's once-a-minute write of each session's rolling expiry is spread
	// over time, as with real users, rather than due for all at once.
	jitter := mathrand.New(mathrand.NewPCG(uint64(now.UnixNano()), 1))
	lastSeen := func() any { return ts(now.Add(-time.Duration(jitter.Int64N(int64(time.Minute))))) }
	at := float64(now.UnixMicro()) / 1e6
	publicID := func() any {
		var b [16]byte
		rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		if d.engine == "postgres" {
			return pgtype.UUID{Bytes: b, Valid: true}
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	yes := any(true)
	if d.engine == "sqlite" {
		yes = int64(1)
	}
	no := any(false)
	if d.engine == "sqlite" {
		no = int64(0)
	}
	kinds := len(spec.Kinds)
	tables := []seedTable{
		{"users", []string{"id", "public_id", "password_hash", "is_active", "is_staff", "is_superuser", "date_joined", "updated"}, n,
			func(k int, v []any) {
				v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = firstUser+int64(k)+1, publicID(), spec.Hash, yes, no, no, nowV, nowV
			}},
		{"email_addresses", []string{"id", "user_id", "email", "verified", "is_primary", "created"}, n,
			func(k int, v []any) {
				v[0], v[1], v[2], v[3], v[4], v[5] = firstEmail+int64(k)+1, firstUser+int64(k)+1, userEmail(spec.From+k), yes, yes, nowV
			}},
		{"sessions", []string{"id", "key_hash", "user_id", "client", "created", "last_seen", "expires", "max_expires", "ip", "user_agent", "state"}, n * kinds,
			func(k int, v []any) {
				u, kind := k/kinds, spec.Kinds[k%kinds]
				i := spec.From + u
				state, _ := json.Marshal(map[string]any{"methods": []map[string]any{{"method": "password", "at": at, "email": userEmail(i)}}})
				v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10] = firstSession+int64(k)+1,
					account.HashKey(sessionKey(spec.Salt, kind, i)), firstUser+int64(u)+1, kind, nowV, lastSeen(), expires, maxExpires,
					"127.0.0.1", "latch-bench", string(state)
			}},
	}
	for _, t := range tables {
		start := time.Now()
		var err error
		if d.engine == "sqlite" {
			err = insertSQLite(ctx, d.sql, t)
		} else {
			err = copyPostgres(ctx, d.sql, t)
		}
		if err != nil {
			return fmt.Errorf("seed %s: %w", t.name, err)
		}
		if progress != nil && t.n >= 100_000 {
			fmt.Fprintf(progress, "  seeded %d %s in %s\n", t.n, t.name, time.Since(start).Round(time.Millisecond))
		}
	}
	if d.engine == "postgres" {
		// COPY writes identity columns as given; move their sequences on so
		// that Latch's own inserts (signups, logins) get fresh ids.
		for _, t := range []string{"users", "email_addresses", "sessions"} {
			if _, err := d.sql.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
				return fmt.Errorf("seed %s: setval: %w", t, err)
			}
		}
		// Autovacuum would analyze the new rows soon; do it now so that the
		// planner has the statistics a live database has.
		if _, err := d.sql.ExecContext(ctx, `ANALYZE`); err != nil {
			return err
		}
	}
	// No ANALYZE for SQLite: Latch never runs it, so a real database has no
	// sqlite_stat tables (with them, SQLite compiles a statement whose plan
	// may depend on a bound value a second time after binding it).
	return nil
}

// insertSQLite inserts t in one transaction with a prepared multi-row INSERT
// (rows per statement bounded by SQLite's 32,766 parameters).
func insertSQLite(ctx context.Context, db *sql.DB, t seedTable) error {
	const batch = 500
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := map[int]*sql.Stmt{}
	prepare := func(rows int) (*sql.Stmt, error) {
		if s := stmts[rows]; s != nil {
			return s, nil
		}
		one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(t.cols)), ",") + ")"
		q := "INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
		s, err := tx.PrepareContext(ctx, q)
		stmts[rows] = s
		return s, err
	}
	vals := make([]any, batch*len(t.cols))
	for k := 0; k < t.n; k += batch {
		rows := min(batch, t.n-k)
		for r := range rows {
			t.row(k+r, vals[r*len(t.cols):(r+1)*len(t.cols)])
		}
		s, err := prepare(rows)
		if err != nil {
			return err
		}
		if _, err := s.ExecContext(ctx, vals[:rows*len(t.cols)]...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// copyPostgres loads t with COPY FROM STDIN (binary), through pgx.
func copyPostgres(ctx context.Context, db *sql.DB, t seedTable) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		k := 0
		vals := make([]any, len(t.cols))
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if k >= t.n {
				return nil, nil
			}
			t.row(k, vals)
			k++
			return vals, nil
		})
		n, err := pc.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, src)
		if err == nil && n != int64(t.n) {
			err = fmt.Errorf("copied %d rows, want %d", n, t.n)
		}
		return err
	})
}

// restamp sets the last-seen time of the given users' sessions to random
// moments of the last minute, as seeding does. The harness calls it just
// before starting the measured Latch, so that however long seeding or
// setup took, the sessions it measures are spread evenly over Latch's
// once-a-minute touch: about len(users)*len(kinds)/60 writes a second in
// the background of every session cell, the steady state of that many
// active sessions.
func restamp(ctx context.Context, d *database, salt []byte, users []int, kinds []string) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE sessions SET last_seen = $1 WHERE key_hash = $2`)
	if err != nil {
		return err
	}
	now := time.Now()
	jitter := mathrand.New(mathrand.NewPCG(uint64(now.UnixNano()), 2))
	for _, i := range users {
		for _, kind := range kinds {
			t := now.Add(-time.Duration(jitter.Int64N(int64(time.Minute))))
			var v any = t.UTC()
			if d.engine == "sqlite" {
				v = t.UnixMicro()
			}
			if _, err := stmt.ExecContext(ctx, v, account.HashKey(sessionKey(salt, kind, i))); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}
