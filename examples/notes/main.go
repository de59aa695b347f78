// Command notes is an example resource server protected by Latch: a small
// JSON API of notes, where each user sees and edits only their own, and
// superusers may list the users the server has seen. It keeps everything in
// memory.
//
//	LATCH_URL=http://127.0.0.1:8000 NOTES_ADDR=127.0.0.1:8080 go run ./examples/notes
//
// LATCH_URL is where this server reaches Latch. When that is not the URL
// Latch's users see (an internal address behind a proxy), set
// LATCH_PUBLIC_URL — and LATCH_JWT_AUDIENCE if Latch has one — to the same
// values as Latch's own settings of those names: access tokens carry them
// as iss and aud.
//
// See README.md beside this file for a walk-through with curl.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/latchauth/latch/latchauth"
)

func main() {
	if err := run(); err != nil {
		slog.Error("notes: " + err.Error())
		os.Exit(1)
	}
}

func run() error {
	latchURL := getenv("LATCH_URL", "http://127.0.0.1:8000")
	addr := getenv("NOTES_ADDR", "127.0.0.1:8080")

	// Latch's iss is its public URL without a trailing slash; its aud is
	// LATCH_JWT_AUDIENCE exactly, or else the issuer. Empty means LATCH_URL.
	issuer := strings.TrimSuffix(os.Getenv("LATCH_PUBLIC_URL"), "/")
	audience := getenv("LATCH_JWT_AUDIENCE", issuer)
	auth, err := latchauth.New(latchauth.Config{URL: latchURL, Issuer: issuer, Audience: audience})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           newServer(auth),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		slog.Info("notes: listening", "addr", addr, "latch", latchURL)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
