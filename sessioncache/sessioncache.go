// Package sessioncache keeps recently checked sessions in memory, so that
// the session check of an active client costs no query.
//
// It wraps the account core's store. Every write that can change what a
// session check returns goes through the wrapper, which drops the affected
// entries after the write commits and tells the other nodes to do the same
// through Peers (PostgreSQL LISTEN/NOTIFY in package postgres). A node that
// may have missed messages (its listener is down) serves no session from
// memory until it is back and has emptied its cache. Entries also age out
// after a TTL, which bounds how long a change made behind Latch's back (SQL
// by hand) can go unseen.
package sessioncache

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/account"
)

// Peers carries invalidations to the other nodes sharing the database.
type Peers interface {
	// Publish sends msg to every other node, whose Store.Receive gets it.
	Publish(ctx context.Context, msg string) error
}

// Config sizes the cache.
type Config struct {
	// Size bounds the number of sessions kept.
	Size int
	// TTL bounds how long a session is served from memory before it is read
	// again.
	TTL time.Duration
}

// Store is an account.Store that answers session checks from memory when it
// can. Methods it does not override pass through unchanged.
type Store struct {
	account.Store
	c     *cache
	peers Peers
	log   *slog.Logger
	now   func() time.Time
	ttl   time.Duration
}

// New wraps store. peers is nil for a single node (SQLite); with peers the
// cache stays off until Resume is called, once the node listens for other
// nodes' messages. now is the clock (nil: time.Now).
func New(store account.Store, cfg Config, peers Peers, log *slog.Logger, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{Store: store, c: newCache(cfg.Size), peers: peers, log: log, now: now, ttl: cfg.TTL}
	s.c.enabled.Store(peers == nil)
	return s
}

// SessionByKey returns the session with that key hash, from memory when a
// fresh copy is there.
func (s *Store) SessionByKey(ctx context.Context, keyHash []byte) (*latch.Session, *latch.User, error) {
	now := s.now()
	if e := s.c.byKey(keyHash); e != nil && s.fresh(e, now) {
		return e.copies()
	}
	epoch := s.c.epoch.Load()
	sess, user, err := s.Store.SessionByKey(ctx, keyHash)
	if err == nil {
		s.c.put(sess, user, now, epoch)
	}
	return sess, user, err
}

// SessionByID returns a session and its user, from memory when a fresh copy
// is there (access tokens name their session by id).
func (s *Store) SessionByID(ctx context.Context, id int64) (*latch.Session, *latch.User, error) {
	now := s.now()
	if e := s.c.byID(id); e != nil && s.fresh(e, now) {
		return e.copies()
	}
	epoch := s.c.epoch.Load()
	sess, user, err := s.Store.SessionByID(ctx, id)
	if err == nil {
		s.c.put(sess, user, now, epoch)
	}
	return sess, user, err
}

// fresh reports whether e may be served: young enough, and not past the
// expiry it recorded. An entry that looks expired is read again, since
// another node may have extended the session since.
func (s *Store) fresh(e *entry, now time.Time) bool {
	return now.Sub(e.filled) < s.ttl && now.Before(e.sess.Expires)
}

// TouchSession writes the new expiry and updates this node's copy. Other
// nodes are not told: their copies age out, and one that looks expired is
// read again before anything is decided on it.
func (s *Store) TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error {
	if err := s.Store.TouchSession(ctx, id, lastSeen, expires); err != nil {
		return err
	}
	s.c.touch(id, lastSeen, expires)
	return nil
}

// StartSession stores a new login; it replaces a session (which may be
// another user's) and changes the user's last login.
func (s *Store) StartSession(ctx context.Context, sess *latch.Session, replaces int64, refresh *latch.RefreshToken) error {
	defer s.dropUser(ctx, sess.UserID)
	if replaces != 0 {
		defer s.dropSession(ctx, replaces)
	}
	return s.Store.StartSession(ctx, sess, replaces, refresh)
}

func (s *Store) UpdateSession(ctx context.Context, sess *latch.Session) error {
	defer s.dropSession(ctx, sess.ID)
	return s.Store.UpdateSession(ctx, sess)
}

func (s *Store) DeleteSession(ctx context.Context, id int64) error {
	defer s.dropSession(ctx, id)
	return s.Store.DeleteSession(ctx, id)
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID, except int64) error {
	defer s.dropUser(ctx, userID)
	return s.Store.DeleteUserSessions(ctx, userID, except)
}

func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, at time.Time) error {
	defer s.dropUser(ctx, userID)
	return s.Store.SetPassword(ctx, userID, hash, at)
}

func (s *Store) SetLastLogin(ctx context.Context, userID int64, at time.Time) error {
	defer s.dropUser(ctx, userID)
	return s.Store.SetLastLogin(ctx, userID, at)
}

func (s *Store) AddEmail(ctx context.Context, e *latch.EmailAddress) error {
	defer s.dropUser(ctx, e.UserID)
	return s.Store.AddEmail(ctx, e)
}

func (s *Store) SetEmailVerified(ctx context.Context, userID int64, email string) error {
	defer s.dropUser(ctx, userID)
	return s.Store.SetEmailVerified(ctx, userID, email)
}

func (s *Store) SetPrimaryEmail(ctx context.Context, userID int64, email string, at time.Time) error {
	defer s.dropUser(ctx, userID)
	return s.Store.SetPrimaryEmail(ctx, userID, email, at)
}

func (s *Store) DeleteEmail(ctx context.Context, userID int64, email string) error {
	defer s.dropUser(ctx, userID)
	return s.Store.DeleteEmail(ctx, userID, email)
}

// dropSession forgets a session here and on the other nodes. It runs after
// the write, whether or not it succeeded: a failed write may still have
// committed.
func (s *Store) dropSession(ctx context.Context, id int64) {
	s.c.dropSession(id)
	s.publish(ctx, "s"+strconv.FormatInt(id, 10))
}

// dropUser forgets every session of a user here and on the other nodes.
func (s *Store) dropUser(ctx context.Context, userID int64) {
	s.c.dropUser(userID)
	s.publish(ctx, "u"+strconv.FormatInt(userID, 10))
}

func (s *Store) publish(ctx context.Context, msg string) {
	if s.peers == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.peers.Publish(ctx, msg); err != nil {
		// The other nodes' copies now live until their TTL at most.
		s.log.Error("session cache: telling the other nodes failed", "msg", msg, "err", err)
	}
}

// Receive applies another node's message ("s<id>": a session changed;
// "u<id>": a user changed). A message it cannot read empties the cache.
func (s *Store) Receive(msg string) {
	if len(msg) > 1 {
		if id, err := strconv.ParseInt(msg[1:], 10, 64); err == nil {
			switch msg[0] {
			case 's':
				s.c.dropSession(id)
				return
			case 'u':
				s.c.dropUser(id)
				return
			}
		}
	}
	s.c.flush(true)
}

// Suspend stops serving from memory and empties the cache: messages from
// other nodes may be lost from now on (the listener is down).
func (s *Store) Suspend() { s.c.flush(false) }

// Resume empties the cache and serves from memory again: the listener is up,
// so every later change will be heard of.
func (s *Store) Resume() { s.c.flush(true) }

// Len is the number of sessions in memory.
func (s *Store) Len() int { return int(s.c.n.Load()) }

// entry is one cached session with its user. It is never modified once
// made; a touch replaces it.
type entry struct {
	sess   latch.Session
	user   latch.User
	filled time.Time
	key    string
}

// copies returns copies the caller may modify.
func (e *entry) copies() (*latch.Session, *latch.User, error) {
	sess, user := e.sess, e.user
	sess.State.Methods = slices.Clone(sess.State.Methods)
	return &sess, &user, nil
}

const shards = 32

type shard struct {
	mu   sync.RWMutex
	byID map[int64]*entry
}

// cache holds the entries in shards by session id, so that lookups do not
// contend on one lock. Key lookups go through a second, smaller map from
// key hash to id. Writers (fills and drops) also take mu, which keeps the
// per-user index and the epoch consistent; readers never take it.
type cache struct {
	keys    [shards]keyShard
	ids     [shards]shard
	mu      sync.Mutex
	users   map[int64][]int64 // user id → cached session ids
	epoch   atomic.Uint64     // bumped by every drop, so a fill that raced one is not kept
	enabled atomic.Bool
	n       atomic.Int64
	limit   int
}

type keyShard struct {
	mu sync.RWMutex
	m  map[string]int64
}

func newCache(limit int) *cache {
	c := &cache{users: make(map[int64][]int64), limit: max(limit, 1)}
	for i := range c.ids {
		c.ids[i].byID = make(map[int64]*entry)
		c.keys[i].m = make(map[string]int64)
	}
	return c
}

func (c *cache) idShard(id int64) *shard { return &c.ids[uint64(id)%shards] }

// keyShard picks by the key hash's first byte; the hashes are SHA-256.
func (c *cache) keyShard(key string) *keyShard {
	if len(key) == 0 {
		return &c.keys[0]
	}
	return &c.keys[int(key[0])%shards]
}

func (c *cache) byKey(key []byte) *entry {
	if !c.enabled.Load() {
		return nil
	}
	ks := c.keyShard(string(key))
	ks.mu.RLock()
	id, ok := ks.m[string(key)]
	ks.mu.RUnlock()
	if !ok {
		return nil
	}
	e := c.byID(id)
	if e == nil || e.key != string(key) {
		return nil
	}
	return e
}

func (c *cache) byID(id int64) *entry {
	if !c.enabled.Load() {
		return nil
	}
	sh := c.idShard(id)
	sh.mu.RLock()
	e := sh.byID[id]
	sh.mu.RUnlock()
	return e
}

// put keeps an authenticated session whose state holds no flow in progress
// (those change often and are short-lived), unless a drop happened since
// epoch was read: the row may predate it.
func (c *cache) put(sess *latch.Session, user *latch.User, now time.Time, epoch uint64) {
	if sess.UserID == 0 || user == nil || !user.IsActive || sess.State.Pending != nil || len(sess.State.Codes) > 0 {
		return
	}
	e := &entry{sess: *sess, user: *user, filled: now, key: string(sess.KeyHash)}
	e.sess.State.Methods = slices.Clone(sess.State.Methods)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enabled.Load() || c.epoch.Load() != epoch {
		return
	}
	if int(c.n.Load()) >= c.limit {
		c.evictLocked()
	}
	c.removeLocked(sess.ID)
	sh := c.idShard(sess.ID)
	sh.mu.Lock()
	sh.byID[sess.ID] = e
	sh.mu.Unlock()
	ks := c.keyShard(e.key)
	ks.mu.Lock()
	ks.m[e.key] = sess.ID
	ks.mu.Unlock()
	c.users[sess.UserID] = append(c.users[sess.UserID], sess.ID)
	c.n.Add(1)
}

// touch replaces a session's entry with one carrying the new times.
func (c *cache) touch(id int64, lastSeen, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh := c.idShard(id)
	sh.mu.Lock()
	if old := sh.byID[id]; old != nil {
		e := *old
		e.sess.LastSeen, e.sess.Expires = lastSeen, expires
		sh.byID[id] = &e
	}
	sh.mu.Unlock()
}

func (c *cache) dropSession(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	c.removeLocked(id)
}

func (c *cache) dropUser(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	for _, id := range slices.Clone(c.users[userID]) {
		c.removeLocked(id)
	}
	delete(c.users, userID)
}

// flush empties the cache and turns serving on or off.
func (c *cache) flush(enable bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch.Add(1)
	c.enabled.Store(false)
	for i := range c.ids {
		sh := &c.ids[i]
		sh.mu.Lock()
		clear(sh.byID)
		sh.mu.Unlock()
		ks := &c.keys[i]
		ks.mu.Lock()
		clear(ks.m)
		ks.mu.Unlock()
	}
	clear(c.users)
	c.n.Store(0)
	c.enabled.Store(enable)
}

// removeLocked forgets session id; c.mu is held.
func (c *cache) removeLocked(id int64) {
	sh := c.idShard(id)
	sh.mu.Lock()
	e := sh.byID[id]
	delete(sh.byID, id)
	sh.mu.Unlock()
	if e == nil {
		return
	}
	ks := c.keyShard(e.key)
	ks.mu.Lock()
	if ks.m[e.key] == id {
		delete(ks.m, e.key)
	}
	ks.mu.Unlock()
	ids := c.users[e.sess.UserID]
	if i := slices.Index(ids, id); i >= 0 {
		ids = slices.Delete(ids, i, i+1)
	}
	if len(ids) == 0 {
		delete(c.users, e.sess.UserID)
	} else {
		c.users[e.sess.UserID] = ids
	}
	c.n.Add(-1)
}

// evictLocked makes room by dropping an arbitrary entry from a non-empty
// shard (Go's map order is random); c.mu is held.
func (c *cache) evictLocked() {
	start := int(c.epoch.Load() % shards)
	for i := range shards {
		sh := &c.ids[(start+i)%shards]
		sh.mu.RLock()
		var victim int64
		found := false
		for id := range sh.byID {
			victim, found = id, true
			break
		}
		sh.mu.RUnlock()
		if found {
			c.removeLocked(victim)
			return
		}
	}
}
