//go:build amd64 && !purego

#include "textflag.h"

// SSE2 kernels: 16 pixels per instruction, SSE2 instructions only (no PTEST,
// PSHUFB or PMADDUBSW, which came later). Vector loads are MOVOU: legacy SSE
// memory operands would have to be 16-byte aligned.

// tailmask<>+k holds 64-k zero bytes then k 0xFF bytes (0 <= k <= 64). A
// step of width W that ends at x1 and redoes W-k pixels already counted loads
// its mask from tailmask<>+64-W+k: 0xFF only for the k new pixels.
DATA tailmask<>+0x00(SB)/8, $0
DATA tailmask<>+0x08(SB)/8, $0
DATA tailmask<>+0x10(SB)/8, $0
DATA tailmask<>+0x18(SB)/8, $0
DATA tailmask<>+0x20(SB)/8, $0
DATA tailmask<>+0x28(SB)/8, $0
DATA tailmask<>+0x30(SB)/8, $0
DATA tailmask<>+0x38(SB)/8, $0
DATA tailmask<>+0x40(SB)/8, $-1
DATA tailmask<>+0x48(SB)/8, $-1
DATA tailmask<>+0x50(SB)/8, $-1
DATA tailmask<>+0x58(SB)/8, $-1
DATA tailmask<>+0x60(SB)/8, $-1
DATA tailmask<>+0x68(SB)/8, $-1
DATA tailmask<>+0x70(SB)/8, $-1
DATA tailmask<>+0x78(SB)/8, $-1
GLOBL tailmask<>(SB), RODATA|NOPTR, $128

// ---------------------------------------------------------------------------
// diff2, diff3
//
// Register roles:
//	SI, DI, R14	row r of a, b (and c for diff3)
//	DX		acc
//	R8		xs
//	R9		idx
//	CX		r, the current row
//	AX		result: bit r set when row r changed
//	BX		next span of row r (a pointer into xs)
//	R10		end of row r's spans (pointer into xs)
//	R11		x, the current column
//	R12		x1, the end of the current span
//	R13		scratch
//	X15		thr+1 in every byte
//	X14		OR of row r's change masks
//	X12		max(127-thr, 0) in every byte: the block filter's bias
//
// The method is that of the AVX2 kernels (see kernel_avx2_amd64.s), 16
// pixels per register and blocks of 64 pixels. Narrow loads (MOVQ, or one
// byte through a GPR) zero the rest of the register, and 0 is never > thr, so
// those lanes stay 0 in every mask.

// ABSD: d = |p-q|; q is clobbered.
#define ABSD(p, q, d) \
	MOVO    p, d; \
	PSUBUSB q, d; \
	PSUBUSB p, q; \
	POR     q, d

// DIST2, DIST3: d = the distance of the pixels at x+off, loaded with ld
// (MOVOU for 16 pixels, MOVQ for 8); c, p, q are scratch (DIST2 leaves c
// alone).
#define DIST2(ld, off, d, c, p, q) \
	ld   off(SI)(R11*1), p; \
	ld   off(DI)(R11*1), q; \
	ABSD(p, q, d)

#define DIST3(ld, off, d, c, p, q) \
	ld   off(R14)(R11*1), c; \
	ld   off(SI)(R11*1), p; \
	ABSD(c, p, d); \
	ld   off(DI)(R11*1), q; \
	ABSD(c, q, p); \
	PMINUB p, d

// DIST2B, DIST3B: the same for the one pixel at x, its bytes moved through
// R13 into the low lane.
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

// COUNT adds the mask m of the pixels at x+off into acc (acc -= m) and ORs
// it into the row flag; ld as in DIST2 (it also stores), t is scratch.
#define COUNT(ld, off, m, t) \
	POR   m, X14; \
	ld    off(DX)(R11*1), t; \
	PSUBB m, t; \
	ld    t, off(DX)(R11*1)

// COUNTB does the same for the one pixel at x.
#define COUNTB(m) \
	POR  m, X14; \
	MOVQ m, R13; \
	SUBB R13, (DX)(R11*1)

// MARK turns the distances d of the 16 pixels at x+off into their mask and
// counts them.
#define MARK(off, d, t) \
	GT(d, t); \
	COUNT(MOVOU, off, d, t)

// NEXT2, NEXT3 step the row pointers to row r+1.
#define NEXT2 \
	ADDQ sa+48(FP), SI; \
	ADDQ sb+56(FP), DI

#define NEXT3 \
	ADDQ sa+72(FP), SI; \
	ADDQ sb+80(FP), DI; \
	ADDQ sc+88(FP), R14

// DIFFBAND is the body shared by diff2 and diff3: the loops over rows, spans
// and columns, given DIST and DISTB, NEXT, and the memory operands holding
// thr and len(idx). A span [x0, x1) of n pixels takes
//	n >= 64:	blocks of 64; the rest, if any, as one more block ending
//			at x1 whose distances are masked to the pixels not yet seen;
//	16 <= n < 64:	16 pixels at a time, each step filtered like a block,
//			then one masked step ending at x1;
//	8 <= n < 16:	8 at x0, then 8 ending at x1, masked;
//	n < 8:		one pixel at a time.
// The narrow steps always count (no filter). No load or store leaves
// [x0, x1).
#define DIFFBAND(DIST, DISTB, NEXT, thrarg, nidx) \
	MOVQ    thrarg, R13; \
	INCQ    R13; \
	IMUL3L  $0x01010101, R13, R12; \
	MOVQ    R12, X15; \
	PSHUFL  $0, X15, X15;  /* thr+1 */ \
	MOVQ    $128, R12; \
	SUBQ    R13, R12; \
	XORQ    R13, R13; \
	CMPQ    R12, R13; \
	CMOVQLT R13, R12; \
	IMUL3L  $0x01010101, R12, R12; \
	MOVQ    R12, X12; \
	PSHUFL  $0, X12, X12;  /* max(127-thr, 0) */ \
	XORQ    AX, AX; \
	XORQ    CX, CX; \
	PXOR    X14, X14; \
row: \
	LEAQ    1(CX), R13; \
	CMPQ    R13, nidx; \
	JGE     done; \
	MOVLQSX (R9)(CX*4), BX; \
	MOVLQSX 4(R9)(CX*4), R10; \
	LEAQ    (R8)(BX*8), BX; \
	LEAQ    (R8)(R10*8), R10; \
	CMPQ    BX, R10; \
	JAE     rowdone; \
span: \
	MOVLQSX (BX), R11; \
	MOVLQSX 4(BX), R12; \
	ADDQ    $8, BX; \
	LEAQ    16(R11), R13; \
	CMPQ    R13, R12; \
	JGT     narrow; \
	LEAQ    64(R11), R13; \
	CMPQ    R13, R12; \
	JGT     wide; \
block: \
	DIST(MOVOU, 0, X0, X4, X5, X6); \
	DIST(MOVOU, 16, X1, X4, X5, X6); \
	DIST(MOVOU, 32, X2, X4, X5, X6); \
	DIST(MOVOU, 48, X3, X4, X5, X6); \
blockfilter: \
	MOVO    X0, X4; \
	PMAXUB  X1, X4; \
	MOVO    X2, X5; \
	PMAXUB  X3, X5; \
	PMAXUB  X5, X4; \
	PADDUSB X12, X4; \
	PMOVMSKB X4, R13; \
	TESTL   R13, R13; \
	JNZ     blockmark; \
blocknext: \
	ADDQ    $64, R11; \
	LEAQ    64(R11), R13; \
	CMPQ    R13, R12; \
	JLE     block; \
	CMPQ    R11, R12; \
	JEQ     spandone; \
	/* redo the last 64 pixels, keeping the distances of the new ones */ \
	LEAQ    tailmask<>+0(SB), R13; \
	ADDQ    R12, R13; \
	SUBQ    R11, R13; \
	LEAQ    -64(R12), R11; \
	DIST(MOVOU, 0, X0, X4, X5, X6); \
	DIST(MOVOU, 16, X1, X4, X5, X6); \
	DIST(MOVOU, 32, X2, X4, X5, X6); \
	DIST(MOVOU, 48, X3, X4, X5, X6); \
	MOVOU   (R13), X4; \
	PAND    X4, X0; \
	MOVOU   16(R13), X4; \
	PAND    X4, X1; \
	MOVOU   32(R13), X4; \
	PAND    X4, X2; \
	MOVOU   48(R13), X4; \
	PAND    X4, X3; \
	JMP     blockfilter; \
blockmark: \
	MARK(0, X0, X4); \
	MARK(16, X1, X4); \
	MARK(32, X2, X4); \
	MARK(48, X3, X4); \
	JMP     blocknext; \
wide: \
	LEAQ    -16(R12), R13; \
	CMPQ    R11, R13; \
	JGT     tail16; \
	DIST(MOVOU, 0, X0, X4, X5, X6); \
	MOVO    X0, X4; \
	PADDUSB X12, X4; \
	PMOVMSKB X4, R13; \
	TESTL   R13, R13; \
	JNZ     widemark; \
widenext: \
	ADDQ    $16, R11; \
	JMP     wide; \
widemark: \
	MARK(0, X0, X4); \
	JMP     widenext; \
tail16: \
	CMPQ    R11, R12; \
	JEQ     spandone; \
	LEAQ    tailmask<>+48(SB), R13; \
	ADDQ    R12, R13; \
	SUBQ    R11, R13; \
	LEAQ    -16(R12), R11; \
	DIST(MOVOU, 0, X0, X4, X5, X6); \
	MOVOU   (R13), X4; \
	PAND    X4, X0; \
	MOVO    X0, X4; \
	PADDUSB X12, X4; \
	PMOVMSKB X4, R13; \
	TESTL   R13, R13; \
	JZ      spandone; \
	MARK(0, X0, X4); \
	JMP     spandone; \
narrow: \
	MOVQ    R12, R13; \
	SUBQ    R11, R13; \
	CMPQ    R13, $8; \
	JLT     bytes; \
	DIST(MOVQ, 0, X0, X4, X5, X6); \
	GT(X0, X4); \
	COUNT(MOVQ, 0, X0, X4); \
	ADDQ    $8, R11; \
	CMPQ    R11, R12; \
	JEQ     spandone; \
	LEAQ    tailmask<>+56(SB), R13; \
	ADDQ    R12, R13; \
	SUBQ    R11, R13; \
	MOVQ    (R13), X7; \
	LEAQ    -8(R12), R11; \
	DIST(MOVQ, 0, X0, X4, X5, X6); \
	GT(X0, X4); \
	PAND    X7, X0; \
	COUNT(MOVQ, 0, X0, X4); \
	JMP     spandone; \
bytes: \
	CMPQ    R11, R12; \
	JGE     spandone; \
	DISTB(X0, X4, X5, X6); \
	GT(X0, X4); \
	COUNTB(X0); \
	INCQ    R11; \
	JMP     bytes; \
spandone: \
	CMPQ    BX, R10; \
	JB      span; \
rowdone: \
	PMOVMSKB X14, R13; \
	TESTL   R13, R13; \
	JZ      nextrow; \
	BTSQ    CX, AX; \
	PXOR    X14, X14; \
nextrow: \
	NEXT; \
	INCQ    CX; \
	JMP     row; \
done:

// func diff2SSE2(a, b []byte, sa, sb int, xs, idx []int32, thr int, acc []byte) uint64
TEXT ·diff2SSE2(SB), NOSPLIT, $0-152
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ xs_base+64(FP), R8
	MOVQ idx_base+88(FP), R9
	MOVQ acc_base+120(FP), DX
	DIFFBAND(DIST2, DIST2B, NEXT2, thr+112(FP), idx_len+96(FP))
	MOVQ AX, ret+144(FP)
	RET

// func diff3SSE2(a, b, c []byte, sa, sb, sc int, xs, idx []int32, thr int, acc []byte) uint64
TEXT ·diff3SSE2(SB), NOSPLIT, $0-184
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ c_base+48(FP), R14
	MOVQ xs_base+96(FP), R8
	MOVQ idx_base+120(FP), R9
	MOVQ acc_base+152(FP), DX
	DIFFBAND(DIST3, DIST3B, NEXT3, thr+144(FP), idx_len+128(FP))
	MOVQ AX, ret+176(FP)
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
