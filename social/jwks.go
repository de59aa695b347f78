package social

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// keySet is an issuer's JWKS, fetched when a token names a key it does not
// hold. It replaces go-oidc's remote key set, which wakes the requests
// waiting on a fetch before it stores the keys: a request in that window
// verified against the previous keys, so a key the issuer had just retired
// was still accepted (and a new one refused). Here the keys are stored
// before anyone is woken, and concurrent misses share one fetch.
type keySet struct {
	url    string
	client *http.Client

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	gen      uint64        // counts finished fetches
	fetching chan struct{} // closed when the fetch in flight has stored its result
	err      error         // of the last fetch
}

// signingAlgs are the JWS algorithms a token may be parsed with; the
// verifier narrows them to the ones the issuer announced.
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384,
	jose.ES512, jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// VerifySignature checks the token's signature by the issuer's key of the
// token's kid (any key when it names none) and returns its payload.
func (s *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(raw, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("a jwt with several signatures")
	}
	kid := jws.Signatures[0].Header.KeyID
	s.mu.Lock()
	keys, gen := s.keys, s.gen
	s.mu.Unlock()
	if payload, ok := verifyBy(jws, kid, keys); ok {
		return payload, nil
	}
	if keys, err = s.refetch(ctx, gen); err != nil {
		return nil, err
	}
	if payload, ok := verifyBy(jws, kid, keys); ok {
		return payload, nil
	}
	return nil, errors.New("no key of the issuer verifies the signature")
}

func verifyBy(jws *jose.JSONWebSignature, kid string, keys []jose.JSONWebKey) ([]byte, bool) {
	for i := range keys {
		if kid == "" || keys[i].KeyID == kid {
			if payload, err := jws.Verify(&keys[i]); err == nil {
				return payload, true
			}
		}
	}
	return nil, false
}

// refetch returns the keys of a fetch that finished after generation seen:
// one already done, the one in flight, or a new one. The fetch runs apart
// from ctx, so a caller that gives up does not fail the others waiting.
func (s *keySet) refetch(ctx context.Context, seen uint64) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	if s.gen != seen {
		defer s.mu.Unlock()
		return s.keys, s.err
	}
	if s.fetching == nil {
		s.fetching = make(chan struct{})
		go s.fetch(s.fetching)
	}
	done := s.fetching
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-done:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys, s.err
}

// fetch gets the JWKS, stores it (a failure keeps the previous keys) and
// then wakes the waiters.
func (s *keySet) fetch(done chan struct{}) {
	keys, err := s.get()
	s.mu.Lock()
	if err == nil {
		s.keys = keys
	}
	s.err = err
	s.gen++
	s.fetching = nil
	s.mu.Unlock()
	close(done)
}

// get reads the JWKS. Keys of a type or algorithm go-jose does not know are
// skipped, as RFC 7517 §5 asks, rather than failing the whole set.
func (s *keySet) get() ([]jose.JSONWebKey, error) {
	req, err := http.NewRequest(http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Cache-Control", "no-cache")
	res, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks at %s: status %d", s.url, res.StatusCode)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var meta struct {
			Alg string `json:"alg"`
			Use string `json:"use"`
		}
		if json.Unmarshal(raw, &meta) != nil || meta.Use == "enc" || meta.Alg != "" && !slices.Contains(signingAlgs, jose.SignatureAlgorithm(meta.Alg)) {
			continue
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}
