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
	for i := 0; i < blockWords; i += 16 {
		permuteRow((*[16]uint64)(q[i:]))
	}
	for i := 0; i < 16; i += 2 {
		permuteColumn((*[16*7 + 2]uint64)(q[i:]))
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

// permuteRow applies the permutation P of RFC 9106 §3.6 (one BLAKE2b
// round, without message words, with BlaMka's multiplication added to each
// addition) to a row of the block: 16 consecutive words.
func permuteRow(v *[16]uint64) {
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

// permuteColumn is permuteRow on a column of the block: words 0 and 1 of
// each of c's 8 rows of 16, c starting at the column's first word. It is a
// copy of permuteRow with other constant indices: computed ones cost the
// generic code a tenth more instructions in index arithmetic.
func permuteColumn(c *[16*7 + 2]uint64) {
	v0, v1, v2, v3, v4, v5, v6, v7 := c[0], c[1], c[16], c[17], c[32], c[33], c[48], c[49]
	v8, v9, v10, v11, v12, v13, v14, v15 := c[64], c[65], c[80], c[81], c[96], c[97], c[112], c[113]
	v0, v4, v8, v12 = gb(v0, v4, v8, v12)
	v1, v5, v9, v13 = gb(v1, v5, v9, v13)
	v2, v6, v10, v14 = gb(v2, v6, v10, v14)
	v3, v7, v11, v15 = gb(v3, v7, v11, v15)
	v0, v5, v10, v15 = gb(v0, v5, v10, v15)
	v1, v6, v11, v12 = gb(v1, v6, v11, v12)
	v2, v7, v8, v13 = gb(v2, v7, v8, v13)
	v3, v4, v9, v14 = gb(v3, v4, v9, v14)
	c[0], c[1], c[16], c[17], c[32], c[33], c[48], c[49] = v0, v1, v2, v3, v4, v5, v6, v7
	c[64], c[65], c[80], c[81], c[96], c[97], c[112], c[113] = v8, v9, v10, v11, v12, v13, v14, v15
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
