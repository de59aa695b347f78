// Command testprovider runs providertest's OpenID Connect provider for the
// browser tests (e2e/): it prints one JSON line {"url", "client_id",
// "secret"} and serves until killed, approving every login as the user
// given by the flags.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/latchauth/latch/internal/providertest"
)

func main() {
	sub := flag.String("sub", "e2e-user", "the user's subject")
	email := flag.String("email", "e2e@example.com", "the user's address")
	verified := flag.Bool("verified", true, "whether the provider asserts the address verified")
	name := flag.String("name", "E2E User", "the user's name")
	flag.Parse()
	p, err := providertest.Start(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer p.Close()
	p.SetUser(providertest.User{Sub: *sub, Email: *email, EmailVerified: *verified, Name: *name})
	line, _ := json.Marshal(map[string]string{"url": p.URL, "client_id": p.ClientID, "secret": p.Secret})
	fmt.Println(string(line))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
