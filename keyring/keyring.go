// Package keyring keeps Latch's JWT signing keys. It signs with the newest
// active key and verifies with every key not yet retired. Keys live in the
// database with their private parts sealed by the master secret, so every
// node signs with the same key and publishes the same JWKS; each node
// reloads them periodically and when a token names a key it does not know.
package keyring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/jwt"
)

// Store keeps the sealed keys.
type Store interface {
	// SigningKeys lists the keys not retired at now, newest first.
	SigningKeys(ctx context.Context, now time.Time) ([]latch.SigningKey, error)
	// AddSigningKey stores k as the active key and retires the others at retireOthers.
	AddSigningKey(ctx context.Context, k *latch.SigningKey, retireOthers time.Time) error
	DeleteRetiredKeys(ctx context.Context, now time.Time) error
}

// Keyring signs and verifies access tokens. It is safe for concurrent use.
type Keyring struct {
	store  Store
	secret string
	alg    jwt.Algorithm
	// overlap is how long a replaced key keeps verifying: the access-token
	// lifetime, so that no token outlives the key that can verify it.
	overlap time.Duration
	now     func() time.Time

	mu       sync.RWMutex
	signer   *jwt.Key
	set      *jwt.KeySet
	jwks     []byte
	reloaded time.Time
	// fingerprint names the loaded keys and the signer among them.
	fingerprint string
	// publishDelay is PublishDelay unless SetPublishDelay changed it.
	publishDelay time.Duration
}

// Open loads the keys, creating the first one (of algorithm alg) when there
// is none.
func Open(ctx context.Context, store Store, secret string, alg jwt.Algorithm, overlap time.Duration, now func() time.Time) (*Keyring, error) {
	if now == nil {
		now = time.Now
	}
	k := &Keyring{store: store, secret: secret, alg: alg, overlap: overlap, now: now, publishDelay: PublishDelay}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	if k.signer == nil {
		if _, err := k.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// PublishDelay is how long a new key is only published in the JWKS before
// it signs: longer than nodes take to reload their keys, shorter than the
// overlap during which a replaced key keeps verifying.
const PublishDelay = 30 * time.Second

// SetPublishDelay changes how long a new key waits in the JWKS before it
// signs (PublishDelay by default); test wiring that rotates and signs at
// once sets 0. It takes effect at the next Reload.
func (k *Keyring) SetPublishDelay(d time.Duration) {
	k.mu.Lock()
	k.publishDelay = d
	k.mu.Unlock()
}

// Reload reads the keys from the store again.
func (k *Keyring) Reload(ctx context.Context) error {
	now := k.now()
	k.mu.RLock()
	delay := k.publishDelay
	k.mu.RUnlock()
	stored, err := k.store.SigningKeys(ctx, now)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	// The active key signs once it has been published for the delay, so
	// that verifiers caching the JWKS (and other nodes, which reload every
	// few seconds) know it first; until then the key it replaced, still
	// valid, goes on signing.
	activeID, replacedID := "", ""
	var activeSince time.Time
	ids := make([]string, 0, len(stored))
	for _, s := range stored {
		ids = append(ids, s.ID)
		if s.RetireAt.IsZero() && activeID == "" {
			activeID, activeSince = s.ID, s.Created
		} else if !s.RetireAt.IsZero() && replacedID == "" {
			replacedID = s.ID
		}
	}
	signerID := activeID
	if signerID == "" || (replacedID != "" && now.Before(activeSince.Add(delay))) {
		signerID = replacedID
	}
	fingerprint := strings.Join(ids, ",") + ";" + signerID
	// Unchanged keys keep the current key set, and with it its cache of
	// verified tokens: a periodic reload must not slow verification down.
	k.mu.Lock()
	if k.set != nil && fingerprint == k.fingerprint {
		k.reloaded = now
		k.mu.Unlock()
		return nil
	}
	k.mu.Unlock()
	var signer *jwt.Key
	var pubs []jwt.PublicKey
	for _, s := range stored {
		alg, err := jwt.ParseAlgorithm(s.Alg)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", s.ID, err)
		}
		der, err := jwt.Open(k.secret, s.Sealed)
		if err != nil {
			return fmt.Errorf("signing key %s cannot be opened with LATCH_SECRET_KEY: %w", s.ID, err)
		}
		key, err := jwt.ParsePrivateKey(alg, der)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", s.ID, err)
		}
		pubs = append(pubs, key.Public())
		if s.ID == signerID {
			signer = key
		}
	}
	set := jwt.NewKeySet(pubs...)
	k.mu.Lock()
	k.signer, k.set, k.jwks, k.reloaded, k.fingerprint = signer, set, set.JWKS(), now, fingerprint
	k.mu.Unlock()
	return nil
}

// Rotate adds a new active key; the keys it replaces keep verifying for the
// access-token lifetime and then leave the JWKS. It returns the new kid.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	key, err := jwt.GenerateKey(k.alg)
	if err != nil {
		return "", err
	}
	der, err := key.MarshalPrivate()
	if err != nil {
		return "", err
	}
	sealed, err := jwt.Seal(k.secret, der)
	if err != nil {
		return "", err
	}
	now := k.now()
	if err := k.store.AddSigningKey(ctx, &latch.SigningKey{ID: key.ID, Alg: string(key.Alg), Sealed: sealed, Created: now}, now.Add(k.overlap)); err != nil {
		return "", fmt.Errorf("store signing key: %w", err)
	}
	if err := k.store.DeleteRetiredKeys(ctx, now); err != nil {
		return "", fmt.Errorf("delete retired keys: %w", err)
	}
	return key.ID, k.Reload(ctx)
}

// Sign signs claims with the active key.
func (k *Keyring) Sign(c *jwt.Claims) (string, error) {
	k.mu.RLock()
	signer := k.signer
	k.mu.RUnlock()
	if signer == nil {
		return "", errors.New("keyring: no active signing key")
	}
	return jwt.Sign(signer, c)
}

// Verify checks a token against the keys. A token naming an unknown key
// makes the keyring reload (at most every few seconds) and try once more, so
// a key added by another node is picked up at once.
func (k *Keyring) Verify(ctx context.Context, token, issuer, audience string) (*jwt.Claims, error) {
	now := k.now()
	k.mu.RLock()
	set, reloaded := k.set, k.reloaded
	k.mu.RUnlock()
	c, err := set.Verify(token, now, 0, issuer, audience)
	if errors.Is(err, jwt.ErrUnknownKey) && now.Sub(reloaded) > 5*time.Second {
		if err := k.Reload(ctx); err != nil {
			return nil, err
		}
		k.mu.RLock()
		set = k.set
		k.mu.RUnlock()
		c, err = set.Verify(token, now, 0, issuer, audience)
	}
	return c, err
}

// JWKS returns the public keys as a JWK Set document.
func (k *Keyring) JWKS() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks
}

// Keys returns the verification keys.
func (k *Keyring) Keys() []jwt.PublicKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.set.Keys()
}
