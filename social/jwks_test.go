package social

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// jwksServer serves the public half of key under kid, after the extra raw
// keys, and counts its fetches.
func jwksServer(t *testing.T, key *ecdsa.PrivateKey, kid string, extra ...string) (*keySet, *atomic.Int32) {
	t.Helper()
	pub, err := json.Marshal(jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: "ES256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"keys":[`
	for _, e := range extra {
		body += e + ","
	}
	body += string(pub) + `]}`
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return &keySet{url: srv.URL, client: srv.Client()}, &fetches
}

func sign(t *testing.T, key *ecdsa.PrivateKey, kid string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign([]byte(`{"sub":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Keys Latch cannot use (secp256k1's ES256K, Ed448, an encryption key, a
// key missing its members) are skipped; the set's other keys still verify.
func TestKeySetSkipsUnknownKeys(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ks, _ := jwksServer(t, key, "good",
		`{"kty":"EC","crv":"secp256k1","alg":"ES256K","kid":"k1","x":"AA","y":"AA"}`,
		`{"kty":"OKP","crv":"Ed448","kid":"ed448","x":"AA"}`,
		`{"kty":"RSA","use":"enc","kid":"enc","n":"AQAB","e":"AQAB"}`,
		`{"kty":"RSA","kid":"broken"}`)
	payload, err := ks.VerifySignature(context.Background(), sign(t, key, "good"))
	if err != nil || string(payload) != `{"sub":"x"}` {
		t.Fatalf("payload %q, %v", payload, err)
	}
	if len(ks.keys) != 1 || ks.keys[0].KeyID != "good" {
		t.Errorf("keys kept: %+v", ks.keys)
	}
}

// Concurrent tokens naming a key not yet seen share one fetch; a token
// signed by a key the issuer does not list is refused after its own fetch.
func TestKeySetOneFetchForConcurrentMisses(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ks, fetches := jwksServer(t, key, "k")
	token := sign(t, key, "k")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := ks.VerifySignature(context.Background(), token)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 16 concurrent misses", n)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := ks.VerifySignature(context.Background(), sign(t, other, "k")); err == nil {
		t.Error("a token of a key the issuer does not list was accepted")
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches after the unknown signature, want 2", n)
	}
}
