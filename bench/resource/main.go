// Command resource is the load-test harness's resource server: the smallest
// service protected by Latch's Go middleware. GET /api/me is behind
// latchauth.Middleware and latchauth.RequireUser and answers the caller's id
// in a small JSON body, like bench/baseline does without authentication, so
// that the difference between the two is what the middleware costs: for a
// Bearer access token, an offline signature and claims check against
// Latch's JWKS (fetched once).
//
//	resource -addr 127.0.0.1:9001 -auth-url http://127.0.0.1:8000
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/latchauth/latch/latchauth"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "listen address")
	latchURL := flag.String("auth-url", "http://127.0.0.1:8000", "Latch's URL (its LATCH_PUBLIC_URL: the tokens' iss and aud)")
	flag.Parse()
	auth, err := latchauth.New(latchauth.Config{URL: *latchURL})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", latchauth.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := latchauth.UserFrom(r.Context())
		body := []byte(`{"status":200,"data":{"user":{"id":"` + u.ID + `","display":"resource"}},"meta":{"is_authenticated":true}}` + "\n")
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	srv := &http.Server{
		Addr:              *addr,
		Handler:           auth.Middleware(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
