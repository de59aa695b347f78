package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/testdb"
	"github.com/latchauth/latch/jwt"
)

// TestKeyRotationOnThreeNodes: three `latch serve` processes share one
// PostgreSQL database and issue access tokens under load while `latch keys
// rotate` runs. Every token any node issues is checked at once against the
// JWKS of every node: none may be unverifiable with any of them (before the
// publish delay, 152 tokens were, during a rotation). The test ends once
// every node signs with the new key, which takes keyring.PublishDelay (30 s).
func TestKeyRotationOnThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 35 s")
	}
	dbURL := testdb.PostgresURL(t) // skips without PostgreSQL
	const public = "http://latch.test"
	env := []string{"LATCH_DATABASE_URL", dbURL, "LATCH_APP_TOKEN_STRATEGY", "jwt", "LATCH_PUBLIC_URL", public,
		"LATCH_EMAIL_URL", "console:", "LATCH_RATE_LIMITS", "off"}
	var nodes []*latchProcess
	for range 3 {
		nodes = append(nodes, startProcess(t, env...))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(url, body string) (int, map[string]any) {
		res, err := client.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	if status, body := post(nodes[0].base+"/_allauth/app/v1/auth/signup", `{"email":"rot@example.com","password":"amber-Falcon-38"}`); status != 200 {
		t.Fatalf("signup: %d %v", status, body)
	}
	jwks := func(n *latchProcess) (*jwt.KeySet, error) {
		res, err := client.Get(n.base + "/.well-known/jwks.json")
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return jwt.ParseJWKS(b)
	}

	var (
		mu        sync.Mutex
		issued    int
		bad       []string
		byKid     = map[string][3]int{} // tokens per key, per node
		rotatedAt time.Time
		firstNew  [3]time.Duration // after the rotation, when each node first signed with the new key
		newKid    string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, body := post(n.base+"/_allauth/app/v1/auth/login", `{"email":"rot@example.com","password":"amber-Falcon-38"}`)
				if status != 200 {
					t.Errorf("login on node %d: %d %v", i, status, body)
					return
				}
				token := body["meta"].(map[string]any)["access_token"].(string)
				kid := tokenKid(t, token)
				at := time.Now()
				for j, other := range nodes {
					ks, err := jwks(other)
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := ks.Verify(token, time.Now(), 0, public, public); err != nil {
						mu.Lock()
						bad = append(bad, fmt.Sprintf("token of node %d (kid %s) refused by node %d's JWKS: %v", i, kid, j, err))
						mu.Unlock()
					}
				}
				mu.Lock()
				issued++
				c := byKid[kid]
				c[i]++
				byKid[kid] = c
				if kid == newKid && firstNew[i] == 0 {
					firstNew[i] = at.Sub(rotatedAt)
				}
				mu.Unlock()
			}
		})
	}

	time.Sleep(2 * time.Second)
	var out bytes.Buffer
	get := testEnv(dbURL, env...)
	mu.Lock()
	if err := run(context.Background(), []string{"keys", "rotate"}, get, nil, &out, io.Discard); err != nil {
		mu.Unlock()
		t.Fatal(err)
	}
	rotatedAt = time.Now()
	if f := strings.Fields(out.String()); len(f) > 3 {
		newKid = f[3] // "New signing key <kid> (<alg>). …"
	}
	mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		c, done := byKid[newKid], true
		for i := range nodes {
			done = done && c[i] >= 5
		}
		mu.Unlock()
		if done || time.Now().After(deadline) || t.Failed() {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d tokens issued; per key and node: %v; new key %s first signed after %v", issued, byKid, newKid, firstNew)
	for _, b := range bad {
		t.Error(b)
	}
	if c := byKid[newKid]; c[0] < 5 || c[1] < 5 || c[2] < 5 {
		t.Errorf("not every node signs with the new key %q within 60 s: %v (rotate printed %q)", newKid, byKid, out.String())
	}
	if len(byKid) != 2 {
		t.Errorf("tokens signed with %d keys, want 2 (the old one, then the new one): %v", len(byKid), byKid)
	}
}

// tokenKid returns the kid of a JWT's header.
func tokenKid(t *testing.T, token string) string {
	t.Helper()
	head, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}
