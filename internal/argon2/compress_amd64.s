//go:build amd64 && !purego

#include "textflag.h"

// compressAVX2 is compressGeneric with AVX2. A YMM register holds four
// words of P's 16-word state: a = v0..v3, b = v4..v7, c = v8..v11,
// d = v12..v15, so one instruction does a step of four GB calls, and the
// diagonal half of the round is the column half after rotating b, c and d
// by one, two and three words. Two permutations (two rows, or two columns)
// run interleaved, in Y0-Y3 and Y4-Y7, to hide the multiplier's latency.
// Y8 and Y9 are scratch, Y10 and Y11 the byte shuffles of the 24- and
// 16-bit rotations.
//
// The frame holds R = x^y (0..1023) and Q = P applied to R's rows
// (1024..2047). out is written only at the end, column pair by column pair,
// from Q and R, so it may be x or y.

DATA rot24<>+0x00(SB)/8, $0x0201000706050403
DATA rot24<>+0x08(SB)/8, $0x0a09080f0e0d0c0b
DATA rot24<>+0x10(SB)/8, $0x0201000706050403
DATA rot24<>+0x18(SB)/8, $0x0a09080f0e0d0c0b
GLOBL rot24<>(SB), (NOPTR+RODATA), $32

DATA rot16<>+0x00(SB)/8, $0x0100070605040302
DATA rot16<>+0x08(SB)/8, $0x09080f0e0d0c0b0a
DATA rot16<>+0x10(SB)/8, $0x0100070605040302
DATA rot16<>+0x18(SB)/8, $0x09080f0e0d0c0b0a
GLOBL rot16<>(SB), (NOPTR+RODATA), $32

// a += b + 2*lo32(a)*lo32(b), for both permutations.
#define MULADD(a0, b0, a1, b1) \
	VPMULUDQ b0, a0, Y8 \
	VPMULUDQ b1, a1, Y9 \
	VPADDQ   b0, a0, a0 \
	VPADDQ   b1, a1, a1 \
	VPADDQ   Y8, Y8, Y8 \
	VPADDQ   Y9, Y9, Y9 \
	VPADDQ   Y8, a0, a0 \
	VPADDQ   Y9, a1, a1

// GB on the four columns (or, after DIAG, diagonals) of both states.
#define GB4(a0, b0, c0, d0, a1, b1, c1, d1) \
	MULADD(a0, b0, a1, b1)              \
	VPXOR    a0, d0, d0                 \
	VPXOR    a1, d1, d1                 \
	VPSHUFD  $0xb1, d0, d0              \
	VPSHUFD  $0xb1, d1, d1              \
	MULADD(c0, d0, c1, d1)              \
	VPXOR    c0, b0, b0                 \
	VPXOR    c1, b1, b1                 \
	VPSHUFB  Y10, b0, b0                \
	VPSHUFB  Y10, b1, b1                \
	MULADD(a0, b0, a1, b1)              \
	VPXOR    a0, d0, d0                 \
	VPXOR    a1, d1, d1                 \
	VPSHUFB  Y11, d0, d0                \
	VPSHUFB  Y11, d1, d1                \
	MULADD(c0, d0, c1, d1)              \
	VPXOR    c0, b0, b0                 \
	VPXOR    c1, b1, b1                 \
	VPADDQ   b0, b0, Y8                 \
	VPADDQ   b1, b1, Y9                 \
	VPSRLQ   $63, b0, b0                \
	VPSRLQ   $63, b1, b1                \
	VPXOR    Y8, b0, b0                 \
	VPXOR    Y9, b1, b1

// DIAG lines the diagonals up as columns: b, c, d rotate by 1, 2, 3 words.
#define DIAG(b, c, d) \
	VPERMQ $0x39, b, b \
	VPERMQ $0x4e, c, c \
	VPERMQ $0x93, d, d

// UNDIAG undoes DIAG.
#define UNDIAG(b, c, d) \
	VPERMQ $0x93, b, b \
	VPERMQ $0x4e, c, c \
	VPERMQ $0x39, d, d

// P on the states in Y0-Y3 and Y4-Y7.
#define PERMUTE2 \
	GB4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7) \
	DIAG(Y1, Y2, Y3)                    \
	DIAG(Y5, Y6, Y7)                    \
	GB4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7) \
	UNDIAG(Y1, Y2, Y3)                  \
	UNDIAG(Y5, Y6, Y7)

// func compressAVX2(out, x, y *block, xor bool)
TEXT ·compressAVX2(SB), 0, $2048-25
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVBLZX xor+24(FP), CX
	LEAQ 0(SP), R8    // R
	LEAQ 1024(SP), R9 // Q
	VMOVDQU rot24<>(SB), Y10
	VMOVDQU rot16<>(SB), Y11

	// Rows: rows 2k and 2k+1 are the 256 bytes at AX = 256k.
	XORQ AX, AX
rows:
	VMOVDQU 0(SI)(AX*1), Y0
	VPXOR 0(DX)(AX*1), Y0, Y0
	VMOVDQU Y0, 0(R8)(AX*1)
	VMOVDQU 32(SI)(AX*1), Y1
	VPXOR 32(DX)(AX*1), Y1, Y1
	VMOVDQU Y1, 32(R8)(AX*1)
	VMOVDQU 64(SI)(AX*1), Y2
	VPXOR 64(DX)(AX*1), Y2, Y2
	VMOVDQU Y2, 64(R8)(AX*1)
	VMOVDQU 96(SI)(AX*1), Y3
	VPXOR 96(DX)(AX*1), Y3, Y3
	VMOVDQU Y3, 96(R8)(AX*1)
	VMOVDQU 128(SI)(AX*1), Y4
	VPXOR 128(DX)(AX*1), Y4, Y4
	VMOVDQU Y4, 128(R8)(AX*1)
	VMOVDQU 160(SI)(AX*1), Y5
	VPXOR 160(DX)(AX*1), Y5, Y5
	VMOVDQU Y5, 160(R8)(AX*1)
	VMOVDQU 192(SI)(AX*1), Y6
	VPXOR 192(DX)(AX*1), Y6, Y6
	VMOVDQU Y6, 192(R8)(AX*1)
	VMOVDQU 224(SI)(AX*1), Y7
	VPXOR 224(DX)(AX*1), Y7, Y7
	VMOVDQU Y7, 224(R8)(AX*1)
	PERMUTE2
	VMOVDQU Y0, 0(R9)(AX*1)
	VMOVDQU Y1, 32(R9)(AX*1)
	VMOVDQU Y2, 64(R9)(AX*1)
	VMOVDQU Y3, 96(R9)(AX*1)
	VMOVDQU Y4, 128(R9)(AX*1)
	VMOVDQU Y5, 160(R9)(AX*1)
	VMOVDQU Y6, 192(R9)(AX*1)
	VMOVDQU Y7, 224(R9)(AX*1)
	ADDQ $256, AX
	CMPQ AX, $1024
	JB rows

	// Columns: column pair 2k, 2k+1 is the 32 bytes at AX = 32k of every
	// row. Register i of the first column holds rows 2i and 2i+1 of it.
	XORQ AX, AX
cols:
	VMOVDQU 0(R9)(AX*1), X0
	VINSERTI128 $1, 128(R9)(AX*1), Y0, Y0
	VMOVDQU 256(R9)(AX*1), X1
	VINSERTI128 $1, 384(R9)(AX*1), Y1, Y1
	VMOVDQU 512(R9)(AX*1), X2
	VINSERTI128 $1, 640(R9)(AX*1), Y2, Y2
	VMOVDQU 768(R9)(AX*1), X3
	VINSERTI128 $1, 896(R9)(AX*1), Y3, Y3
	VMOVDQU 16(R9)(AX*1), X4
	VINSERTI128 $1, 144(R9)(AX*1), Y4, Y4
	VMOVDQU 272(R9)(AX*1), X5
	VINSERTI128 $1, 400(R9)(AX*1), Y5, Y5
	VMOVDQU 528(R9)(AX*1), X6
	VINSERTI128 $1, 656(R9)(AX*1), Y6, Y6
	VMOVDQU 784(R9)(AX*1), X7
	VINSERTI128 $1, 912(R9)(AX*1), Y7, Y7
	PERMUTE2
	// Z ^ R
	VMOVDQU 0(R8)(AX*1), X8
	VINSERTI128 $1, 128(R8)(AX*1), Y8, Y8
	VPXOR Y8, Y0, Y0
	VMOVDQU 256(R8)(AX*1), X9
	VINSERTI128 $1, 384(R8)(AX*1), Y9, Y9
	VPXOR Y9, Y1, Y1
	VMOVDQU 512(R8)(AX*1), X8
	VINSERTI128 $1, 640(R8)(AX*1), Y8, Y8
	VPXOR Y8, Y2, Y2
	VMOVDQU 768(R8)(AX*1), X9
	VINSERTI128 $1, 896(R8)(AX*1), Y9, Y9
	VPXOR Y9, Y3, Y3
	VMOVDQU 16(R8)(AX*1), X8
	VINSERTI128 $1, 144(R8)(AX*1), Y8, Y8
	VPXOR Y8, Y4, Y4
	VMOVDQU 272(R8)(AX*1), X9
	VINSERTI128 $1, 400(R8)(AX*1), Y9, Y9
	VPXOR Y9, Y5, Y5
	VMOVDQU 528(R8)(AX*1), X8
	VINSERTI128 $1, 656(R8)(AX*1), Y8, Y8
	VPXOR Y8, Y6, Y6
	VMOVDQU 784(R8)(AX*1), X9
	VINSERTI128 $1, 912(R8)(AX*1), Y9, Y9
	VPXOR Y9, Y7, Y7
	TESTQ CX, CX
	JZ store
	// ^ out's old value
	VMOVDQU 0(DI)(AX*1), X8
	VINSERTI128 $1, 128(DI)(AX*1), Y8, Y8
	VPXOR Y8, Y0, Y0
	VMOVDQU 256(DI)(AX*1), X9
	VINSERTI128 $1, 384(DI)(AX*1), Y9, Y9
	VPXOR Y9, Y1, Y1
	VMOVDQU 512(DI)(AX*1), X8
	VINSERTI128 $1, 640(DI)(AX*1), Y8, Y8
	VPXOR Y8, Y2, Y2
	VMOVDQU 768(DI)(AX*1), X9
	VINSERTI128 $1, 896(DI)(AX*1), Y9, Y9
	VPXOR Y9, Y3, Y3
	VMOVDQU 16(DI)(AX*1), X8
	VINSERTI128 $1, 144(DI)(AX*1), Y8, Y8
	VPXOR Y8, Y4, Y4
	VMOVDQU 272(DI)(AX*1), X9
	VINSERTI128 $1, 400(DI)(AX*1), Y9, Y9
	VPXOR Y9, Y5, Y5
	VMOVDQU 528(DI)(AX*1), X8
	VINSERTI128 $1, 656(DI)(AX*1), Y8, Y8
	VPXOR Y8, Y6, Y6
	VMOVDQU 784(DI)(AX*1), X9
	VINSERTI128 $1, 912(DI)(AX*1), Y9, Y9
	VPXOR Y9, Y7, Y7
store:
	VMOVDQU X0, 0(DI)(AX*1)
	VEXTRACTI128 $1, Y0, 128(DI)(AX*1)
	VMOVDQU X1, 256(DI)(AX*1)
	VEXTRACTI128 $1, Y1, 384(DI)(AX*1)
	VMOVDQU X2, 512(DI)(AX*1)
	VEXTRACTI128 $1, Y2, 640(DI)(AX*1)
	VMOVDQU X3, 768(DI)(AX*1)
	VEXTRACTI128 $1, Y3, 896(DI)(AX*1)
	VMOVDQU X4, 16(DI)(AX*1)
	VEXTRACTI128 $1, Y4, 144(DI)(AX*1)
	VMOVDQU X5, 272(DI)(AX*1)
	VEXTRACTI128 $1, Y5, 400(DI)(AX*1)
	VMOVDQU X6, 528(DI)(AX*1)
	VEXTRACTI128 $1, Y6, 656(DI)(AX*1)
	VMOVDQU X7, 784(DI)(AX*1)
	VEXTRACTI128 $1, Y7, 912(DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, $128
	JB cols

	VZEROUPPER
	RET

// compressSSSE3 is compressGeneric for CPUs without AVX2, with SSSE3. An
// XMM register holds two words of P's state: a = v0..v3 is X0, X1, b is
// X2, X3, c is X4, X5 and d is X6, X7; the two halves of a step run
// interleaved. For the diagonal half of the round, c's two registers
// trade places (in the macro's arguments) and b's and d's words shift by
// one across their pair (PALIGNR). X8 and X9 are scratch, X10 and X11 the
// byte shuffles of the 24- and 16-bit rotations. The frame is laid out as
// in compressAVX2.

// a += b + 2*lo32(a)*lo32(b), for both halves.
#define MULADD2(a0, b0, a1, b1) \
	MOVO    a0, X8  \
	MOVO    a1, X9  \
	PMULULQ b0, X8  \
	PMULULQ b1, X9  \
	PADDQ   b0, a0  \
	PADDQ   b1, a1  \
	PADDQ   X8, X8  \
	PADDQ   X9, X9  \
	PADDQ   X8, a0  \
	PADDQ   X9, a1

#define GB2(a0, a1, b0, b1, c0, c1, d0, d1) \
	MULADD2(a0, b0, a1, b1) \
	PXOR    a0, d0          \
	PXOR    a1, d1          \
	PSHUFD  $0xb1, d0, d0   \
	PSHUFD  $0xb1, d1, d1   \
	MULADD2(c0, d0, c1, d1) \
	PXOR    c0, b0          \
	PXOR    c1, b1          \
	PSHUFB  X10, b0         \
	PSHUFB  X10, b1         \
	MULADD2(a0, b0, a1, b1) \
	PXOR    a0, d0          \
	PXOR    a1, d1          \
	PSHUFB  X11, d0         \
	PSHUFB  X11, d1         \
	MULADD2(c0, d0, c1, d1) \
	PXOR    c0, b0          \
	PXOR    c1, b1          \
	MOVO    b0, X8          \
	MOVO    b1, X9          \
	PADDQ   X8, X8          \
	PADDQ   X9, X9          \
	PSRLQ   $63, b0         \
	PSRLQ   $63, b1         \
	PXOR    X8, b0          \
	PXOR    X9, b1

// SHIFT2 shifts the words of the pair (lo, hi) by one: outlo gets lo's
// high word and hi's low word, outhi hi's high word and lo's low word.
// Twice, with the outputs swapped the second time, it shifts back.
#define SHIFT2(lo, hi, outlo, outhi) \
	MOVO    hi, X8      \
	MOVO    lo, X9      \
	PALIGNR $8, lo, X8  \
	PALIGNR $8, hi, X9  \
	MOVO    X8, outlo   \
	MOVO    X9, outhi

// P on the state in X0-X7. For the diagonals b becomes v5, v6 | v7, v4
// in X2, X3, d becomes v15, v12 | v13, v14 in X7, X6, and c is passed as
// X5, X4.
#define PERMUTE1 \
	GB2(X0, X1, X2, X3, X4, X5, X6, X7) \
	SHIFT2(X2, X3, X2, X3)              \
	SHIFT2(X7, X6, X7, X6)              \
	GB2(X0, X1, X2, X3, X5, X4, X7, X6) \
	SHIFT2(X2, X3, X3, X2)              \
	SHIFT2(X7, X6, X6, X7)

// func compressSSSE3(out, x, y *block, xor bool)
TEXT ·compressSSSE3(SB), 0, $2048-25
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVBLZX xor+24(FP), CX
	LEAQ 0(SP), R8    // R
	LEAQ 1024(SP), R9 // Q
	MOVOU rot24<>(SB), X10
	MOVOU rot16<>(SB), X11

	// Rows: row k is the 128 bytes at AX = 128k.
	XORQ AX, AX
rows:
	MOVOU 0(SI)(AX*1), X0
	MOVOU 0(DX)(AX*1), X8
	PXOR X8, X0
	MOVOU X0, 0(R8)(AX*1)
	MOVOU 16(SI)(AX*1), X1
	MOVOU 16(DX)(AX*1), X8
	PXOR X8, X1
	MOVOU X1, 16(R8)(AX*1)
	MOVOU 32(SI)(AX*1), X2
	MOVOU 32(DX)(AX*1), X8
	PXOR X8, X2
	MOVOU X2, 32(R8)(AX*1)
	MOVOU 48(SI)(AX*1), X3
	MOVOU 48(DX)(AX*1), X8
	PXOR X8, X3
	MOVOU X3, 48(R8)(AX*1)
	MOVOU 64(SI)(AX*1), X4
	MOVOU 64(DX)(AX*1), X8
	PXOR X8, X4
	MOVOU X4, 64(R8)(AX*1)
	MOVOU 80(SI)(AX*1), X5
	MOVOU 80(DX)(AX*1), X8
	PXOR X8, X5
	MOVOU X5, 80(R8)(AX*1)
	MOVOU 96(SI)(AX*1), X6
	MOVOU 96(DX)(AX*1), X8
	PXOR X8, X6
	MOVOU X6, 96(R8)(AX*1)
	MOVOU 112(SI)(AX*1), X7
	MOVOU 112(DX)(AX*1), X8
	PXOR X8, X7
	MOVOU X7, 112(R8)(AX*1)
	PERMUTE1
	MOVOU X0, 0(R9)(AX*1)
	MOVOU X1, 16(R9)(AX*1)
	MOVOU X2, 32(R9)(AX*1)
	MOVOU X3, 48(R9)(AX*1)
	MOVOU X4, 64(R9)(AX*1)
	MOVOU X5, 80(R9)(AX*1)
	MOVOU X6, 96(R9)(AX*1)
	MOVOU X7, 112(R9)(AX*1)
	ADDQ $128, AX
	CMPQ AX, $1024
	JB rows

	// Columns: column k is the 16 bytes at AX = 16k of every row; register
	// j holds row j's.
	XORQ AX, AX
cols:
	MOVOU 0(R9)(AX*1), X0
	MOVOU 128(R9)(AX*1), X1
	MOVOU 256(R9)(AX*1), X2
	MOVOU 384(R9)(AX*1), X3
	MOVOU 512(R9)(AX*1), X4
	MOVOU 640(R9)(AX*1), X5
	MOVOU 768(R9)(AX*1), X6
	MOVOU 896(R9)(AX*1), X7
	PERMUTE1
	// Z ^ R
	MOVOU 0(R8)(AX*1), X8
	PXOR X8, X0
	MOVOU 128(R8)(AX*1), X8
	PXOR X8, X1
	MOVOU 256(R8)(AX*1), X8
	PXOR X8, X2
	MOVOU 384(R8)(AX*1), X8
	PXOR X8, X3
	MOVOU 512(R8)(AX*1), X8
	PXOR X8, X4
	MOVOU 640(R8)(AX*1), X8
	PXOR X8, X5
	MOVOU 768(R8)(AX*1), X8
	PXOR X8, X6
	MOVOU 896(R8)(AX*1), X8
	PXOR X8, X7
	TESTQ CX, CX
	JZ store
	// ^ out's old value
	MOVOU 0(DI)(AX*1), X8
	PXOR X8, X0
	MOVOU 128(DI)(AX*1), X8
	PXOR X8, X1
	MOVOU 256(DI)(AX*1), X8
	PXOR X8, X2
	MOVOU 384(DI)(AX*1), X8
	PXOR X8, X3
	MOVOU 512(DI)(AX*1), X8
	PXOR X8, X4
	MOVOU 640(DI)(AX*1), X8
	PXOR X8, X5
	MOVOU 768(DI)(AX*1), X8
	PXOR X8, X6
	MOVOU 896(DI)(AX*1), X8
	PXOR X8, X7
store:
	MOVOU X0, 0(DI)(AX*1)
	MOVOU X1, 128(DI)(AX*1)
	MOVOU X2, 256(DI)(AX*1)
	MOVOU X3, 384(DI)(AX*1)
	MOVOU X4, 512(DI)(AX*1)
	MOVOU X5, 640(DI)(AX*1)
	MOVOU X6, 768(DI)(AX*1)
	MOVOU X7, 896(DI)(AX*1)
	ADDQ $16, AX
	CMPQ AX, $128
	JB cols
	RET
