// Command latch is the Latch authentication server: `latch serve` runs it,
// `latch migrate` prepares its database, `latch createsuperuser` adds an
// administrator, `latch version` prints the version.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/latchauth/latch/httpapi"
	"github.com/latchauth/latch/postgres"
	"github.com/latchauth/latch/sqlite"
	"github.com/latchauth/latch/sqlstore"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// it comes from the module's build information.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts the drain (serve.go); a second one stops the
	// process at once, as the signal does by default.
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "latch:", err)
		os.Exit(1)
	}
}

// env is what a command gets from its caller; tests pass their own.
type env struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// environ lists the variables set, as NAME=VALUE (default: os.Environ).
	environ func() []string
}

const usage = `Latch is a self-hosted authentication server for single-page and mobile apps.

Usage:
  latch serve            run the server (migrates the database first)
  latch migrate          apply database migrations and exit
  latch createsuperuser  create an administrator account
  latch keys rotate      add a new JWT signing key (latch keys list: show them)
  latch backup PATH      write a consistent copy of the SQLite database
  latch users …          list, create, deactivate, activate, set-password, delete users
  latch apikeys …        create, list, revoke admin API keys
  latch import-django    import the users of a Django database, password hashes kept
  latch version          print the version

Run "latch COMMAND --help" for a command's options. Configuration is read
from LATCH_* environment variables: "latch serve --help" lists them.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, environ: os.Environ}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, e, rest)
	case "migrate":
		return migrate(ctx, e, rest)
	case "createsuperuser":
		return createSuperuser(ctx, e, rest)
	case "keys":
		return keys(ctx, e, rest)
	case "backup":
		return backup(ctx, e, rest)
	case "users":
		return users(ctx, e, rest)
	case "apikeys":
		return apikeys(ctx, e, rest)
	case "import-django":
		return importDjango(ctx, e, rest)
	case "version":
		fs := newFlagSet("version", "Print Latch's version.", e)
		if err := fs.Parse(rest); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "latch", versionString())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newFlagSet(name, doc string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stdout)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: latch %s [options]\n\n%s\n", name, doc)
		fs.PrintDefaults()
	}
	return fs
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newLogger(c *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	// Lines logged for a request carry its X-Request-Id as request_id.
	if c.LogFormat == "json" {
		return slog.New(httpapi.RequestIDLogs(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(httpapi.RequestIDLogs(slog.NewTextHandler(w, opts)))
}

// openDB opens the configured database, migrating it when migrate is true.
func openDB(ctx context.Context, c *config, migrate bool, log *slog.Logger) (*sqlstore.DB, error) {
	if path, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok {
		return sqlite.Open(ctx, path, migrate, log)
	}
	return postgres.Open(ctx, c.DatabaseURL, migrate, log)
}

// secretKey returns LATCH_SECRET_KEY or, when it is unset, a key generated
// once and kept in a file beside the SQLite database (or in the working
// directory for PostgreSQL), with a warning: several nodes must share one.
func secretKey(c *config, log *slog.Logger) (string, error) {
	if c.SecretKey != "" {
		return c.SecretKey, nil
	}
	file := "latch.secret"
	if path, ok := strings.CutPrefix(c.DatabaseURL, "sqlite:"); ok {
		file = filepath.Join(filepath.Dir(path), "latch.secret")
	}
	if b, err := os.ReadFile(file); err == nil {
		if k := strings.TrimSpace(string(b)); len(k) >= 32 {
			return k, nil
		}
		return "", fmt.Errorf("secret key file %s is shorter than 32 characters", file)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read secret key: %w", err)
	}
	var b [48]byte
	rand.Read(b[:])
	k := base64.RawURLEncoding.EncodeToString(b[:])
	if err := os.WriteFile(file, []byte(k+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store generated secret key: %w", err)
	}
	log.Warn("LATCH_SECRET_KEY is not set: generated one and stored it; set LATCH_SECRET_KEY in production, the same on every node", "file", file)
	return k, nil
}
