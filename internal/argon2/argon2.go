// Package argon2 computes Argon2id and Argon2i (RFC 9106, version 0x13)
// into a caller-provided, reusable [Arena], so that a server which hashes
// passwords all day allocates each hash's memory once instead of once per
// call, as golang.org/x/crypto/argon2 does.
//
// It is written from the RFC. A hash of p lanes fills them in parallel on
// up to p goroutines (no more than GOMAXPROCS), the calling one among
// them, which cuts one hash's time (12 MiB, t=3 on two cores: ~23 ms with
// one lane, ~10–12 ms with two or four). The lanes meet at the end of every
// slice, four times a pass: with one such hash at a time on two cores,
// 1.5–1.6 of them stayed busy and the hash rate under concurrent requests
// fell below one-lane hashes', so a server should still run about one hash
// per core at once.
//
// On amd64 the compression function is in assembly, AVX2 or else SSSE3 by
// what the CPU has; the purego build tag, and other architectures, use the
// Go version, which is as fast as x/crypto's Go code.
package argon2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/crypto/blake2b"
)

// Version is the Argon2 version this package computes (RFC 9106's 0x13).
const Version = 0x13

// Variant selects Argon2i or Argon2id; its value is the RFC's type y.
type Variant uint32

// The variants this package computes. Argon2d (y = 0) is left out: it is
// not meant for password hashing.
const (
	I  Variant = 1
	ID Variant = 2
)

const (
	blockWords = 128 // a block is 1 KiB of 64-bit little-endian words
	syncPoints = 4   // slices per pass
	// addressesPerBlock is how many pseudo-random values one address block
	// of data-independent addressing yields.
	addressesPerBlock = blockWords
)

type block [blockWords]uint64

// ErrArenaTooSmall is returned by [Arena.Key] when the requested memory does
// not fit the arena.
var ErrArenaTooSmall = errors.New("argon2: memory does not fit the arena")

// Key derives a keyLen-byte tag from password and salt with the given
// variant, passes (time), memory in KiB and lanes (threads), using a's
// memory. It never allocates the hash's memory: a must hold at least
// memory KiB ([Arena.KiB]). The arena's old contents do not matter, since
// Argon2 writes every block before it reads it. Key returns an error if the
// parameters are outside RFC 9106's bounds (time ≥ 1, threads ≥ 1,
// memory ≥ 8×threads, keyLen ≥ 4) or the memory does not fit. Calls that
// share an Arena must not overlap.
func (a *Arena) Key(v Variant, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	return a.key(v, password, salt, nil, nil, time, memory, threads, keyLen)
}

// key is Key with RFC 9106's optional secret K and associated data X, which
// only the RFC's test vectors use.
func (a *Arena) key(v Variant, password, salt, secret, data []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	switch {
	case v != I && v != ID:
		return nil, fmt.Errorf("argon2: unknown variant %d", v)
	case time < 1:
		return nil, errors.New("argon2: time must be at least 1")
	case threads < 1:
		return nil, errors.New("argon2: threads must be at least 1")
	case uint64(memory) < 8*uint64(threads):
		return nil, errors.New("argon2: memory must be at least 8*threads KiB")
	case keyLen < 4:
		return nil, errors.New("argon2: keyLen must be at least 4")
	case uint64(memory) > uint64(len(a.blocks)):
		return nil, fmt.Errorf("%w: %d KiB asked, %d KiB held", ErrArenaTooSmall, memory, len(a.blocks))
	}
	lanes := uint32(threads)
	// m' = 4p·floor(m/4p) blocks (RFC 9106 §3.2, step 4).
	blocks := memory / (syncPoints * lanes) * (syncPoints * lanes)
	s := fill{
		mem:     a.blocks[:blocks],
		variant: v,
		time:    time,
		lanes:   lanes,
		laneLen: blocks / lanes,
		segLen:  blocks / lanes / syncPoints,
	}
	h0 := initialHash(v, password, salt, secret, data, time, memory, lanes, keyLen)
	s.firstBlocks(&h0)
	workers := min(lanes, uint32(runtime.GOMAXPROCS(0)))
	for pass := uint32(0); pass < time; pass++ {
		for slice := uint32(0); slice < syncPoints; slice++ {
			s.slice(pass, slice, workers)
		}
	}
	// C = XOR of the last block of every lane; the tag is H'^T(C).
	c := s.mem[s.laneLen-1]
	for lane := uint32(1); lane < lanes; lane++ {
		last := &s.mem[lane*s.laneLen+s.laneLen-1]
		for i := range c {
			c[i] ^= last[i]
		}
	}
	var cb [blockWords * 8]byte
	for i, w := range c {
		binary.LittleEndian.PutUint64(cb[8*i:], w)
	}
	// The blocks are the arena's mapping, which a's cleanup unmaps: a must
	// stay reachable until they are no longer read.
	runtime.KeepAlive(a)
	tag := make([]byte, keyLen)
	hashPrime(tag, cb[:])
	return tag, nil
}

// initialHash is H0 of RFC 9106 §3.2, step 1.
func initialHash(v Variant, password, salt, secret, data []byte, time, memory, lanes, keyLen uint32) [64]byte {
	h, _ := blake2b.New512(nil) // no key: never fails
	var buf [4]byte
	le32 := func(x uint32) {
		binary.LittleEndian.PutUint32(buf[:], x)
		h.Write(buf[:])
	}
	le32(lanes)
	le32(keyLen)
	le32(memory)
	le32(time)
	le32(Version)
	le32(uint32(v))
	le32(uint32(len(password)))
	h.Write(password)
	le32(uint32(len(salt)))
	h.Write(salt)
	le32(uint32(len(secret)))
	h.Write(secret)
	le32(uint32(len(data)))
	h.Write(data)
	var h0 [64]byte
	h.Sum(h0[:0])
	return h0
}

// hashPrime writes H'^len(out)(LE32(len(out)) || in...), the variable-length
// hash of RFC 9106 §3.3, into out.
func hashPrime(out []byte, in ...[]byte) {
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h, _ := blake2b.New(len(out), nil) // 1 ≤ size ≤ 64, no key: never fails
		h.Write(t[:])
		for _, b := range in {
			h.Write(b)
		}
		h.Sum(out[:0])
		return
	}
	h, _ := blake2b.New512(nil)
	h.Write(t[:])
	for _, b := range in {
		h.Write(b)
	}
	var v [blake2b.Size]byte
	h.Sum(v[:0])
	// Emit the first half of V1..Vr, then all of V(r+1), which is only as
	// long as what is left (RFC 9106 §3.3).
	for {
		copy(out, v[:32])
		out = out[32:]
		if len(out) <= blake2b.Size {
			break
		}
		v = blake2b.Sum512(v[:])
	}
	h, _ = blake2b.New(len(out), nil)
	h.Write(v[:])
	h.Sum(out[:0])
}

// fill is the state of one Key computation.
type fill struct {
	mem     []block
	variant Variant
	time    uint32
	lanes   uint32
	laneLen uint32 // q = m'/p blocks
	segLen  uint32 // q/4 blocks
}

// firstBlocks computes B[i][0] and B[i][1] of every lane i from H0
// (RFC 9106 §3.2, steps 5 and 6).
func (s *fill) firstBlocks(h0 *[64]byte) {
	var buf [blockWords * 8]byte
	var idx [8]byte
	for lane := uint32(0); lane < s.lanes; lane++ {
		for j := uint32(0); j < 2; j++ {
			binary.LittleEndian.PutUint32(idx[:4], j)
			binary.LittleEndian.PutUint32(idx[4:], lane)
			hashPrime(buf[:], h0[:], idx[:])
			b := &s.mem[lane*s.laneLen+j]
			for i := range b {
				b[i] = binary.LittleEndian.Uint64(buf[8*i:])
			}
		}
	}
}

// slice fills the segments of every lane in slice of pass, shared out
// between workers goroutines (the caller's and workers-1 more): a segment
// reads other lanes only in finished slices, so they do not race.
func (s *fill) slice(pass, slice, workers uint32) {
	var wg sync.WaitGroup
	for w := uint32(1); w < workers; w++ {
		wg.Go(func() {
			for lane := w; lane < s.lanes; lane += workers {
				s.segment(pass, slice, lane)
			}
		})
	}
	for lane := uint32(0); lane < s.lanes; lane += workers {
		s.segment(pass, slice, lane)
	}
	wg.Wait()
}

// segment fills one segment: the blocks of lane in slice of pass
// (RFC 9106 §3.4).
func (s *fill) segment(pass, slice, lane uint32) {
	independent := s.variant == I || (pass == 0 && slice < syncPoints/2)
	var addr, input, zero block
	if independent {
		input[0] = uint64(pass)
		input[1] = uint64(lane)
		input[2] = uint64(slice)
		input[3] = uint64(len(s.mem))
		input[4] = uint64(s.time)
		input[5] = uint64(s.variant)
	}
	start := uint32(0)
	if pass == 0 && slice == 0 {
		start = 2 // B[lane][0] and B[lane][1] are the first blocks
		if independent {
			nextAddresses(&addr, &input, &zero)
		}
	}
	cur := lane*s.laneLen + slice*s.segLen + start
	prev := cur - 1
	if cur%s.laneLen == 0 {
		prev = cur + s.laneLen - 1 // the first block follows the lane's last
	}
	for i := start; i < s.segLen; i++ {
		var rnd uint64
		if independent {
			if i%addressesPerBlock == 0 {
				nextAddresses(&addr, &input, &zero)
			}
			rnd = addr[i%addressesPerBlock]
		} else {
			rnd = s.mem[prev][0]
		}
		refLane := uint32(rnd>>32) % s.lanes
		if pass == 0 && slice == 0 {
			refLane = lane
		}
		ref := refLane*s.laneLen + s.refIndex(pass, slice, i, uint32(rnd), refLane == lane)
		// Version 0x13 XORs the new block into the old one after the
		// first pass.
		compress(&s.mem[cur], &s.mem[prev], &s.mem[ref], pass > 0)
		prev = cur
		cur++
	}
}

// nextAddresses makes the next address block of data-independent
// addressing: G(ZERO, G(ZERO, input)) with input's counter incremented.
func nextAddresses(addr, input, zero *block) {
	input[6]++
	compress(addr, zero, input, false)
	compress(addr, zero, addr, false)
}

// refIndex maps J1 to the index, within the reference lane, of the block
// that block index of slice in pass refers to (RFC 9106 §3.4.2).
func (s *fill) refIndex(pass, slice, index, j1 uint32, sameLane bool) uint32 {
	// area is |W|, the number of blocks the new block may refer to: every
	// block already computed in this pass or the last (other lanes: only
	// finished segments), except the previous block.
	var area uint32
	if pass == 0 {
		area = slice * s.segLen // finished slices of this pass
	} else {
		area = s.laneLen - s.segLen // the other three slices
	}
	if sameLane {
		area += index - 1
	} else if index == 0 {
		area-- // the reference lane's last block precedes this one
	}
	x := uint64(j1) * uint64(j1) >> 32
	y := uint64(area) * x >> 32
	rel := uint64(area) - 1 - y
	var startPos uint64
	if pass != 0 && slice != syncPoints-1 {
		startPos = uint64(slice+1) * uint64(s.segLen)
	}
	return uint32((startPos + rel) % uint64(s.laneLen))
}
