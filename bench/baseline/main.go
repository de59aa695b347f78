// Command baseline is the load-test harness's yardstick: a trivial net/http
// server answering every request with a small JSON body, with the same
// server timeouts as Latch. What it sustains on a machine is the practical
// ceiling for any Go HTTP service there, measured with the same load
// generator; the harness reports every other scenario as a ratio to it.
//
//	baseline -addr 127.0.0.1:9000
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
	"time"
)

// body is about the size of Latch's session answer's envelope.
var body = []byte(`{"status":200,"data":{"user":{"id":"00000000-0000-4000-8000-000000000000","display":"baseline"}},"meta":{"is_authenticated":true}}` + "\n")

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	flag.Parse()
	length := strconv.Itoa(len(body))
	srv := &http.Server{
		Addr: *addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "application/json")
			h.Set("Content-Length", length)
			w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Fatal(srv.ListenAndServe())
}
