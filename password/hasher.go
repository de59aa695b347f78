package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/latchauth/latch/internal/argon2"
)

// ErrUnknownHash is wrapped by every error that [Hasher.Verify] returns. It
// means that the stored hash is malformed, uses an algorithm or variant that
// this package does not support, or asks for a cost above the package's safety
// limits. The password was not checked. Callers should treat this as a failed
// login and log it, because it points to a corrupt or tampered database row.
var ErrUnknownHash = errors.New("password: unknown hash format")

// Params are argon2id cost parameters, and a bound on how many argon2
// computations a [Hasher] runs at once.
type Params struct {
	// Memory is the memory cost in KiB. It must be at least 8*Threads and at
	// most 4 GiB (4,194,304 KiB).
	Memory uint32
	// Time is the number of passes over the memory, from 1 to 100.
	Time uint32
	// Threads is the degree of parallelism (lanes). It must be at least 1.
	Threads uint8
	// SaltLen is the length of the random salt in bytes, from 8 to 1024.
	SaltLen uint32
	// KeyLen is the length of the derived key in bytes, from 4 to 1024.
	KeyLen uint32
	// MaxConcurrent is how many argon2 computations (Hash, and Verify of
	// argon2 hashes, VerifyDummy included) the Hasher runs at once; further
	// calls block until one ends. Each computation is CPU-bound and uses one
	// of the Hasher's MaxConcurrent arenas of Memory KiB, which are made on
	// first use and kept, outside the Go heap, so a busy Hasher holds
	// MaxConcurrent × Memory KiB. More at once than cores only multiplies
	// memory. 0 means runtime.GOMAXPROCS(0) at NewHasher time. It is not
	// part of the hash, so it never makes Verify ask for a rehash.
	MaxConcurrent int
}

// DefaultParams are one of OWASP's recommended argon2id configurations:
// m=12 MiB (12288 KiB), t=3, p=1, with a 16-byte salt and a 32-byte key.
// OWASP rates it as strong as its first one (m=19 MiB, t=2), "the only
// difference is a trade off between CPU and RAM usage"; its work is about
// the same (36 MiB-passes against 38), and it holds 7 MiB less per hash in
// flight, which keeps a two-core server under 64 MiB during logins. Use
// them in production unless you have measured a reason to raise them.
var DefaultParams = Params{Memory: 12 * 1024, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}

// TestParams are cheap argon2id parameters (m=64 KiB, t=1, p=1) that make
// tests fast. They are far too weak to protect real passwords. Never use
// them in production.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Safety limits on what a stored hash may ask Verify to compute, and on what
// Params may ask Hash to compute. They stop a crafted or corrupt hash from
// tying up the server.
const (
	maxArgon2Memory = 4 << 20 // KiB: 4 GiB
	maxArgon2Time   = 100
	minSaltLen      = 8 // RFC 9106's minimum
	maxSaltLen      = 1024
	minKeyLen       = 4 // RFC 9106's minimum tag length
	maxKeyLen       = 1024
	maxPBKDF2Iter   = 10_000_000
	maxBcryptCost   = 18 // 2^14 times the work of cost 4: about 15 s on one core
)

// limits are the caps that Verify enforces. Tests lower them; production
// code always uses defaultLimits.
type limits struct {
	argon2Memory uint32 // KiB
	argon2Time   uint32
	pbkdf2Iter   int
	bcryptCost   int
}

var defaultLimits = limits{
	argon2Memory: maxArgon2Memory,
	argon2Time:   maxArgon2Time,
	pbkdf2Iter:   maxPBKDF2Iter,
	bcryptCost:   maxBcryptCost,
}

// Hasher hashes new passwords with argon2id and verifies stored hashes in any
// supported format. Make one with [NewHasher]. A Hasher is safe for concurrent
// use, and runs at most [Params].MaxConcurrent argon2 computations at once.
type Hasher struct {
	params Params
	// dummy is a hash of a random password made with params. VerifyDummy
	// checks against it. It is empty if params are invalid.
	dummy  string
	limits limits
	// slots is a semaphore of MaxConcurrent argon2 computations, which keeps
	// their memory to MaxConcurrent × Memory KiB. Nil (a zero Hasher) means
	// no limit, and a fresh arena for every computation.
	slots chan struct{}
	// mu guards arenas, the arenas of Memory KiB that no computation is
	// using: at most MaxConcurrent. The last one returned is reused first,
	// so a Hasher that never runs two computations at once touches only one.
	mu     sync.Mutex
	arenas []*argon2.Arena
	// idle unmaps the pooled arenas once no computation has finished for
	// arenaIdle: a burst of logins keeps them, a server that only checks
	// sessions gives their memory (12 MiB each by default) back.
	idle      *time.Timer
	arenaIdle time.Duration // tests shorten it; 0: defaultArenaIdle
	// mapped is the memory of the arenas mapped now, pooled or in use, in
	// bytes; onMapped, if set, hears every change of it (guarded by mu).
	mapped   int64
	onMapped func(bytes int64)
	// slotHook, if set (by tests), is called while a slot is held.
	slotHook func()
}

// Option configures a [Hasher] made by [NewHasher].
type Option func(*Hasher)

// OnArenaMemory has the Hasher call f with the memory, in bytes, of the
// argon2 arenas it has mapped, each time that changes: when it maps one
// for a computation and when it unmaps one (an arena of a stored hash
// above its Params, or the pool after the idle time). The arenas are
// outside the Go heap, so neither GOGC nor GOMEMLIMIT sees them; f lets a
// server fit the heap around them. f is called in order, with the
// Hasher's lock held: it must be quick and must not call the Hasher.
func OnArenaMemory(f func(bytes int64)) Option {
	return func(h *Hasher) { h.onMapped = f }
}

// NewHasher returns a Hasher that hashes with p and asks for a rehash of any
// stored hash not made with exactly p's cost, salt and key length. It
// computes one hash of a random password for [Hasher.VerifyDummy], so it
// costs as much as one Hash. If p is invalid, NewHasher still returns a
// Hasher, but its Hash returns an error. Nil options are skipped.
func NewHasher(p Params, opts ...Option) *Hasher {
	n := p.MaxConcurrent
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: p, limits: defaultLimits, slots: make(chan struct{}, n)}
	for _, o := range opts {
		if o != nil {
			o(h)
		}
	}
	if dummy, err := h.Hash(Unusable()); err == nil {
		h.dummy = dummy
	}
	return h
}

// check reports whether p is within the bounds documented on Params.
func (p Params) check() error {
	switch {
	case p.Threads < 1:
		return errors.New("password: argon2id Threads must be at least 1")
	case p.Time < 1 || p.Time > maxArgon2Time:
		return fmt.Errorf("password: argon2id Time must be from 1 to %d", maxArgon2Time)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgon2Memory:
		return fmt.Errorf("password: argon2id Memory must be from 8*Threads to %d KiB", maxArgon2Memory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("password: argon2id SaltLen must be from %d to %d", minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("password: argon2id KeyLen must be from %d to %d", minKeyLen, maxKeyLen)
	case p.MaxConcurrent < 0:
		return errors.New("password: MaxConcurrent must not be negative")
	}
	return nil
}

// withSlot runs f, an argon2 computation of kib KiB, in one of the
// Hasher's slots, first blocking until one is free; a waiting call holds no
// argon2 memory. f gets the slot's arena, made now if this is the slot's
// first use. A stored hash that asks for more memory than the Hasher's own
// Params gets an arena of its own, unmapped when f returns, so that it does
// not raise the Hasher's memory for good. The error is f's, or a failure to
// map the memory.
func (h *Hasher) withSlot(kib uint32, f func(*argon2.Arena) ([]byte, error)) ([]byte, error) {
	if h.slots != nil {
		h.slots <- struct{}{}
		defer func() { <-h.slots }()
	}
	if h.slotHook != nil {
		h.slotHook()
	}
	keep := h.slots != nil && kib <= h.params.Memory
	if keep {
		if a := h.takeArena(); a != nil {
			defer h.putArena(a)
			return f(a)
		}
	}
	size := kib
	if keep {
		size = h.params.Memory
	}
	a, err := argon2.NewArena(size)
	if err != nil {
		return nil, fmt.Errorf("password: %w", err)
	}
	h.addMapped(int64(size) << 10)
	if keep {
		defer h.putArena(a)
	} else {
		defer h.freeArena(a)
	}
	return f(a)
}

// freeArena unmaps a, which no computation uses any more.
func (h *Hasher) freeArena(a *argon2.Arena) {
	kib := a.KiB()
	a.Free()
	h.addMapped(-int64(kib) << 10)
}

// addMapped adds delta bytes to the arena memory mapped, and tells
// onMapped.
func (h *Hasher) addMapped(delta int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mapped += delta
	if h.onMapped != nil {
		h.onMapped(h.mapped)
	}
}

// takeArena removes and returns the last arena that putArena returned, or
// nil if there is none.
func (h *Hasher) takeArena() *argon2.Arena {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.arenas)
	if n == 0 {
		return nil
	}
	a := h.arenas[n-1]
	h.arenas = h.arenas[:n-1]
	return a
}

// defaultArenaIdle is how long pooled arenas outlive the last computation.
const defaultArenaIdle = 2 * time.Second

// putArena gives a back for the next computation, and (re)starts the idle
// timer that unmaps the pool.
func (h *Hasher) putArena(a *argon2.Arena) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.arenas = append(h.arenas, a)
	d := h.arenaIdle
	if d <= 0 {
		d = defaultArenaIdle
	}
	if h.idle == nil {
		h.idle = time.AfterFunc(d, h.releaseArenas)
	} else {
		h.idle.Reset(d)
	}
}

// releaseArenas unmaps the arenas no computation is using; the next
// computations map new ones.
func (h *Hasher) releaseArenas() {
	h.mu.Lock()
	free := h.arenas
	h.arenas = nil
	h.mu.Unlock()
	for _, a := range free {
		h.freeArena(a)
	}
}

// Normalize returns the form of plain that new hashes are made from: its
// Unicode NFKC normalisation (NIST SP 800-63B §5.1.1.2), so that a password
// typed in another normalisation form, or with compatibility characters
// (fullwidth letters, ligatures), is the same password.
func Normalize(plain string) string {
	return norm.NFKC.String(plain)
}

// Hash returns an argon2id hash of plain, normalised by [Normalize], with a
// fresh random salt, in the PHC format $argon2id$v=19$m=12288,t=3,p=1$<salt>$<key>.
// Salt and key are standard base64 without padding. It returns an error only
// if the Hasher's Params are invalid or the system refuses the memory.
func (h *Hasher) Hash(plain string) (string, error) {
	plain = Normalize(plain)
	p := h.params
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // Never fails since Go 1.24. On failure it crashes the program.
	key, err := h.withSlot(p.Memory, func(a *argon2.Arena) ([]byte, error) {
		return a.Key(argon2.ID, []byte(plain), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify reports whether plain is the password that encoded was made from,
// and whether the caller should replace encoded with a fresh [Hasher.Hash] of
// plain. needsRehash is true only when ok is true. It is true when encoded is
// not this package's argon2id format, or when it is but its parameters (including
// salt and key length) differ from the Hasher's, or when only the raw form
// of plain matched (see below).
//
// Verify first checks the [Normalize]d form of plain, the one [Hasher.Hash]
// hashes. When that fails and plain is not already normalised, it checks
// plain as it is: hashes imported from Django, or made before passwords were
// normalised, are of the raw bytes the user typed. A raw match asks for a
// rehash, so the stored hash moves to the normalised form.
//
// Supported encodings:
//
//   - $argon2id$v=19$m=..,t=..,p=..$salt$key (our own format; $argon2i$ too)
//   - argon2$argon2id$v=19$m=..,t=..,p=..$salt$key (Django's Argon2PasswordHasher)
//   - $2a$, $2b$ and $2y$ bcrypt
//   - bcrypt$<bcrypt hash> (Django's BCryptPasswordHasher)
//   - bcrypt_sha256$<bcrypt hash>: bcrypt of hex(sha256(password)), Django's BCryptSHA256PasswordHasher
//   - pbkdf2_sha256$<iterations>$<salt>$<base64 key> and pbkdf2_sha1$... (Django's PBKDF2 hashers)
//
// An unusable password ("" or starting with "!", see [IsUsable]) never
// verifies. For it, Verify returns ok=false and err=nil and does no work.
// A malformed or unknown encoding, or one with a cost above the safety limits
// in the package documentation, returns an error that wraps
// [ErrUnknownHash]. If the system refuses the hash's memory, the error does
// not wrap ErrUnknownHash; the password was not checked. Keys are compared
// in constant time.
func (h *Hasher) Verify(encoded, plain string) (ok, needsRehash bool, err error) {
	if !IsUsable(encoded) {
		return false, false, nil
	}
	normalized := Normalize(plain)
	ok, needsRehash, err = h.verify(encoded, normalized)
	if ok || err != nil || normalized == plain {
		return ok, needsRehash, err
	}
	ok, _, err = h.verify(encoded, plain)
	return ok, ok, err
}

// verify is Verify of one form of the password.
func (h *Hasher) verify(encoded, plain string) (ok, needsRehash bool, err error) {
	if strings.HasPrefix(encoded, "$argon2") {
		return h.verifyArgon2(encoded, plain, false)
	}
	if strings.HasPrefix(encoded, "$2") {
		ok, err := h.verifyBcrypt(encoded, []byte(plain))
		return ok, ok, err
	}
	algo, rest, found := strings.Cut(encoded, "$")
	if !found {
		return false, false, unknown("no algorithm prefix")
	}
	switch algo {
	case "argon2":
		return h.verifyArgon2("$"+rest, plain, true)
	case "bcrypt":
		ok, err := h.verifyBcrypt(rest, []byte(plain))
		return ok, ok, err
	case "bcrypt_sha256":
		ok, err := h.verifyBcrypt(rest, sha256Hex(plain))
		return ok, ok, err
	case "pbkdf2_sha256":
		ok, err := h.verifyPBKDF2(pbkdf2SHA256, rest, plain)
		return ok, ok, err
	case "pbkdf2_sha1":
		ok, err := h.verifyPBKDF2(pbkdf2SHA1, rest, plain)
		return ok, ok, err
	}
	// Do not echo the algorithm: if encoded was a plain-text password stored
	// by mistake, it would end up in the logs.
	return false, false, unknown("unsupported algorithm")
}

// VerifyDummy does the same work as [Hasher.Verify] of plain against a real
// hash made with the Hasher's Params, and discards the result. Call it when
// the user does not exist, so that the response time does not reveal whether
// the account exists.
func (h *Hasher) VerifyDummy(plain string) {
	_, _, _ = h.Verify(h.dummy, plain)
}

// unusablePrefix marks a password that can never verify, as in Django.
const unusablePrefix = "!"

// unusableSuffixLen is Django's UNUSABLE_PASSWORD_SUFFIX_LENGTH.
const unusableSuffixLen = 40

const alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Unusable returns a new unusable-password marker: "!" followed by 40 random
// ASCII letters and digits. Django's make_password(None) makes the same kind
// of marker. Store it for accounts that must not log in with a password, such
// as social-only sign-ups. The random suffix keeps two such accounts from
// sharing a value. [IsUsable] reports false for it, and [Hasher.Verify] never
// accepts any password for it.
func Unusable() string {
	var b strings.Builder
	b.Grow(len(unusablePrefix) + unusableSuffixLen)
	b.WriteString(unusablePrefix)
	var buf [64]byte
	for b.Len() < len(unusablePrefix)+unusableSuffixLen {
		rand.Read(buf[:]) // Never fails since Go 1.24.
		for _, c := range buf {
			// Rejection sampling keeps the choice uniform: 248 = 4*62.
			if c >= 248 {
				continue
			}
			b.WriteByte(alphanumeric[c%62])
			if b.Len() == len(unusablePrefix)+unusableSuffixLen {
				break
			}
		}
	}
	return b.String()
}

// IsUsable reports whether encoded may be a real password hash, that is,
// whether it is not empty and does not start with "!" (Django's unusable
// password prefix). It does not check that encoded is well-formed.
func IsUsable(encoded string) bool {
	return encoded != "" && !strings.HasPrefix(encoded, unusablePrefix)
}

// unknown returns an error wrapping ErrUnknownHash with a reason. The reason
// must never contain the hash or the password.
func unknown(reason string) error {
	return fmt.Errorf("%w: %s", ErrUnknownHash, reason)
}

// unknownCause is unknown with an underlying error, which it also wraps.
func unknownCause(reason string, cause error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnknownHash, reason, cause)
}

// verifyArgon2 checks a PHC argon2 string ($argon2id$v=19$m=,t=,p=$salt$key).
// django is true when the string came from Django's "argon2$" format, which
// is always rehashed into our own format.
func (h *Hasher) verifyArgon2(phc, plain string, django bool) (ok, needsRehash bool, err error) {
	parts := strings.SplitN(phc, "$", 7)
	if len(parts) != 6 || parts[0] != "" {
		return false, false, unknown("argon2: wrong number of fields")
	}
	variant := parts[1]
	if variant != "argon2id" && variant != "argon2i" {
		return false, false, unknown("argon2: unsupported variant")
	}
	if parts[2] != "v=19" {
		return false, false, unknown("argon2: unsupported version")
	}
	m, t, p, err := parseArgon2Params(parts[3])
	if err != nil {
		return false, false, err
	}
	switch {
	case p < 1:
		return false, false, unknown("argon2: parallelism below 1")
	case t < 1:
		return false, false, unknown("argon2: time below 1")
	case t > h.limits.argon2Time:
		return false, false, unknown("argon2: time above safety limit")
	case m < 8*uint32(p):
		return false, false, unknown("argon2: memory below 8*parallelism")
	case m > h.limits.argon2Memory:
		return false, false, unknown("argon2: memory above safety limit")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return false, false, unknown("argon2: bad salt")
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < minKeyLen || len(want) > maxKeyLen {
		return false, false, unknown("argon2: bad key")
	}
	v := argon2.I
	if variant == "argon2id" {
		v = argon2.ID
	}
	got, err := h.withSlot(m, func(a *argon2.Arena) ([]byte, error) {
		return a.Key(v, []byte(plain), salt, t, m, p, uint32(len(want)))
	})
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	same := Params{Memory: m, Time: t, Threads: p, SaltLen: uint32(len(salt)), KeyLen: uint32(len(want)),
		MaxConcurrent: h.params.MaxConcurrent}
	return true, django || variant != "argon2id" || same != h.params, nil
}

// parseArgon2Params parses "m=<KiB>,t=<passes>,p=<lanes>", in that order.
func parseArgon2Params(s string) (m, t uint32, p uint8, err error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return 0, 0, 0, unknown("argon2: bad parameters")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		num, found := strings.CutPrefix(fields[i], name)
		if !found {
			return 0, 0, 0, unknown("argon2: bad parameters")
		}
		bits := 32
		if name == "p=" {
			bits = 8
		}
		v, err := strconv.ParseUint(num, 10, bits)
		if err != nil {
			return 0, 0, 0, unknown("argon2: bad parameters")
		}
		vals[i] = v
	}
	return uint32(vals[0]), uint32(vals[1]), uint8(vals[2]), nil
}
