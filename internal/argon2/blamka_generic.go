package argon2

import "math/bits"

// compressGeneric is compress in plain Go: out = P(x^y) ^ (x^y), and with
// xor also ^ out's old value (RFC 9106 §3.5). out may be x or y.
func compressGeneric(out, x, y *block, xor bool) {
	var r, q block
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	q = r
	// P on each row: 16 consecutive words.
	for i := 0; i < blockWords; i += 16 {
		permute((*[16]uint64)(q[i : i+16]))
	}
	// P on each column: words 2c and 2c+1 of every row.
	var col [16]uint64
	for c := 0; c < 16; c += 2 {
		for row := 0; row < 8; row++ {
			col[2*row] = q[16*row+c]
			col[2*row+1] = q[16*row+c+1]
		}
		permute(&col)
		for row := 0; row < 8; row++ {
			q[16*row+c] = col[2*row]
			q[16*row+c+1] = col[2*row+1]
		}
	}
	if xor {
		for i := range out {
			out[i] ^= q[i] ^ r[i]
		}
		return
	}
	for i := range out {
		out[i] = q[i] ^ r[i]
	}
}

// permute is the permutation P of RFC 9106 §3.6: one BLAKE2b round, without
// message words, with BlaMka's multiplication added to each addition.
func permute(v *[16]uint64) {
	v0, v1, v2, v3, v4, v5, v6, v7 := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	v8, v9, v10, v11, v12, v13, v14, v15 := v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]
	v0, v4, v8, v12 = gb(v0, v4, v8, v12)
	v1, v5, v9, v13 = gb(v1, v5, v9, v13)
	v2, v6, v10, v14 = gb(v2, v6, v10, v14)
	v3, v7, v11, v15 = gb(v3, v7, v11, v15)
	v0, v5, v10, v15 = gb(v0, v5, v10, v15)
	v1, v6, v11, v12 = gb(v1, v6, v11, v12)
	v2, v7, v8, v13 = gb(v2, v7, v8, v13)
	v3, v4, v9, v14 = gb(v3, v4, v9, v14)
	v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] = v0, v1, v2, v3, v4, v5, v6, v7
	v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15] = v8, v9, v10, v11, v12, v13, v14, v15
}

// gb is RFC 9106's GB: BLAKE2b's G with a+b replaced by
// a + b + 2·trunc(a)·trunc(b).
func gb(a, b, c, d uint64) (uint64, uint64, uint64, uint64) {
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -32)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -24)
	a += b + 2*uint64(uint32(a))*uint64(uint32(b))
	d = bits.RotateLeft64(d^a, -16)
	c += d + 2*uint64(uint32(c))*uint64(uint32(d))
	b = bits.RotateLeft64(b^c, -63)
	return a, b, c, d
}
