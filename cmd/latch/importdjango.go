package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/latchauth/latch/djangoimport"
)

func importDjango(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("import-django", "Import the users of a Django project (auth_user, or --user-table, and django-allauth's\n"+
		"account_emailaddress and socialaccount_socialaccount when present) with their password hashes, in batches of one transaction\n"+
		"each. Running it again updates the users it imported before; it never duplicates them.", e)
	from := fs.String("from", "", "the Django database: sqlite:PATH or postgres://user@host/db")
	table := fs.String("user-table", "auth_user", "the user model's table")
	columns := fs.String("columns", "", "the table's column names where they differ from Django's User, as field=column,… (field=none: absent),\nfor the fields id, password, last_login, is_superuser, username, email, is_staff, is_active, date_joined")
	dry := fs.Bool("dry-run", false, "report what would be imported and write nothing")
	batch := fs.Int("batch", 1000, "users per transaction")
	verbose := fs.Bool("v", false, "list every skipped row with its reason (otherwise the first 20)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		fs.Usage()
		return errors.New("--from is required")
	}
	opts := djangoimport.Options{UserTable: *table, DryRun: *dry, BatchSize: *batch, Columns: map[string]string{}}
	if *columns != "" {
		for _, pair := range strings.Split(*columns, ",") {
			f, c, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				return fmt.Errorf("--columns: %q is not field=column", pair)
			}
			if c == "none" {
				c = ""
			}
			opts.Columns[f] = c
		}
	}
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress = e.stderr
	}
	c, err := loadConfig(e.getenv)
	if err != nil {
		return err
	}
	log := newLogger(c, e.stderr)
	db, err := openDB(ctx, c, true, log)
	if err != nil {
		return err
	}
	defer db.Close()
	opts.Tx = db
	src, err := djangoimport.Open(*from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	start := time.Now()
	sum, err := djangoimport.Import(ctx, src, db.Users, opts)
	if err != nil {
		return err
	}
	for i, s := range sum.Skips {
		if i == 20 && !*verbose {
			fmt.Fprintf(e.stderr, "… and %d more skipped (-v lists them all)\n", len(sum.Skips)-20)
			break
		}
		fmt.Fprintf(e.stderr, "skipped Django user %d: %s\n", s.DjangoID, s.Reason)
	}
	if sum.UnknownHashes > 0 {
		fmt.Fprintf(e.stderr, "%d users have a password hash Latch cannot verify (e.g. md5, scrypt): they must reset their password\n", sum.UnknownHashes)
	}
	if sum.SocialAccounts > 0 {
		fmt.Fprintf(e.stderr, "%d provider connections (socialaccount_socialaccount) read with those users\n", sum.SocialAccounts)
	}
	prefix := ""
	if *dry {
		prefix = "dry run: "
	}
	fmt.Fprintf(e.stdout, "%s%s (%s)\n", prefix, sum, time.Since(start).Round(time.Millisecond))
	return nil
}
