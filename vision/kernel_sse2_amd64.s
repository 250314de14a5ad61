//go:build amd64 && !purego

#include "textflag.h"

// SSE2 kernels: 16 pixels per instruction, SSE2 instructions only (no PTEST,
// PSHUFB or PMADDUBSW, which came later). Vector loads are MOVOU: legacy SSE
// memory operands would have to be 16-byte aligned.

// tailmask<>+k holds 16-k zero bytes then k 0xFF bytes (0 <= k <= 16): a
// step of 16 pixels that ends at x1 and redoes 16-k pixels already counted
// loads its mask from there, 0xFF only for the k new pixels.
DATA tailmask<>+0x00(SB)/8, $0
DATA tailmask<>+0x08(SB)/8, $0
DATA tailmask<>+0x10(SB)/8, $-1
DATA tailmask<>+0x18(SB)/8, $-1
GLOBL tailmask<>(SB), RODATA|NOPTR, $32

// ---------------------------------------------------------------------------
// diff2, diff3
//
// Register roles:
//	SI, DI, R14	row r of a, b (and c for diff3)
//	BX		row r of the mask m
//	DX		acc
//	R8, R12		x0, x1: the window of every row
//	R10		rows
//	CX		r, the current row
//	AX		result: bit r set when row r changed
//	R11		x, the current column
//	R9, R13		scratch
//	X15		thr+1 in every byte
//	X14		OR of row r's change masks
//	X12		max(127-thr, 0) in every byte: the filter's bias
//
// The method is that of the AVX2 kernels (see kernel_avx2_amd64.s) with 16
// pixels per register: a pixel's distance d is |a-b| for diff2 and
// min(|c-a|, |c-b|) for diff3, with |p-q| = (p ∸ q) | (q ∸ p) (saturating
// subtraction). It changed iff d > thr ⇔ max(d, thr+1) == d, a compare that
// yields 0xFF per changed pixel; ANDed with the mask bytes (0xFF watched),
// acc -= mask then adds one to the counter of each changed pixel, and the OR
// of the masks flags the row.
//
// A row is walked in blocks of 128 pixels (then one of 64, then steps of 16)
// that only compute d and test whether any d of the block may exceed thr;
// only a flagged block (of a flagged block of 128, only the half of 64 pixels
// that may have changed) goes on to the exact masks, reads the mask bytes and
// touches acc. Every row runs the same blocks (the window is the call's), so
// the branch predictor learns the loop exits; a window whose width is not a
// multiple of 16 ends with one step over its last 16 pixels, its distances
// masked to the pixels not yet seen (tailmask). A window narrower than 16
// pixels goes a pixel at a time. No load or store leaves the window.
//
// The block test. SSE2 has no PTEST (SSE4.1), but PMOVMSKB gathers the high
// bit of every byte into a GPR, so the test moves "may exceed thr" into the
// high bit with one saturating add: the block's distances are ORed together
// (x >= every d, so a d > thr makes x > thr) and x + (127-thr) >= 128 ⇔
// x > thr when thr < 128 (a saturated sum is 255, still >= 128); for
// thr >= 128 the bias is 0 and any x > thr has its high bit set already. So
// PADDUSB, PMOVMSKB and a TEST that fuses with its jump: one vector
// instruction, where the AVX2 test without PTEST (AND with 0xFF<<k, compare
// with zero, then the bits against 0xFFFF) would take two, and it tests thr
// itself rather than the power of two below thr+1. It is still conservative:
// an OR may exceed thr where no single d does, and then the exact masks
// simply find nothing.

// ABSD: d = |p-q|; q is clobbered.
#define ABSD(p, q, d) \
	MOVO    p, d; \
	PSUBUSB q, d; \
	PSUBUSB p, q; \
	POR     q, d

// DIST2, DIST3: d = the distance of the 16 pixels at x+off; c, p, q are
// scratch (DIST2 leaves c alone).
#define DIST2(off, d, c, p, q) \
	MOVOU off(SI)(R11*1), p; \
	MOVOU off(DI)(R11*1), q; \
	ABSD(p, q, d)

#define DIST3(off, d, c, p, q) \
	MOVOU  off(R14)(R11*1), c; \
	MOVOU  off(SI)(R11*1), p; \
	ABSD(c, p, d); \
	MOVOU  off(DI)(R11*1), q; \
	ABSD(c, q, p); \
	PMINUB p, d

// DIST2B, DIST3B: the same for the one pixel at x, its bytes moved through
// R13 into the low lane (MOVQ zeroes the other lanes: 0 is never > thr).
#define DIST2B(d, c, p, q) \
	MOVBLZX (SI)(R11*1), R13; \
	MOVQ    R13, p; \
	MOVBLZX (DI)(R11*1), R13; \
	MOVQ    R13, q; \
	ABSD(p, q, d)

#define DIST3B(d, c, p, q) \
	MOVBLZX (R14)(R11*1), R13; \
	MOVQ    R13, c; \
	MOVBLZX (SI)(R11*1), R13; \
	MOVQ    R13, p; \
	ABSD(c, p, d); \
	MOVBLZX (DI)(R11*1), R13; \
	MOVQ    R13, q; \
	ABSD(c, q, p); \
	PMINUB  p, d

// GT: d = 0xFF where d > thr, else 0 (X15 holds thr+1; t is scratch).
#define GT(d, t) \
	MOVO    X15, t; \
	PMAXUB  d, t; \
	PCMPEQB t, d

// ANY sets the flags NZ when some byte of x (an OR of distances) may exceed
// thr (see "The block test" above); x is clobbered.
#define ANY(x) \
	PADDUSB  X12, x; \
	PMOVMSKB x, R13; \
	TESTL    R13, R13

// MARK turns the distances d of the 16 pixels at x+off into their mask,
// keeps the watched ones, ORs them into the row flag and counts them
// (acc -= mask); t is scratch.
#define MARK(off, d, t) \
	GT(d, t); \
	MOVOU off(BX)(R11*1), t; \
	PAND  t, d; \
	POR   d, X14; \
	MOVOU off(DX)(R11*1), t; \
	PSUBB d, t; \
	MOVOU t, off(DX)(R11*1)

// ROWFLAG sets bit r of the result if row r changed and clears the flag.
#define ROWFLAG(skip) \
	PMOVMSKB X14, R13; \
	TESTL    R13, R13; \
	JZ       skip; \
	BTSQ     CX, AX; \
	PXOR     X14, X14

// NEXT2, NEXT3 step the row pointers to row r+1.
#define NEXT2 \
	ADDQ sa+72(FP), SI; \
	ADDQ sb+80(FP), DI; \
	ADDQ sm+88(FP), BX

#define NEXT3 \
	ADDQ sa+96(FP), SI; \
	ADDQ sb+104(FP), DI; \
	ADDQ sc+112(FP), R14; \
	ADDQ sm+120(FP), BX

// DIFFBAND is the body shared by diff2 and diff3, given DIST and DISTB,
// NEXT, and the memory operands holding thr, x0, x1 and rows.
#define DIFFBAND(DIST, DISTB, NEXT, thrarg, x0arg, x1arg, rowsarg) \
	MOVQ     thrarg, R13; \
	INCQ     R13; \
	IMUL3L   $0x01010101, R13, R9; \
	MOVQ     R9, X15; \
	PSHUFL   $0, X15, X15;      /* thr+1 */ \
	MOVL     $0x80808080, R9; \
	MOVQ     R9, X12; \
	PSHUFL   $0, X12, X12; \
	PSUBUSB  X15, X12;          /* 128 ∸ (thr+1) = max(127-thr, 0) */ \
	MOVQ     x0arg, R8; \
	MOVQ     x1arg, R12; \
	MOVQ     rowsarg, R10; \
	XORQ     AX, AX; \
	XORQ     CX, CX; \
	PXOR     X14, X14; \
	MOVQ     R12, R13; \
	SUBQ     R8, R13; \
	CMPQ     R13, $16; \
	JLT      narrow; \
row: \
	MOVQ     R8, R11; \
b128: \
	LEAQ     128(R11), R13; \
	CMPQ     R13, R12; \
	JGT      b64; \
	DIST(0, X0, X4, X5, X6); \
	DIST(16, X1, X4, X5, X6); \
	DIST(32, X2, X4, X5, X6); \
	DIST(48, X3, X4, X5, X6); \
	DIST(64, X7, X4, X5, X6); \
	DIST(80, X8, X4, X5, X6); \
	DIST(96, X9, X4, X5, X6); \
	DIST(112, X10, X4, X5, X6); \
	MOVO     X0, X4; \
	POR      X1, X4; \
	MOVO     X2, X5; \
	POR      X3, X5; \
	MOVO     X7, X6; \
	POR      X8, X6; \
	MOVO     X9, X11; \
	POR      X10, X11; \
	POR      X5, X4;            /* the OR of the low 64 pixels */ \
	POR      X11, X6;           /* the OR of the high 64 */ \
	MOVO     X4, X5; \
	POR      X6, X5; \
	ANY(X5); \
	JNZ      mark128; \
next128: \
	ADDQ     $128, R11; \
	JMP      b128; \
mark128: \
	/* count only the half (or halves) of 64 pixels that may have changed */ \
	ANY(X4); \
	JZ       mark128hi; \
	MARK(0, X0, X4); \
	MARK(16, X1, X4); \
	MARK(32, X2, X4); \
	MARK(48, X3, X4); \
mark128hi: \
	ANY(X6); \
	JZ       next128; \
	MARK(64, X7, X4); \
	MARK(80, X8, X4); \
	MARK(96, X9, X4); \
	MARK(112, X10, X4); \
	JMP      next128; \
b64: \
	LEAQ     64(R11), R13; \
	CMPQ     R13, R12; \
	JGT      b16; \
	DIST(0, X0, X4, X5, X6); \
	DIST(16, X1, X4, X5, X6); \
	DIST(32, X2, X4, X5, X6); \
	DIST(48, X3, X4, X5, X6); \
	MOVO     X0, X4; \
	POR      X1, X4; \
	MOVO     X2, X5; \
	POR      X3, X5; \
	POR      X5, X4; \
	ANY(X4); \
	JZ       next64; \
	MARK(0, X0, X4); \
	MARK(16, X1, X4); \
	MARK(32, X2, X4); \
	MARK(48, X3, X4); \
next64: \
	ADDQ     $64, R11; \
b16: \
	LEAQ     16(R11), R13; \
	CMPQ     R13, R12; \
	JGT      tail; \
	DIST(0, X0, X4, X5, X6); \
	MOVO     X0, X4; \
	ANY(X4); \
	JNZ      mark16; \
next16: \
	ADDQ     $16, R11; \
	JMP      b16; \
mark16: \
	MARK(0, X0, X4); \
	JMP      next16; \
tail: \
	CMPQ     R11, R12; \
	JEQ      rowdone; \
	/* the last 16 pixels, keeping the distances of the new ones */ \
	LEAQ     tailmask<>+0(SB), R9; \
	ADDQ     R12, R9; \
	SUBQ     R11, R9; \
	LEAQ     -16(R12), R11; \
	DIST(0, X0, X4, X5, X6); \
	MOVOU    (R9), X4; \
	PAND     X4, X0; \
	MOVO     X0, X4; \
	ANY(X4); \
	JZ       rowdone; \
	MARK(0, X0, X4); \
rowdone: \
	ROWFLAG(nextrow); \
nextrow: \
	NEXT; \
	INCQ     CX; \
	CMPQ     CX, R10; \
	JLT      row; \
	JMP      done; \
narrow: \
	MOVQ     R8, R11; \
pixel: \
	CMPQ     R11, R12; \
	JGE      narrowdone; \
	DISTB(X0, X4, X5, X6); \
	GT(X0, X4); \
	MOVBLZX  (BX)(R11*1), R13; \
	MOVQ     R13, X4; \
	PAND     X4, X0; \
	POR      X0, X14; \
	MOVQ     X0, R13; \
	SUBB     R13, (DX)(R11*1); \
	INCQ     R11; \
	JMP      pixel; \
narrowdone: \
	ROWFLAG(narrownext); \
narrownext: \
	NEXT; \
	INCQ     CX; \
	CMPQ     CX, R10; \
	JLT      narrow; \
done:

// func diff2SSE2(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64
TEXT ·diff2SSE2(SB), NOSPLIT, $0-160
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ m_base+48(FP), BX
	MOVQ acc_base+128(FP), DX
	DIFFBAND(DIST2, DIST2B, NEXT2, thr+120(FP), x0+96(FP), x1+104(FP), rows+112(FP))
	MOVQ AX, ret+152(FP)
	RET

// func diff3SSE2(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64
TEXT ·diff3SSE2(SB), NOSPLIT, $0-192
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ c_base+48(FP), R14
	MOVQ m_base+72(FP), BX
	MOVQ acc_base+160(FP), DX
	DIFFBAND(DIST3, DIST3B, NEXT3, thr+152(FP), x0+128(FP), x1+136(FP), rows+144(FP))
	MOVQ AX, ret+184(FP)
	RET

// ---------------------------------------------------------------------------
// yuyv
//
// Register roles: DI dst, SI src, CX len(dst), AX i, DX the last i where a
// 16-byte step fits; X15 = 0x00FF in every 16-bit lane (the Y bytes).
// A length n >= 16 ends with one step over dst[n-16:n] (overlapping the
// previous one, rewriting the same values); shorter ones go a byte at a time.

// func yuyvSSE2(dst, src []byte)
TEXT ·yuyvSSE2(SB), NOSPLIT, $0-48
	MOVQ    dst_base+0(FP), DI
	MOVQ    dst_len+8(FP), CX
	MOVQ    src_base+24(FP), SI
	XORQ    AX, AX
	PCMPEQW X15, X15
	PSRLW   $8, X15
	CMPQ    CX, $16
	JLT     yuyv1
	LEAQ    -16(CX), DX

yuyv16:
	MOVOU    (SI)(AX*2), X0
	MOVOU    16(SI)(AX*2), X1
	PAND     X15, X0
	PAND     X15, X1
	PACKUSWB X1, X0
	MOVOU    X0, (DI)(AX*1)
	ADDQ     $16, AX
	CMPQ     AX, DX
	JLE      yuyv16
	CMPQ     AX, CX
	JEQ      yuyvdone
	MOVQ     DX, AX // the last, overlapping step
	JMP      yuyv16

yuyv1:
	CMPQ    AX, CX
	JGE     yuyvdone
	MOVBLZX (SI)(AX*2), R8
	MOVB    R8, (DI)(AX*1)
	INCQ    AX
	JMP     yuyv1

yuyvdone:
	RET

// ---------------------------------------------------------------------------
// down2
//
// Register roles: DX dst, SI r0, DI r1, CX len(dst), AX i, BX the last i
// where a 16-byte step fits; X15 = 0x00FF in every 16-bit lane, X14 = 2 in
// every 16-bit lane (the rounding term). Tails as in yuyv. Sums stay below
// 1024 in 16-bit lanes, so the result is exact.

// PAIRSUM: each 16-bit lane of x = its low byte + its high byte.
#define PAIRSUM(x, t) \
	MOVO  x, t; \
	PSRLW $8, t; \
	PAND  X15, x; \
	PADDW t, x

// func down2SSE2(dst, r0, r1 []byte)
TEXT ·down2SSE2(SB), NOSPLIT, $0-72
	MOVQ    dst_base+0(FP), DX
	MOVQ    dst_len+8(FP), CX
	MOVQ    r0_base+24(FP), SI
	MOVQ    r1_base+48(FP), DI
	XORQ    AX, AX
	PCMPEQW X15, X15
	PSRLW   $8, X15
	PCMPEQW X14, X14
	PSRLW   $15, X14
	PADDW   X14, X14
	CMPQ    CX, $16
	JLT     down1
	LEAQ    -16(CX), BX

down16:
	MOVOU    (SI)(AX*2), X0
	MOVOU    16(SI)(AX*2), X1
	MOVOU    (DI)(AX*2), X2
	MOVOU    16(DI)(AX*2), X3
	PAIRSUM(X0, X4)
	PAIRSUM(X1, X5)
	PAIRSUM(X2, X6)
	PAIRSUM(X3, X7)
	PADDW    X2, X0
	PADDW    X3, X1
	PADDW    X14, X0
	PADDW    X14, X1
	PSRLW    $2, X0
	PSRLW    $2, X1
	PACKUSWB X1, X0
	MOVOU    X0, (DX)(AX*1)
	ADDQ     $16, AX
	CMPQ     AX, BX
	JLE      down16
	CMPQ     AX, CX
	JEQ      downdone
	MOVQ     BX, AX
	JMP      down16

down1:
	CMPQ    AX, CX
	JGE     downdone
	MOVBLZX (SI)(AX*2), R8
	MOVBLZX 1(SI)(AX*2), R9
	ADDL    R9, R8
	MOVBLZX (DI)(AX*2), R9
	ADDL    R9, R8
	MOVBLZX 1(DI)(AX*2), R9
	LEAL    2(R8)(R9*1), R8
	SHRL    $2, R8
	MOVB    R8, (DX)(AX*1)
	INCQ    AX
	JMP     down1

downdone:
	RET

// ---------------------------------------------------------------------------
// probe
//
// Register roles: SI a, DI b, CX bytes left, AX the fold of the byte tail;
// X0-X3 fold a, X4-X7 fold b, X8-X11 are load registers.

// func probeSSE2(a, b []byte) uint64
TEXT ·probeSSE2(SB), NOSPLIT, $0-56
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	XORQ AX, AX
	PXOR X0, X0
	PXOR X1, X1
	PXOR X2, X2
	PXOR X3, X3
	PXOR X4, X4
	PXOR X5, X5
	PXOR X6, X6
	PXOR X7, X7
	SUBQ $64, CX
	JLT  probe16

probe64:
	MOVOU (SI), X8
	MOVOU 16(SI), X9
	MOVOU 32(SI), X10
	MOVOU 48(SI), X11
	PXOR  X8, X0
	PXOR  X9, X1
	PXOR  X10, X2
	PXOR  X11, X3
	MOVOU (DI), X8
	MOVOU 16(DI), X9
	MOVOU 32(DI), X10
	MOVOU 48(DI), X11
	PXOR  X8, X4
	PXOR  X9, X5
	PXOR  X10, X6
	PXOR  X11, X7
	ADDQ  $64, SI
	ADDQ  $64, DI
	SUBQ  $64, CX
	JGE   probe64

probe16:
	ADDQ $48, CX // CX = bytes left - 16
	JLT  probe1

probe16loop:
	MOVOU (SI), X8
	MOVOU (DI), X9
	PXOR  X8, X0
	PXOR  X9, X4
	ADDQ  $16, SI
	ADDQ  $16, DI
	SUBQ  $16, CX
	JGE   probe16loop

probe1:
	ADDQ $16, CX
	JLE  probefold

probe1loop:
	MOVBLZX (SI), BX
	XORQ    BX, AX
	MOVBLZX (DI), BX
	XORQ    BX, AX
	INCQ    SI
	INCQ    DI
	DECQ    CX
	JNZ     probe1loop

probefold:
	PXOR   X1, X0
	PXOR   X3, X2
	PXOR   X5, X4
	PXOR   X7, X6
	PXOR   X2, X0
	PXOR   X6, X4
	PXOR   X4, X0
	PSHUFL $0x4E, X0, X1
	PXOR   X1, X0
	MOVQ   X0, BX
	XORQ   BX, AX
	MOVQ   AX, ret+48(FP)
	RET
