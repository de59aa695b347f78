package main

// The operators' commands without the web app: latch users … and latch
// apikeys …, over the core's Admin family (so that each action is an
// audit event, with actor "cli").

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/server"
)

// adminCore opens the database and builds the core for an operator
// command; close releases what it opened.
func adminCore(ctx context.Context, e env) (core *account.Service, closeFn func(), err error) {
	c, err := loadConfig(e.getenv)
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(c, e.stderr)
	db, err := openDB(ctx, c, true, log)
	if err != nil {
		return nil, nil, err
	}
	// These commands send no mail; the mailer is there because the core needs one.
	mailer, err := newMailer(c, e, db, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	parts := server.Parts{DB: db, Account: c.Account, Mail: mailer, Hasher: password.NewHasher(c.Argon2),
		Limiter: ratelimit.NewMemory(nil), Log: log}
	// With PostgreSQL the running nodes hear of what a command changes
	// (a deactivation ends the cached sessions at once); a SQLite server
	// in another process sees it within LATCH_SESSION_CACHE_TTL.
	peers, err := cacheSessions(c, &parts, log)
	var built *server.Server
	if err == nil {
		built, err = server.New(parts)
	}
	if err != nil {
		if peers != nil {
			peers.Close()
		}
		mailer.Close(ctx)
		db.Close()
		return nil, nil, err
	}
	return built.Core, func() {
		built.Core.Wait()
		if peers != nil {
			peers.Close()
		}
		mailer.Close(ctx)
		db.Close()
	}, nil
}

// cliError turns the core's errors into one line for the terminal.
func cliError(err error) error {
	var input *latch.InputError
	switch {
	case errors.As(err, &input):
		var msgs []string
		for _, f := range input.Errors {
			if f.Param != "" {
				msgs = append(msgs, f.Param+": "+f.Message)
			} else {
				msgs = append(msgs, f.Message)
			}
		}
		return errors.New(strings.Join(msgs, "; "))
	case errors.Is(err, latch.ErrNotFound):
		return errors.New("no such user (give a public id, an email address or a username)")
	}
	return err
}

const usersDoc = `Manage users.

  latch users list [--q TEXT] [--staff|--inactive] [--sort S] [--limit N] [--cursor C]
  latch users create --email E [--username U] [--password-stdin] [--staff] [--verified]
  latch users deactivate <email, username or id>   ends their sessions at once
  latch users activate <email, username or id>
  latch users set-password <email, username or id> --password-stdin
  latch users delete <email, username or id>       the user and everything theirs`

func users(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlagSet("users", usersDoc, e)
		if err := fs.Parse(args); err != nil {
			return err
		}
		fs.Usage()
		return errors.New("want: latch users list|create|deactivate|activate|set-password|delete")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("users "+sub, usersDoc, e)
	actor := account.Actor{CLI: true}
	switch sub {
	case "list":
		q := fs.String("q", "", "match email or username (case-insensitive substring)")
		staffOnly := fs.Bool("staff", false, "staff users only")
		inactive := fs.Bool("inactive", false, "deactivated users only")
		sort := fs.String("sort", "-date_joined", "date_joined, -date_joined, last_login, -last_login or email")
		limit := fs.Int("limit", 50, "users to list (at most 1000)")
		cursor := fs.String("cursor", "", "continue where a previous list stopped")
		if err := fs.Parse(args); err != nil {
			return err
		}
		f := latch.UserFilter{Query: *q, Sort: *sort, Limit: *limit, Cursor: *cursor}
		if *staffOnly {
			f.Staff = staffOnly
		}
		if *inactive {
			no := false
			f.Active = &no
		}
		core, closeFn, err := adminCore(ctx, e)
		if err != nil {
			return err
		}
		defer closeFn()
		list, next, err := core.Admin.ListUsers(ctx, actor, f)
		if err != nil {
			return cliError(err)
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tEMAIL\tUSERNAME\tACTIVE\tSTAFF\tSUPERUSER\tJOINED\tLAST LOGIN")
		for _, u := range list {
			last := "-"
			if !u.LastLogin.IsZero() {
				last = u.LastLogin.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%t\t%t\t%s\t%s\n", u.PublicID, dash(u.Email), dash(u.Username), u.IsActive, u.IsStaff,
				u.IsSuperuser, u.DateJoined.UTC().Format(time.RFC3339), last)
		}
		w.Flush()
		if next != "" {
			fmt.Fprintf(e.stderr, "more: latch users list --cursor %s (with the same options)\n", next)
		}
		return nil
	case "create":
		email := fs.String("email", "", "the user's email address")
		username := fs.String("username", "", "the user's username")
		stdinPassword := fs.Bool("password-stdin", false, "read the password from the first line of standard input (without it the account has an unusable password)")
		staffFlag := fs.Bool("staff", false, "make the user staff")
		verified := fs.Bool("verified", false, "mark the address verified")
		if err := fs.Parse(args); err != nil {
			return err
		}
		in := account.NewUserInput{Email: *email, Username: *username, Staff: *staffFlag, EmailVerified: *verified}
		if *stdinPassword {
			pw, err := readPasswordLine(e.stdin)
			if err != nil {
				return err
			}
			in.Password = pw
		}
		core, closeFn, err := adminCore(ctx, e)
		if err != nil {
			return err
		}
		defer closeFn()
		u, err := core.Admin.CreateUser(ctx, actor, in)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(e.stdout, "User %s created (id %s).\n", dash(u.Email+u.Username), u.PublicID)
		return nil
	case "deactivate", "activate", "delete", "set-password":
		stdinPassword := fs.Bool("password-stdin", false, "set-password: read the new password from the first line of standard input")
		ref, err := parseWithRef(fs, args)
		if err != nil {
			return err
		}
		if sub == "set-password" && !*stdinPassword {
			return errors.New("set-password needs --password-stdin")
		}
		var plain string
		if sub == "set-password" {
			if plain, err = readPasswordLine(e.stdin); err != nil {
				return err
			}
		}
		core, closeFn, err := adminCore(ctx, e)
		if err != nil {
			return err
		}
		defer closeFn()
		switch sub {
		case "deactivate", "activate":
			active := sub == "activate"
			u, err := core.Admin.UpdateUser(ctx, actor, ref, account.UserUpdate{Active: &active})
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(e.stdout, "User %s %sd.\n", u.PublicID, sub)
		case "delete":
			if err := core.Admin.DeleteUser(ctx, actor, ref); err != nil {
				return cliError(err)
			}
			fmt.Fprintf(e.stdout, "User %s deleted.\n", ref)
		default:
			if err := core.Admin.SetPassword(ctx, actor, ref, plain); err != nil {
				return cliError(err)
			}
			fmt.Fprintf(e.stdout, "Password of %s set; their sessions have ended.\n", ref)
		}
		return nil
	}
	fs.Usage()
	return fmt.Errorf("unknown users command %q", sub)
}

// parseWithRef parses flags given before or after the one positional
// argument (a user or key reference) and returns it.
func parseWithRef(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return "", errors.New("name the user (or key)")
	}
	ref := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() != 0 {
		return "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return ref, nil
}

func readPasswordLine(r io.Reader) (string, error) {
	pw, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(pw, "\r\n"), nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

const apikeysDoc = `Manage admin API keys (Authorization: Bearer <key> on /_latch/admin/v1/).

  latch apikeys create --name N    prints the new key once; only its hash is stored
  latch apikeys list
  latch apikeys revoke <name or id>`

func apikeys(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlagSet("apikeys", apikeysDoc, e)
		if err := fs.Parse(args); err != nil {
			return err
		}
		fs.Usage()
		return errors.New("want: latch apikeys create|list|revoke")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("apikeys "+sub, apikeysDoc, e)
	var name, ref string
	switch sub {
	case "create":
		n := fs.String("name", "", "the key's name (unique), e.g. the backend that uses it")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if name = *n; name == "" {
			return errors.New("--name is required")
		}
	case "list":
		if err := fs.Parse(args); err != nil {
			return err
		}
	case "revoke":
		var err error
		if ref, err = parseWithRef(fs, args); err != nil {
			return err
		}
	default:
		fs.Usage()
		return fmt.Errorf("unknown apikeys command %q", sub)
	}
	core, closeFn, err := adminCore(ctx, e)
	if err != nil {
		return err
	}
	defer closeFn()
	switch sub {
	case "create":
		key, err := core.Admin.CreateAPIKey(ctx, name)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(e.stderr, "API key %q created. It is shown only now; store it safely:\n", name)
		fmt.Fprintln(e.stdout, key)
	case "list":
		list, err := core.Admin.APIKeys(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tCREATED\tLAST USED")
		for _, k := range list {
			last := "never"
			if !k.LastUsed.IsZero() {
				last = k.LastUsed.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", k.ID, k.Name, k.Created.UTC().Format(time.RFC3339), last)
		}
		w.Flush()
	default:
		name, err := core.Admin.RevokeAPIKey(ctx, ref)
		if errors.Is(err, latch.ErrNotFound) {
			return fmt.Errorf("no API key named or numbered %q", ref)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "API key %q revoked.\n", name)
	}
	return nil
}
