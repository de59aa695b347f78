// Package sessioncache keeps recently checked sessions in memory, so that
// the session check of an active client costs no query.
//
// It wraps the store's session family (Store), and the user and address
// families through small wrappers (Store.Users, Store.Emails). Every write
// that can change what a session check returns goes through a wrapper, which
// drops the affected entries once the write has committed (after the unit of
// work it belongs to, if any) and tells the other nodes to do the same
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
)

// SessionStore is the session family the cache wraps (sqlstore.Sessions).
type SessionStore interface {
	SessionReader
	SessionWriter
	// InUnitOfWork reports whether ctx carries a unit of work, whose
	// writes the cache cannot see until it commits.
	InUnitOfWork(ctx context.Context) bool
}

// SessionReader holds the reads the cache answers from memory, and those it
// passes through.
type SessionReader interface {
	SessionByKey(ctx context.Context, keyHash []byte) (*latch.Session, *latch.User, error)
	SessionByID(ctx context.Context, id int64) (*latch.Session, *latch.User, error)
	UserSessions(ctx context.Context, userID int64, now time.Time) ([]latch.SessionInfo, error)
}

// SessionWriter holds the session writes: all but CreateSession change or
// end a session that may be cached.
type SessionWriter interface {
	CreateSession(ctx context.Context, s *latch.Session) error
	StartSession(ctx context.Context, s *latch.Session, replaces int64, refresh *latch.RefreshToken) error
	UpdateSession(ctx context.Context, s *latch.Session) error
	TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error
	DeleteSession(ctx context.Context, id int64) error
	DeleteUserSessions(ctx context.Context, userID, except int64) error
}

// UserStore is the user family (sqlstore.Users): a cached session carries
// its user, so SetPassword, SetLastLogin and SetActive drop the user's
// sessions.
type UserStore interface {
	UserByID(ctx context.Context, id int64) (*latch.User, error)
	UserByEmail(ctx context.Context, email string) (*latch.User, error)
	UserByUsername(ctx context.Context, username string) (*latch.User, error)
	UserByPublicID(ctx context.Context, publicID string) (*latch.User, error)
	Users(ctx context.Context, limit int) ([]latch.User, error)
	CreateUser(ctx context.Context, u *latch.User, emails []latch.EmailAddress) error
	SetPassword(ctx context.Context, userID int64, hash string, at time.Time) error
	SetLastLogin(ctx context.Context, userID int64, at time.Time) error
	SetActive(ctx context.Context, userID int64, active bool, at time.Time) error
}

// EmailStore is the address family (sqlstore.Emails): a cached session's
// user carries its primary address, so every address write drops the user's
// sessions.
type EmailStore interface {
	EmailAddresses(ctx context.Context, userID int64) ([]latch.EmailAddress, error)
	AddEmail(ctx context.Context, e *latch.EmailAddress) error
	SetEmailVerified(ctx context.Context, userID int64, email string) error
	SetPrimaryEmail(ctx context.Context, userID int64, email string, at time.Time) error
	DeleteEmail(ctx context.Context, userID int64, email string) error
}

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

// Store is a SessionStore that answers session checks from memory when it
// can. Methods it does not override pass through unchanged.
type Store struct {
	SessionStore
	c     *cache
	peers Peers
	log   *slog.Logger
	now   func() time.Time
	ttl   time.Duration
}

// New wraps sessions. peers is nil for a single node (SQLite); with peers
// the cache stays off until Resume is called, once the node listens for
// other nodes' messages. now is the clock (nil: time.Now).
func New(sessions SessionStore, cfg Config, peers Peers, log *slog.Logger, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{SessionStore: sessions, c: newCache(cfg.Size), peers: peers, log: log, now: now, ttl: cfg.TTL}
	s.c.enabled.Store(peers == nil)
	return s
}

// Users wraps the user family so that its writes drop the cached sessions
// they change.
func (s *Store) Users(users UserStore) *Users { return &Users{UserStore: users, s: s} }

// Emails wraps the address family so that its writes drop the cached
// sessions they change.
func (s *Store) Emails(emails EmailStore) *Emails { return &Emails{EmailStore: emails, s: s} }

// SessionByKey returns the session with that key hash, from memory when a
// fresh copy is there. In a unit of work it reads the store (which sees the
// unit's writes) and keeps nothing: the row may never commit.
func (s *Store) SessionByKey(ctx context.Context, keyHash []byte) (*latch.Session, *latch.User, error) {
	if s.SessionStore.InUnitOfWork(ctx) {
		return s.SessionStore.SessionByKey(ctx, keyHash)
	}
	now := s.now()
	if e := s.c.byKey(keyHash); e != nil && s.fresh(e, now) {
		return e.copies()
	}
	epoch := s.c.epoch.Load()
	sess, user, err := s.SessionStore.SessionByKey(ctx, keyHash)
	if err == nil {
		s.c.put(sess, user, now, epoch)
	}
	return sess, user, err
}

// SessionByID returns a session and its user as SessionByKey does (access
// tokens name their session by id).
func (s *Store) SessionByID(ctx context.Context, id int64) (*latch.Session, *latch.User, error) {
	if s.SessionStore.InUnitOfWork(ctx) {
		return s.SessionStore.SessionByID(ctx, id)
	}
	now := s.now()
	if e := s.c.byID(id); e != nil && s.fresh(e, now) {
		return e.copies()
	}
	epoch := s.c.epoch.Load()
	sess, user, err := s.SessionStore.SessionByID(ctx, id)
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

// TouchSession writes the new expiry and updates this node's copy at once
// (touches are not part of units of work). Other nodes are not told: their
// copies age out, and one that looks expired is read again before anything
// is decided on it.
func (s *Store) TouchSession(ctx context.Context, id int64, lastSeen, expires time.Time) error {
	if err := s.SessionStore.TouchSession(ctx, id, lastSeen, expires); err != nil {
		return err
	}
	s.c.touch(id, lastSeen, expires)
	return nil
}

// StartSession stores a new login; it replaces a session (which may be
// another user's), which is dropped. It also changes the user's last login,
// but nothing answered from a cached session reads that (the copies keep the
// time of their fill until they age out), so the user's other sessions stay
// cached and, unless a session is replaced, no node is told anything: a
// login costs no NOTIFY on PostgreSQL.
func (s *Store) StartSession(ctx context.Context, sess *latch.Session, replaces int64, refresh *latch.RefreshToken) error {
	if replaces != 0 {
		defer s.dropSession(ctx, replaces)
	}
	return s.SessionStore.StartSession(ctx, sess, replaces, refresh)
}

func (s *Store) UpdateSession(ctx context.Context, sess *latch.Session) error {
	defer s.dropSession(ctx, sess.ID)
	return s.SessionStore.UpdateSession(ctx, sess)
}

func (s *Store) DeleteSession(ctx context.Context, id int64) error {
	defer s.dropSession(ctx, id)
	return s.SessionStore.DeleteSession(ctx, id)
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID, except int64) error {
	defer s.dropUser(ctx, userID)
	return s.SessionStore.DeleteUserSessions(ctx, userID, except)
}

// Users is a UserStore whose writes drop the cached sessions of their user.
type Users struct {
	UserStore
	s *Store
}

func (u *Users) SetPassword(ctx context.Context, userID int64, hash string, at time.Time) error {
	defer u.s.dropUser(ctx, userID)
	return u.UserStore.SetPassword(ctx, userID, hash, at)
}

func (u *Users) SetLastLogin(ctx context.Context, userID int64, at time.Time) error {
	defer u.s.dropUser(ctx, userID)
	return u.UserStore.SetLastLogin(ctx, userID, at)
}

// SetActive changes whether the user may use their sessions at all.
func (u *Users) SetActive(ctx context.Context, userID int64, active bool, at time.Time) error {
	defer u.s.dropUser(ctx, userID)
	return u.UserStore.SetActive(ctx, userID, active, at)
}

// Emails is an EmailStore whose writes drop the cached sessions of their
// user.
type Emails struct {
	EmailStore
	s *Store
}

func (e *Emails) AddEmail(ctx context.Context, addr *latch.EmailAddress) error {
	defer e.s.dropUser(ctx, addr.UserID)
	return e.EmailStore.AddEmail(ctx, addr)
}

func (e *Emails) SetEmailVerified(ctx context.Context, userID int64, email string) error {
	defer e.s.dropUser(ctx, userID)
	return e.EmailStore.SetEmailVerified(ctx, userID, email)
}

func (e *Emails) SetPrimaryEmail(ctx context.Context, userID int64, email string, at time.Time) error {
	defer e.s.dropUser(ctx, userID)
	return e.EmailStore.SetPrimaryEmail(ctx, userID, email, at)
}

func (e *Emails) DeleteEmail(ctx context.Context, userID int64, email string) error {
	defer e.s.dropUser(ctx, userID)
	return e.EmailStore.DeleteEmail(ctx, userID, email)
}

// ForgetUser drops every cached session of a user, here and on the other
// nodes, once the write of ctx has committed (at once without a unit of
// work): for the user writes that do not go through the Users wrapper (the
// admin family's role changes and deletions). Call it after the write.
func (s *Store) ForgetUser(ctx context.Context, userID int64) { s.dropUser(ctx, userID) }

// dropSession forgets a session here and on the other nodes once the write
// has committed: at once without a unit of work, after its commit with one.
// It is registered whether or not the write succeeded: a failed write may
// still have committed.
func (s *Store) dropSession(ctx context.Context, id int64) {
	latch.AfterCommit(ctx, func() {
		s.c.dropSession(id)
		s.publish(ctx, "s"+strconv.FormatInt(id, 10))
	})
}

// dropUser forgets every session of a user here and on the other nodes, as
// dropSession does.
func (s *Store) dropUser(ctx context.Context, userID int64) {
	latch.AfterCommit(ctx, func() {
		s.c.dropUser(userID)
		s.publish(ctx, "u"+strconv.FormatInt(userID, 10))
	})
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

// copies returns copies the caller may modify, made in one allocation
// (they are on the path of every cached session check): the session, its
// user, and room for the usual one or two authentication methods.
func (e *entry) copies() (*latch.Session, *latch.User, error) {
	c := &entryCopy{sess: e.sess, user: e.user}
	if m := e.sess.State.Methods; m != nil {
		if len(m) <= len(c.methods) {
			// Capacity len(m), as slices.Clone gives: an append by the
			// caller moves the methods rather than growing into c.
			c.sess.State.Methods = c.methods[:copy(c.methods[:], m):len(m)]
		} else {
			c.sess.State.Methods = slices.Clone(m)
		}
	}
	return &c.sess, &c.user, nil
}

// entryCopy is what copies allocates.
type entryCopy struct {
	sess    latch.Session
	user    latch.User
	methods [2]latch.AuthMethod
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
