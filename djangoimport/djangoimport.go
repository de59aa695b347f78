// Package djangoimport moves the users of a Django project into Latch:
// it reads auth_user (or a custom user table, with its columns mapped) and,
// when present, django-allauth's account_emailaddress and socialaccount_socialaccount from the project's
// database (SQLite or PostgreSQL), and writes them in batches through the
// store, keeping the password hashes as Django wrote them (Latch verifies
// pbkdf2_sha256, pbkdf2_sha1, bcrypt_sha256, bcrypt and argon2, and keeps
// unusable "!…" passwords unusable; each is upgraded to argon2id at the
// user's first login).
//
// The import is idempotent: each account remembers the Django id it came
// from, and a second run updates it instead of creating another. Rows
// that cannot be taken are skipped with a reason; the rest goes on.
package djangoimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/latchauth/latch"
)

// Store writes imported accounts (sqlstore.Users): each batch in one
// transaction, or in the unit of work of ctx.
type Store interface {
	ImportUsers(ctx context.Context, source string, batch []latch.ImportedUser) ([]latch.ImportOutcome, error)
}

// Transactor runs a unit of work (sqlstore.DB), for dry runs.
type Transactor interface {
	Atomic(ctx context.Context, fn func(ctx context.Context) error) error
}

// errDryRun rolls a dry run's unit of work back.
var errDryRun = errors.New("dry run")

// Options shape a run.
type Options struct {
	// UserTable is the user model's table; default auth_user.
	UserTable string
	// Columns maps the fields of Django's User (id, password, last_login,
	// is_superuser, username, email, is_staff, is_active, date_joined) to
	// the table's column names where they differ; a field mapped to "" is
	// absent (e.g. username for an email-only custom user).
	Columns map[string]string
	// DryRun, with Tx, reports what would be done and writes nothing: the
	// whole run is one unit of work, rolled back at the end (on SQLite it
	// holds the write lock meanwhile).
	DryRun bool
	Tx     Transactor
	// BatchSize is the number of users per transaction; default 1000.
	BatchSize int
	// Progress, unless nil, receives a progress line after each batch,
	// rewritten in place ("\r").
	Progress io.Writer
}

// Skip is a row that was not imported.
type Skip struct {
	DjangoID int64
	Reason   string
}

// Summary is the outcome of a run.
type Summary struct {
	Imported, Updated int
	Skips             []Skip
	// SocialAccounts counts django-allauth's provider connections
	// (socialaccount_socialaccount) read with the users imported or
	// updated; each is connected to its account unless it exists already.
	SocialAccounts int
	// UnknownHashes counts users whose hash Latch cannot verify (an
	// algorithm such as md5 or scrypt): they are imported and must reset
	// their password.
	UnknownHashes int
}

// String is the summary line: "imported N, updated M, skipped K".
func (s Summary) String() string {
	return fmt.Sprintf("imported %d, updated %d, skipped %d", s.Imported, s.Updated, len(s.Skips))
}

// fields are Django User's fields the import reads, in column order.
var fields = []string{"id", "password", "last_login", "is_superuser", "username", "email", "is_staff", "is_active", "date_joined"}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Source is a Django database opened for reading.
type Source struct {
	db *sql.DB
	// postgres: the engine is PostgreSQL ($n parameters are the same).
	postgres bool
}

// Open opens the Django database: sqlite:PATH or postgres://….
func Open(from string) (*Source, error) {
	if path, ok := strings.CutPrefix(from, "sqlite:"); ok {
		if path == "" {
			return nil, errors.New("sqlite: needs a file path")
		}
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
		if err != nil {
			return nil, err
		}
		return &Source{db: db}, nil
	}
	if strings.HasPrefix(from, "postgres://") || strings.HasPrefix(from, "postgresql://") {
		db, err := sql.Open("pgx", from)
		if err != nil {
			return nil, err
		}
		return &Source{db: db, postgres: true}, nil
	}
	return nil, errors.New("want sqlite:PATH or postgres://…")
}

// Close closes the source.
func (s *Source) Close() error { return s.db.Close() }

// hasTable reports whether the source has a table of that name.
func (s *Source) hasTable(ctx context.Context, name string) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if s.postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_name = $1 AND table_schema = ANY (current_schemas(false))`
	}
	var n int
	err := s.db.QueryRowContext(ctx, q, name).Scan(&n)
	return n > 0, err
}

// Import reads the source's users in batches of opts.BatchSize, by id, and
// writes each batch in one transaction through st. It stops at the first
// error that is not a row's own problem.
func Import(ctx context.Context, src *Source, st Store, opts Options) (Summary, error) {
	if !opts.DryRun {
		return importAll(ctx, src, st, opts)
	}
	if opts.Tx == nil {
		return Summary{}, errors.New("djangoimport: a dry run needs Options.Tx")
	}
	var sum Summary
	err := opts.Tx.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if sum, err = importAll(ctx, src, st, opts); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return sum, err
}

func importAll(ctx context.Context, src *Source, st Store, opts Options) (Summary, error) {
	var sum Summary
	table := opts.UserTable
	if table == "" {
		table = "auth_user"
	}
	batchSize := opts.BatchSize
	if batchSize <= 0 {
		batchSize = 1000
	}
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = f
		if c, ok := opts.Columns[f]; ok {
			cols[i] = c
		}
		if cols[i] == "" {
			if f == "id" || f == "password" {
				return sum, fmt.Errorf("the user table needs a column for %s", f)
			}
			cols[i] = "NULL"
		} else if !identifier.MatchString(cols[i]) {
			return sum, fmt.Errorf("column %q for %s is not a plain identifier", cols[i], f)
		}
	}
	if !identifier.MatchString(table) {
		return sum, fmt.Errorf("table %q is not a plain identifier", table)
	}
	if ok, err := src.hasTable(ctx, table); err != nil {
		return sum, fmt.Errorf("read the Django database: %w", err)
	} else if !ok {
		return sum, fmt.Errorf("the Django database has no table %s", table)
	}
	withEmails, err := src.hasTable(ctx, "account_emailaddress")
	if err != nil {
		return sum, err
	}
	withSocial, err := src.hasTable(ctx, "socialaccount_socialaccount")
	if err != nil {
		return sum, err
	}
	var total int
	if err := src.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&total); err != nil {
		return sum, fmt.Errorf("count users: %w", err)
	}
	source := "django:" + table
	first := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table + ` ORDER BY ` + cols[0] + ` LIMIT $1`
	next := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table + ` WHERE ` + cols[0] + ` > $2 ORDER BY ` + cols[0] + ` LIMIT $1`
	var after int64
	done := 0
	for {
		query, args := first, []any{batchSize}
		if done > 0 {
			query, args = next, append(args, after)
		}
		rows, err := src.readUsers(ctx, query, args...)
		if err != nil {
			return sum, err
		}
		if len(rows) == 0 {
			break
		}
		after = rows[len(rows)-1].id
		if withEmails {
			if err := src.readEmails(ctx, rows); err != nil {
				return sum, err
			}
		}
		if withSocial {
			if err := src.readSocial(ctx, rows); err != nil {
				return sum, err
			}
		}
		var batch []latch.ImportedUser
		var ids []int64
		for i := range rows {
			u, reason := rows[i].user()
			if reason != "" {
				sum.Skips = append(sum.Skips, Skip{rows[i].id, reason})
				continue
			}
			if !knownHash(u.User.PasswordHash) {
				sum.UnknownHashes++
			}
			batch = append(batch, u)
			ids = append(ids, rows[i].id)
			sum.SocialAccounts += len(u.Providers)
		}
		out, err := st.ImportUsers(ctx, source, batch)
		if err != nil {
			return sum, err
		}
		for i, o := range out {
			switch o.Result {
			case latch.Imported:
				sum.Imported++
			case latch.Updated:
				sum.Updated++
			default:
				sum.Skips = append(sum.Skips, Skip{ids[i], o.Reason})
			}
		}
		done += len(rows)
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "\r%s %d/%d users", bar(done, total), done, total)
		}
	}
	if opts.Progress != nil && done > 0 {
		fmt.Fprintln(opts.Progress)
	}
	sort.Slice(sum.Skips, func(i, j int) bool { return sum.Skips[i].DjangoID < sum.Skips[j].DjangoID })
	return sum, nil
}

// bar draws a 30-character progress bar.
func bar(done, total int) string {
	n := 30
	if total > 0 {
		n = min(30, done*30/total)
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 30-n) + "]"
}

// knownHash reports whether Latch verifies a Django password encoding (or
// it is unusable, which needs no verifying).
func knownHash(h string) bool {
	if h == "" || strings.HasPrefix(h, "!") {
		return true
	}
	algo, _, _ := strings.Cut(h, "$")
	switch algo {
	case "pbkdf2_sha256", "pbkdf2_sha1", "bcrypt_sha256", "bcrypt", "argon2":
		return true
	}
	return false
}

// row is a Django user as read.
type row struct {
	id                         int64
	password, username, email  string
	lastLogin, dateJoined      time.Time
	superuser, staff, active   bool
	emails                     []latch.EmailAddress
	providers                  []latch.SocialAccount
	primarySeen, emailsPresent bool
}

func (s *Source) readUsers(ctx context.Context, query string, args ...any) ([]row, error) {
	rs, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		var password, username, email sql.NullString
		var last, joined, super, staff, active any
		if err := rs.Scan(&r.id, &password, &last, &super, &username, &email, &staff, &active, &joined); err != nil {
			return nil, fmt.Errorf("read users: %w", err)
		}
		r.password, r.username, r.email = password.String, strings.TrimSpace(username.String), strings.TrimSpace(email.String)
		var errs []error
		r.lastLogin, err = toTime(last)
		errs = append(errs, err)
		r.dateJoined, err = toTime(joined)
		errs = append(errs, err)
		r.superuser, err = toBool(super, false)
		errs = append(errs, err)
		r.staff, err = toBool(staff, false)
		errs = append(errs, err)
		r.active, err = toBool(active, true)
		errs = append(errs, err)
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("user %d: %w", r.id, err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// readEmails adds allauth's addresses to the batch's users.
func (s *Source) readEmails(ctx context.Context, rows []row) error {
	byID := make(map[int64]*row, len(rows))
	for i := range rows {
		byID[rows[i].id] = &rows[i]
	}
	rs, err := s.db.QueryContext(ctx, `SELECT user_id, email, verified, "primary" FROM account_emailaddress WHERE user_id BETWEEN $1 AND $2 ORDER BY user_id, id`,
		rows[0].id, rows[len(rows)-1].id)
	if err != nil {
		return fmt.Errorf("read account_emailaddress: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var userID int64
		var email string
		var verified, primary any
		if err := rs.Scan(&userID, &email, &verified, &primary); err != nil {
			return fmt.Errorf("read account_emailaddress: %w", err)
		}
		r := byID[userID]
		if r == nil {
			continue
		}
		v, err1 := toBool(verified, false)
		p, err2 := toBool(primary, false)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("account_emailaddress of user %d: %w", userID, err)
		}
		r.emailsPresent = true
		r.addEmail(email, v, p && !r.primarySeen)
		r.primarySeen = r.primarySeen || p
	}
	return rs.Err()
}

// readSocial adds allauth's provider accounts to the batch's users: the
// provider id and uid as allauth kept them, and the address of extra_data
// when it has one.
func (s *Source) readSocial(ctx context.Context, rows []row) error {
	byID := make(map[int64]*row, len(rows))
	for i := range rows {
		byID[rows[i].id] = &rows[i]
	}
	rs, err := s.db.QueryContext(ctx, `SELECT user_id, provider, uid, extra_data, date_joined, last_login FROM socialaccount_socialaccount WHERE user_id BETWEEN $1 AND $2 ORDER BY user_id, id`,
		rows[0].id, rows[len(rows)-1].id)
	if err != nil {
		return fmt.Errorf("read socialaccount_socialaccount: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var userID int64
		var provider, uid string
		var extra sql.NullString
		var joined, last any
		if err := rs.Scan(&userID, &provider, &uid, &extra, &joined, &last); err != nil {
			return fmt.Errorf("read socialaccount_socialaccount: %w", err)
		}
		r := byID[userID]
		if r == nil {
			continue
		}
		created, err1 := toTime(joined)
		lastLogin, err2 := toTime(last)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("socialaccount_socialaccount of user %d: %w", userID, err)
		}
		var data struct {
			Email string `json:"email"`
		}
		_ = json.Unmarshal([]byte(extra.String), &data) // extra_data is the provider's; an address when it has one
		r.providers = append(r.providers, latch.SocialAccount{Provider: provider, UID: uid, Email: data.Email, Created: created, LastLogin: lastLogin})
	}
	return rs.Err()
}

func (r *row) addEmail(email string, verified, primary bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return
	}
	for i := range r.emails {
		if r.emails[i].Email == email {
			r.emails[i].Verified = r.emails[i].Verified || verified
			r.emails[i].Primary = r.emails[i].Primary || primary
			return
		}
	}
	r.emails = append(r.emails, latch.EmailAddress{Email: email, Verified: verified, Primary: primary, Created: r.dateJoined})
}

// user turns a row into an import, or gives the reason it cannot be one.
func (r *row) user() (latch.ImportedUser, string) {
	if r.email != "" {
		// auth_user.email is the primary address unless allauth names one.
		r.addEmail(r.email, false, !r.primarySeen && !r.emailsPresent)
	}
	if len(r.emails) > 0 && !r.hasPrimary() {
		r.emails[0].Primary = true
	}
	switch {
	case len(r.emails) == 0 && r.username == "":
		return latch.ImportedUser{}, "no email address and no username"
	case r.dateJoined.IsZero():
		return latch.ImportedUser{}, "no date_joined"
	}
	for _, e := range r.emails {
		if at := strings.LastIndexByte(e.Email, '@'); at <= 0 || at == len(e.Email)-1 {
			return latch.ImportedUser{}, "invalid email address " + strconv.Quote(e.Email)
		}
	}
	return latch.ImportedUser{SourceID: r.id, Emails: r.emails, Providers: r.providers, User: latch.User{
		PublicID: uuid.NewString(), Username: r.username, PasswordHash: r.password,
		IsActive: r.active, IsStaff: r.staff, IsSuperuser: r.superuser,
		DateJoined: r.dateJoined, LastLogin: r.lastLogin, Updated: time.Now(),
	}}, ""
}

func (r *row) hasPrimary() bool {
	for _, e := range r.emails {
		if e.Primary {
			return true
		}
	}
	return false
}

// toTime reads a datetime as either engine returns it: a time (PostgreSQL,
// or SQLite's driver for DATETIME columns) or Django's SQLite text
// ("2006-01-02 15:04:05.999999", UTC, optionally with an offset); NULL is
// the zero time.
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x.UTC(), nil
	case []byte:
		return toTime(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("cannot read %q as a time", x)
	}
	return time.Time{}, fmt.Errorf("cannot read %T as a time", v)
}

// toBool reads a boolean as either engine returns it; NULL is def.
func toBool(v any, def bool) (bool, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case []byte:
		return toBool(string(x), def)
	case string:
		b, err := strconv.ParseBool(x)
		return b, err
	}
	return false, fmt.Errorf("cannot read %T as a boolean", v)
}
