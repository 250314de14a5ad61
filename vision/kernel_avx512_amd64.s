//go:build amd64 && !purego

#include "textflag.h"

// AVX-512BW kernels: 64 pixels per instruction. Compares write K (opmask)
// registers, and the ends of spans and slices use masked loads and stores
// built from the number of bytes left, so there is no scalar tail and no
// access outside them (masked-off lanes are neither read nor written and
// never fault). Only Z0-Z15 are used, so the VZEROUPPER that ends every
// function leaves no dirty upper state; the few 128/256-bit steps use VEX
// forms (no AVX512VL needed). BZHI and SHLX (BMI2) turn lengths into masks.

// ones64<> is a quadword of ones: BZHIQ n, ones64<>(SB), R keeps its low n
// bits (all 64 when 64 <= n < 256: BZHI only looks at n's low byte).
DATA ones64<>+0(SB)/8, $-1
GLOBL ones64<>(SB), RODATA|NOPTR, $8

// packperm<> puts the quadwords of a 512-bit VPACKUSWB result back in
// order: the pack interleaves its two sources per 128-bit lane (q0 = x lane
// 0, q1 = y lane 0, q2 = x lane 1, ...), VPERMQ with 0 2 4 6 1 3 5 7 gathers
// x's four quadwords, then y's.
DATA packperm<>+0x00(SB)/8, $0
DATA packperm<>+0x08(SB)/8, $2
DATA packperm<>+0x10(SB)/8, $4
DATA packperm<>+0x18(SB)/8, $6
DATA packperm<>+0x20(SB)/8, $1
DATA packperm<>+0x28(SB)/8, $3
DATA packperm<>+0x30(SB)/8, $5
DATA packperm<>+0x38(SB)/8, $7
GLOBL packperm<>(SB), RODATA|NOPTR, $64

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
//	BX		next span (a pointer into xs)
//	R10		end of row r's spans (a pointer into xs)
//	R11		x, the current column (the first block starts below x0)
//	R12		x1-256: x1 is the end of the current span
//	R13		scratch
//	Z15		thr in every byte
//	Z14		0xFF<<k in every byte, k = floor(log2(thr+1)): the filter's mask
//	Z13		0xFF in every byte (acc - 0xFF = acc + 1)
//	Z12		OR of a block's distances; then scratch
//	Z0-Z11		pixels, differences, distances
//	K6		the lanes at or after x0 of a span's first vector
//	K2, K3		the lanes before x1 of a span's last vector
//	K1		change mask, filter mask
//
// A pixel's distance d is |a-b| for diff2 and min(|c-a|, |c-b|) for diff3,
// with |p-q| = (p ∸ q) | (q ∸ p) (saturating subtraction). It changed iff
// d > thr: VPCMPUB $6 (unsigned greater-than) writes that mask straight
// into K1, acc+1 under K1 counts the changed pixels, and BTSQ flags the
// row.
//
// Most pixels of a camera frame do not change, so a span [x0, x1) is walked
// in blocks of 256 pixels (four vectors) that first only compute d and test
// whether any d of the block may exceed thr, as the AVX2 kernel does: a
// d > thr has a bit at or above k = floor(log2(thr+1)) set, so does the OR
// of the block's d (three-input ORs by VPTERNLOGD), and VPTESTMB against
// 0xFF<<k sees it. Only a flagged block makes the exact masks (from the
// differences it kept in registers) and touches acc, and only for vectors
// with a change.
//
// The walk is aligned: it starts at the 64-byte boundary of a at or below
// x0, with the lanes before x0 masked off (K6) in the first vector. (Loads
// that split cache lines made the kernel half again as slow.) Whole blocks
// follow; the last n < 256 pixels take at most one unmasked pair of vectors
// and one pair or single vector whose last vector is masked to x1 (K3, K2).
// Masked loads zero their masked-off lanes, whose d = 0 is never > thr, so
// the exact masks need no further trimming and acc is only touched inside
// the span. A span that does not fill one block after the alignment starts
// with one vector masked at both ends.

// LDU loads the 64 pixels at x+off of row base; LD2, LD3, LD6 keep only
// the lanes in K2, K3, K6 and zero the others.
#define LDU(off, base, z) VMOVDQU64 off(base)(R11*1), z
#define LD2(off, base, z) VMOVDQU8.Z off(base)(R11*1), K2, z
#define LD3(off, base, z) VMOVDQU8.Z off(base)(R11*1), K3, z
#define LD6(off, base, z) VMOVDQU8.Z off(base)(R11*1), K6, z

// DIST2, DIST3: d = the distances of the 64 pixels at x+off, loaded with
// ld; c, p, q are scratch (DIST2 leaves c alone).
#define DIST2(ld, off, d, c, p, q) \
	ld(off, SI, p); \
	ld(off, DI, q); \
	VPSUBUSB q, p, d; \
	VPSUBUSB p, q, q; \
	VPORQ    q, d, d

#define DIST3(ld, off, d, c, p, q) \
	ld(off, R14, c); \
	ld(off, SI, p); \
	ld(off, DI, q); \
	VPSUBUSB p, c, d; \
	VPSUBUSB c, p, p; \
	VPORQ    p, d, d; \
	VPSUBUSB q, c, p; \
	VPSUBUSB c, q, q; \
	VPORQ    q, p, p; \
	VPMINUB  p, d, d

// BLOCK2, BLOCK3 leave in Z12 the OR of the distances of the 256 pixels at
// x, vector j loaded with lj, and keep what MARK42, MARK43 need to count
// them: BLOCK2 the saturated differences a-b in Z4-Z7 and b-a in Z8-Z11 (a
// distance is their OR), BLOCK3 the distances in Z0-Z3. PAIR2, PAIR3 and
// MARK22, MARK23 do the same for the 128 pixels at x (vectors 0 and 1).
#define BLOCK2(l0, l1, l2, l3) \
	l0(0, SI, Z0); \
	l1(64, SI, Z1); \
	l2(128, SI, Z2); \
	l3(192, SI, Z3); \
	l0(0, DI, Z8); \
	l1(64, DI, Z9); \
	l2(128, DI, Z10); \
	l3(192, DI, Z11); \
	VPSUBUSB   Z8, Z0, Z4; \
	VPSUBUSB   Z0, Z8, Z8; \
	VPSUBUSB   Z9, Z1, Z5; \
	VPSUBUSB   Z1, Z9, Z9; \
	VPSUBUSB   Z10, Z2, Z6; \
	VPSUBUSB   Z2, Z10, Z10; \
	VPSUBUSB   Z11, Z3, Z7; \
	VPSUBUSB   Z3, Z11, Z11; \
	VPORQ      Z4, Z8, Z12; \
	VPTERNLOGD $0xFE, Z5, Z9, Z12; \
	VPTERNLOGD $0xFE, Z6, Z10, Z12; \
	VPTERNLOGD $0xFE, Z7, Z11, Z12

#define BLOCK3(l0, l1, l2, l3) \
	DIST3(l0, 0, Z0, Z4, Z5, Z6); \
	DIST3(l1, 64, Z1, Z7, Z8, Z9); \
	DIST3(l2, 128, Z2, Z4, Z5, Z6); \
	DIST3(l3, 192, Z3, Z7, Z8, Z9); \
	VPORQ      Z0, Z1, Z12; \
	VPTERNLOGD $0xFE, Z2, Z3, Z12

#define PAIR2(l0, l1) \
	l0(0, SI, Z0); \
	l1(64, SI, Z1); \
	l0(0, DI, Z8); \
	l1(64, DI, Z9); \
	VPSUBUSB   Z8, Z0, Z4; \
	VPSUBUSB   Z0, Z8, Z8; \
	VPSUBUSB   Z9, Z1, Z5; \
	VPSUBUSB   Z1, Z9, Z9; \
	VPORQ      Z4, Z8, Z12; \
	VPTERNLOGD $0xFE, Z5, Z9, Z12

#define PAIR3(l0, l1) \
	DIST3(l0, 0, Z0, Z4, Z5, Z6); \
	DIST3(l1, 64, Z1, Z7, Z8, Z9); \
	VPORQ      Z0, Z1, Z12

// MARK turns the distances d of the 64 pixels at x+off into their mask K1
// and, if any pixel changed, counts them and flags row r: acc+1 under K1
// (a masked load and store, so lanes outside K1, outside the span among
// them, are not touched). t is scratch, skip a label unique to the call.
#define MARK(off, d, t, skip) \
	VPCMPUB    $6, Z15, d, K1; \
	KORTESTQ   K1, K1; \
	JZ         skip; \
	VMOVDQU8.Z off(DX)(R11*1), K1, t; \
	VPSUBB     Z13, t, t; \
	VMOVDQU8   t, K1, off(DX)(R11*1); \
	BTSQ       CX, AX; \
skip:

// MARKF is MARK for a vector wholly inside the span: acc is loaded and
// stored whole (the store forwards to the next row's load; a masked store
// would not) and only the add is masked.
#define MARKF(off, d, t, skip) \
	VPCMPUB   $6, Z15, d, K1; \
	KORTESTQ  K1, K1; \
	JZ        skip; \
	VMOVDQU64 off(DX)(R11*1), t; \
	VPSUBB    Z13, t, K1, t; \
	VMOVDQU64 t, off(DX)(R11*1); \
	BTSQ      CX, AX; \
skip:

// MARK42, MARK43, MARK22, MARK23 count the changed pixels of the block or
// pair at x from what BLOCK2, BLOCK3, PAIR2, PAIR3 left, vector j with mj
// (MARK or MARKF): the exact work for a block the filter flagged.
#define MARK42(m0, m1, m2, m3, s0, s1, s2, s3) \
	VPORQ Z4, Z8, Z0; \
	m0(0, Z0, Z12, s0); \
	VPORQ Z5, Z9, Z1; \
	m1(64, Z1, Z12, s1); \
	VPORQ Z6, Z10, Z2; \
	m2(128, Z2, Z12, s2); \
	VPORQ Z7, Z11, Z3; \
	m3(192, Z3, Z12, s3)

#define MARK43(m0, m1, m2, m3, s0, s1, s2, s3) \
	m0(0, Z0, Z12, s0); \
	m1(64, Z1, Z12, s1); \
	m2(128, Z2, Z12, s2); \
	m3(192, Z3, Z12, s3)

#define MARK22(m0, m1, s0, s1) \
	VPORQ Z4, Z8, Z0; \
	m0(0, Z0, Z12, s0); \
	VPORQ Z5, Z9, Z1; \
	m1(64, Z1, Z12, s1)

#define MARK23(m0, m1, s0, s1) \
	m0(0, Z0, Z12, s0); \
	m1(64, Z1, Z12, s1)

// FLAGGED jumps to lbl if the block OR in Z12 may hold a change.
#define FLAGGED(lbl) \
	VPTESTMB Z14, Z12, K1; \
	KORTESTQ K1, K1; \
	JNZ      lbl

// NEXT2, NEXT3 step the row pointers to row r+1.
#define NEXT2 \
	ADDQ sa+48(FP), SI; \
	ADDQ sb+56(FP), DI

#define NEXT3 \
	ADDQ sa+72(FP), SI; \
	ADDQ sb+80(FP), DI; \
	ADDQ sc+88(FP), R14

// DIFFBAND is the body shared by diff2 and diff3: the loops over rows, spans
// and blocks, given BLOCK, PAIR, MARK4, MARK2, DIST and NEXT, and the memory
// operands holding thr and len(idx).
#define DIFFBAND(BLOCK, PAIR, MARK4, MARK2, DIST, NEXT, thrarg, nidx) \
	MOVQ         thrarg, R13; \
	VPBROADCASTB R13, Z15;        /* thr */ \
	INCQ         R13; \
	BSRQ         R13, CX;         /* k = floor(log2(thr+1)) */ \
	MOVQ         $0xFF, R12; \
	SHLQ         CX, R12; \
	VPBROADCASTB R12, Z14;        /* 0xFF<<k: the bits of any d > thr */ \
	VPTERNLOGD   $0xFF, Z13, Z13, Z13; \
	XORQ         AX, AX; \
	XORQ         CX, CX; \
	MOVLQSX      (R9), BX; \
	LEAQ         (R8)(BX*8), BX;  /* row 0's first span */ \
row: \
	LEAQ    1(CX), R13; \
	CMPQ    R13, nidx; \
	JGE     done; \
	MOVLQSX 4(R9)(CX*4), R10; \
	LEAQ    (R8)(R10*8), R10;     /* BX, the end of row r-1's spans, starts row r */ \
	CMPQ    BX, R10; \
	JAE     nextrow; \
span: \
	MOVLQSX (BX), R11; \
	MOVLQSX 4(BX), R12; \
	ADDQ    $8, BX; \
	LEAQ    (SI)(R11*1), R13; \
	ANDQ    $63, R13;             /* off = (a+x0) mod 64 */ \
	SUBQ    R13, R11;             /* x = x0 - off: a+x is aligned */ \
	SHLXQ   R13, ones64<>(SB), R13; \
	KMOVQ   R13, K6;              /* lanes >= off */ \
	SUBQ    $256, R12;            /* from here on R12 = x1 - 256 */ \
	CMPQ    R11, R12; \
	JGT     short; \
	BLOCK(LD6, LDU, LDU, LDU); \
	FLAGGED(firstmark); \
firstnext: \
	ADDQ    $256, R11; \
	CMPQ    R11, R12; \
	JGT     tail; \
block: \
	BLOCK(LDU, LDU, LDU, LDU); \
	FLAGGED(blockmark); \
blocknext: \
	ADDQ    $256, R11; \
	CMPQ    R11, R12; \
	JLE     block; \
tail: \
	LEAQ    256(R12), R13; \
	SUBQ    R11, R13;             /* n = x1 - x < 256 */ \
	CMPQ    R13, $128; \
	JLE     tail128; \
	PAIR(LDU, LDU); \
	FLAGGED(pairmark); \
pairnext: \
	ADDQ    $128, R11; \
	SUBQ    $128, R13; \
tail128: \
	CMPQ    R13, $64; \
	JLE     tail64; \
	SUBQ    $64, R13; \
	BZHIQ   R13, ones64<>(SB), R13; \
	KMOVQ   R13, K3;              /* the low n-64 lanes of the second vector */ \
	PAIR(LDU, LD3); \
	FLAGGED(lastpairmark); \
	JMP     spandone; \
tail64: \
	TESTQ   R13, R13; \
	JLE     spandone; \
	BZHIQ   R13, ones64<>(SB), R13; \
	KMOVQ   R13, K2;              /* the low n lanes */ \
	DIST(LD2, 0, Z0, Z4, Z5, Z6); \
	MARK(0, Z0, Z12, tailskip); \
spandone: \
	CMPQ    BX, R10; \
	JB      span; \
nextrow: \
	NEXT; \
	INCQ    CX; \
	JMP     row; \
short: \
	LEAQ    256(R12), R13; \
	SUBQ    R11, R13;             /* n = x1 - x < 256 */ \
	KMOVQ   K6, K2; \
	CMPQ    R13, $64; \
	JGE     shortstep; \
	BZHIQ   R13, ones64<>(SB), R13; \
	KMOVQ   R13, K3; \
	KANDQ   K3, K2, K2;           /* lanes >= off and < n */ \
shortstep: \
	DIST(LD2, 0, Z0, Z4, Z5, Z6); \
	MARK(0, Z0, Z12, shortskip); \
	ADDQ    $64, R11; \
	JMP     tail; \
pairmark: \
	MARK2(MARKF, MARKF, pm0, pm1); \
	JMP     pairnext; \
lastpairmark: \
	MARK2(MARKF, MARK, lp0, lp1); \
	JMP     spandone; \
firstmark: \
	MARK4(MARK, MARKF, MARKF, MARKF, fm0, fm1, fm2, fm3); \
	JMP     firstnext; \
blockmark: \
	MARK4(MARKF, MARKF, MARKF, MARKF, bm0, bm1, bm2, bm3); \
	JMP     blocknext; \
done: \
	VZEROUPPER

// func diff2AVX512(a, b []byte, sa, sb int, xs, idx []int32, thr int, acc []byte) uint64
TEXT ·diff2AVX512(SB), NOSPLIT, $0-152
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ xs_base+64(FP), R8
	MOVQ idx_base+88(FP), R9
	MOVQ acc_base+120(FP), DX
	DIFFBAND(BLOCK2, PAIR2, MARK42, MARK22, DIST2, NEXT2, thr+112(FP), idx_len+96(FP))
	MOVQ AX, ret+144(FP)
	RET

// func diff3AVX512(a, b, c []byte, sa, sb, sc int, xs, idx []int32, thr int, acc []byte) uint64
TEXT ·diff3AVX512(SB), NOSPLIT, $0-184
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ c_base+48(FP), R14
	MOVQ xs_base+96(FP), R8
	MOVQ idx_base+120(FP), R9
	MOVQ acc_base+152(FP), DX
	DIFFBAND(BLOCK3, PAIR3, MARK43, MARK23, DIST3, NEXT3, thr+144(FP), idx_len+128(FP))
	MOVQ AX, ret+176(FP)
	RET

// ---------------------------------------------------------------------------
// yuyv
//
// Register roles: DI dst, SI src, CX len(dst), AX i, DX the last i where a
// 64-byte step fits, R8 and R9 scratch; Z15 = 0x00FF in every 16-bit lane
// (the Y bytes), Z14 = packperm. The last n < 64 bytes go 32 at a time:
// the low 2n (at most 64) bytes of src loaded under K2, their Y bytes
// narrowed by VPMOVWB and stored under K3, the low n (at most 32) lanes.

// func yuyvAVX512(dst, src []byte)
TEXT ·yuyvAVX512(SB), NOSPLIT, $0-48
	MOVQ       dst_base+0(FP), DI
	MOVQ       dst_len+8(FP), CX
	MOVQ       src_base+24(FP), SI
	XORQ       AX, AX
	VPTERNLOGD $0xFF, Z15, Z15, Z15
	VPSRLW     $8, Z15, Z15
	VMOVDQU64  packperm<>(SB), Z14
	LEAQ       -64(CX), DX
	CMPQ       AX, DX
	JGT        yuyvtail

yuyv64:
	VPANDQ    (SI)(AX*2), Z15, Z0
	VPANDQ    64(SI)(AX*2), Z15, Z1
	VPACKUSWB Z1, Z0, Z0
	VPERMQ    Z0, Z14, Z0
	VMOVDQU64 Z0, (DI)(AX*1)
	ADDQ      $64, AX
	CMPQ      AX, DX
	JLE       yuyv64

yuyvtail:
	MOVQ       CX, R8
	SUBQ       AX, R8 // n = len(dst) - i < 64
	JLE        yuyvdone
	LEAQ       (R8)(R8*1), R9
	BZHIQ      R9, ones64<>(SB), R9
	KMOVQ      R9, K2
	BZHIQ      R8, ones64<>(SB), R8
	KMOVQ      R8, K3
	VMOVDQU8.Z (SI)(AX*2), K2, Z0
	VPMOVWB    Z0, K3, (DI)(AX*1)
	ADDQ       $32, AX
	JMP        yuyvtail

yuyvdone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// down2
//
// Register roles: DX dst, SI r0, DI r1, CX len(dst), AX i, BX the last i
// where a 64-byte step fits, R8 and R9 scratch; Z15 = 1 in every byte (the
// VPMADDUBSW weights), Z14 = 2 in every 16-bit lane (the rounding term),
// Z13 = packperm. VPMADDUBSW with weights 1 adds each pair of unsigned bytes
// into a 16-bit lane (at most 510: no saturation), so s+2 fits easily and
// the result is exact. Tails as in yuyv: 32 outputs at a time from the low
// 2n bytes of r0 and r1 (K2), stored by VPMOVWB under K3.

// DOWN2SUM turns 64 bytes of r0 in s0 and the 64 bytes of r1 below them in
// s1 into their 32 results (s+2)>>2, one per 16-bit lane of s0; s1 is
// clobbered.
#define DOWN2SUM(s0, s1) \
	VPMADDUBSW Z15, s0, s0; \
	VPMADDUBSW Z15, s1, s1; \
	VPADDW     s1, s0, s0; \
	VPADDW     Z14, s0, s0; \
	VPSRLW     $2, s0, s0

// func down2AVX512(dst, r0, r1 []byte)
TEXT ·down2AVX512(SB), NOSPLIT, $0-72
	MOVQ       dst_base+0(FP), DX
	MOVQ       dst_len+8(FP), CX
	MOVQ       r0_base+24(FP), SI
	MOVQ       r1_base+48(FP), DI
	XORQ       AX, AX
	VPTERNLOGD $0xFF, Z15, Z15, Z15
	VPSRLW     $15, Z15, Z14
	VPADDW     Z14, Z14, Z14        // 2 in every 16-bit lane
	VPABSB     Z15, Z15             // 1 in every byte
	VMOVDQU64  packperm<>(SB), Z13
	LEAQ       -64(CX), BX
	CMPQ       AX, BX
	JGT        downtail

down64:
	VMOVDQU64 (SI)(AX*2), Z0
	VMOVDQU64 (DI)(AX*2), Z1
	VMOVDQU64 64(SI)(AX*2), Z2
	VMOVDQU64 64(DI)(AX*2), Z3
	DOWN2SUM(Z0, Z1)
	DOWN2SUM(Z2, Z3)
	VPACKUSWB Z2, Z0, Z0
	VPERMQ    Z0, Z13, Z0
	VMOVDQU64 Z0, (DX)(AX*1)
	ADDQ      $64, AX
	CMPQ      AX, BX
	JLE       down64

downtail:
	MOVQ       CX, R8
	SUBQ       AX, R8 // n = len(dst) - i < 64
	JLE        downdone
	LEAQ       (R8)(R8*1), R9
	BZHIQ      R9, ones64<>(SB), R9
	KMOVQ      R9, K2
	BZHIQ      R8, ones64<>(SB), R8
	KMOVQ      R8, K3
	VMOVDQU8.Z (SI)(AX*2), K2, Z0
	VMOVDQU8.Z (DI)(AX*2), K2, Z1
	DOWN2SUM(Z0, Z1)
	VPMOVWB    Z0, K3, (DX)(AX*1)
	ADDQ       $32, AX
	JMP        downtail

downdone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// probe
//
// Register roles: SI a, DI b, CX bytes left, AX scratch; Z0-Z3 fold a,
// Z4-Z7 fold b (eight independent XOR chains, each load folded into its
// VPXORQ); the last n < 256 bytes go 64 at a time under K1, the low
// min(n, 64) lanes.

// func probeAVX512(a, b []byte) uint64
TEXT ·probeAVX512(SB), NOSPLIT, $0-56
	MOVQ   a_base+0(FP), SI
	MOVQ   a_len+8(FP), CX
	MOVQ   b_base+24(FP), DI
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	SUBQ   $256, CX
	JLT    probetail

probe256:
	VPXORQ (SI), Z0, Z0
	VPXORQ 64(SI), Z1, Z1
	VPXORQ 128(SI), Z2, Z2
	VPXORQ 192(SI), Z3, Z3
	VPXORQ (DI), Z4, Z4
	VPXORQ 64(DI), Z5, Z5
	VPXORQ 128(DI), Z6, Z6
	VPXORQ 192(DI), Z7, Z7
	ADDQ   $256, SI
	ADDQ   $256, DI
	SUBQ   $256, CX
	JGE    probe256

probetail:
	ADDQ $256, CX // bytes left, < 256
	JLE  probefold

probe64:
	BZHIQ      CX, ones64<>(SB), AX
	KMOVQ      AX, K1
	VMOVDQU8.Z (SI), K1, Z8
	VMOVDQU8.Z (DI), K1, Z9
	VPXORQ     Z8, Z0, Z0
	VPXORQ     Z9, Z4, Z4
	ADDQ       $64, SI
	ADDQ       $64, DI
	SUBQ       $64, CX
	JG         probe64

probefold:
	VPTERNLOGD    $0x96, Z1, Z2, Z0 // Z0 ^= Z1 ^ Z2
	VPTERNLOGD    $0x96, Z4, Z5, Z3
	VPTERNLOGD    $0x96, Z6, Z7, Z0
	VPXORQ        Z3, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPXOR         Y1, Y0, Y0
	VEXTRACTI128  $1, Y0, X1
	VPXOR         X1, X0, X0
	VPSHUFD       $0x4E, X0, X1
	VPXOR         X1, X0, X0
	VMOVQ         X0, AX
	MOVQ          AX, ret+48(FP)
	VZEROUPPER
	RET
