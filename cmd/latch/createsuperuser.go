package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/server"
)

func createSuperuser(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("createsuperuser", "Create an active staff superuser with a verified email address (none when LATCH_SIGNUP_FIELDS makes it optional and none is given).\nWithout options it asks for each value; the password is never echoed.", e)
	email := fs.String("email", "", "the superuser's email address (optional when LATCH_SIGNUP_FIELDS makes it so; a username is then needed)")
	username := fs.String("username", "", "the superuser's username (optional unless LATCH_SIGNUP_FIELDS lists username*; none when it lists no username)")
	stdinPassword := fs.Bool("password-stdin", false, "read the password from the first line of standard input (non-interactive)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := loadConfig(e.getenv)
	if err != nil {
		return err
	}
	log := newLogger(c, e.stderr)
	in := account.SuperuserInput{Email: *email, Username: *username}
	lines := bufio.NewReader(e.stdin)
	if *stdinPassword {
		switch {
		case in.Email == "" && !c.Account.EmailOptional:
			return errors.New("--email is required with --password-stdin")
		case in.Email == "" && in.Username == "":
			return errors.New("--email or --username is required with --password-stdin")
		case in.Username != "" && c.Account.NoUsername:
			return errors.New("--username: LATCH_SIGNUP_FIELDS lists no username, so accounts have none")
		}
		pw, err := lines.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		in.Password = strings.TrimRight(pw, "\r\n")
	} else {
		if err := askSuperuser(e, lines, &in, c.Account); err != nil {
			return err
		}
	}
	db, err := openDB(ctx, c, true, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// createsuperuser sends no mail; the mailer is there because the core
	// needs one.
	mailer, err := newMailer(c, e, db, log)
	if err != nil {
		return err
	}
	defer mailer.Close(ctx)
	built, err := server.New(server.Parts{DB: db, Account: c.Account, Mail: mailer, Hasher: password.NewHasher(c.Argon2),
		Limiter: ratelimit.NewMemory(nil), Log: log})
	if err != nil {
		return err
	}
	u, err := built.Core.Users.CreateSuperuser(ctx, in)
	var input *latch.InputError
	if errors.As(err, &input) {
		var msgs []string
		for _, f := range input.Errors {
			msgs = append(msgs, f.Param+": "+f.Message)
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	if err != nil {
		return err
	}
	name := u.Email
	if name == "" {
		name = u.Username
	}
	fmt.Fprintf(e.stdout, "Superuser %s created (id %s).\n", name, u.PublicID)
	return nil
}

// askSuperuser prompts for what the flags did not give. The password is read
// without echo and typed twice; it needs a terminal.
func askSuperuser(e env, lines *bufio.Reader, in *account.SuperuserInput, cfg account.Config) error {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return errors.New("standard input is not a terminal: use --email, --username and --password-stdin")
	}
	ask := func(prompt string, dst *string) error {
		if *dst != "" {
			return nil
		}
		fmt.Fprint(e.stdout, prompt)
		s, err := lines.ReadString('\n')
		*dst = strings.TrimSpace(s)
		return err
	}
	// The fields follow LATCH_SIGNUP_FIELDS: an optional address, a
	// required username, or no username at all.
	emailPrompt, usernamePrompt := "Email address: ", "Username (optional): "
	if cfg.EmailOptional {
		emailPrompt = "Email address (optional): "
	}
	if cfg.UsernameRequired {
		usernamePrompt = "Username: "
	}
	if err := ask(emailPrompt, &in.Email); err != nil {
		return err
	}
	if !cfg.NoUsername {
		if err := ask(usernamePrompt, &in.Username); err != nil {
			return err
		}
	}
	for {
		fmt.Fprint(e.stdout, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stdout)
		if err != nil {
			return err
		}
		fmt.Fprint(e.stdout, "Password (again): ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stdout)
		if err != nil {
			return err
		}
		if string(p1) == string(p2) {
			in.Password = string(p1)
			return nil
		}
		fmt.Fprintln(e.stdout, "The passwords do not match; try again.")
	}
}
