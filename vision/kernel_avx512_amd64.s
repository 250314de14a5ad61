//go:build amd64 && !purego

#include "textflag.h"

// AVX-512BW kernels: 64 pixels per instruction. Compares write K (opmask)
// registers, and the ends of rows and slices use masked loads and stores
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
//	BX		row r of the mask m
//	DX		acc
//	R8, R12		x0, x1: the window of every row
//	R10		rows
//	CX		r, the current row
//	AX		result: bit r set when row r changed
//	R11		x, the current column
//	R9		the lanes of the last, partial vector of a row (n = (x1-x0) mod 64 low bits)
//	R13		scratch
//	Z15		thr in every byte
//	Z13		0xFF in every byte (acc - 0xFF = acc + 1; the mask test)
//	Z12		OR of a block's distances
//	Z0-Z3		distances; Z4-Z11 scratch
//	K1		change mask, filter mask
//	K2		the lanes of the last, partial vector
//	K7		OR of row r's change masks
//
// A pixel's distance d is |a-b| for diff2 and min(|c-a|, |c-b|) for diff3,
// with |p-q| = (p ∸ q) | (q ∸ p) (saturating subtraction). It changed iff
// d > thr: VPCMPUB $6 (unsigned greater-than) writes that mask straight
// into K1, VPTESTMB keeps the watched lanes (mask byte 0xFF), acc+1 under K1
// counts them and K7 gathers the row's changes.
//
// As in the AVX2 kernel, a row is walked in blocks of 256 pixels (four
// vectors), then one of 128 and one of 64 pixels, that first only compute d
// and test whether any d of the block may exceed thr: the OR of the block's
// d (three-input ORs by VPTERNLOGD) is >= each d, so one VPCMPUB of it
// against thr sees any d > thr. (An OR may exceed thr where no single d
// does; the exact masks then find nothing.)
// Only a flagged block makes the exact masks, reads the mask bytes and
// touches acc. Every row runs the same blocks (the window is the call's), so
// the branch predictor learns the loop exits. The last n < 64 pixels of a row
// are loaded under K2: masked loads and stores neither read nor write the
// lanes off the mask and never fault, and a masked-off lane's d = 0 is never
// > thr, so nothing is read or written outside the window.

// LDU loads the 64 pixels at x+off of row base; LD2 keeps only the lanes
// in K2 and zeroes the others.
#define LDU(off, base, z) VMOVDQU64 off(base)(R11*1), z
#define LD2(off, base, z) VMOVDQU8.Z off(base)(R11*1), K2, z

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

// MARK counts the changed, watched pixels among the 64 at x+off from
// their distances d: acc+1 under K1 (acc is loaded and stored whole, so the
// store forwards to the next row's load; only the add is masked). A vector
// without a change skips the mask and acc (motion is local: of a flagged
// block, most vectors have none). t is scratch, skip a label unique to the
// use.
#define MARK(off, d, t, skip) \
	VPCMPUB   $6, Z15, d, K1; \
	KORTESTQ  K1, K1; \
	JZ        skip; \
	VPTESTMB  off(BX)(R11*1), Z13, K1, K1; \
	VMOVDQU64 off(DX)(R11*1), t; \
	VPSUBB    Z13, t, K1, t; \
	VMOVDQU64 t, off(DX)(R11*1); \
	KORQ      K1, K7, K7; \
skip:

// MARKT is MARK for the last, partial vector: the mask bytes and acc are
// read and written only in the lanes of K2.
#define MARKT(d, t) \
	VPCMPUB    $6, Z15, d, K1; \
	VMOVDQU8.Z (BX)(R11*1), K2, t; \
	VPTESTMB   t, t, K1, K1; \
	VMOVDQU8.Z (DX)(R11*1), K2, t; \
	VPSUBB     Z13, t, K1, t; \
	VMOVDQU8   t, K2, (DX)(R11*1); \
	KORQ       K1, K7, K7

// FLAGGED jumps to lbl if the OR of distances z may hold a change.
#define FLAGGED(z, lbl) \
	VPCMPUB  $6, Z15, z, K1; \
	KORTESTQ K1, K1; \
	JNZ      lbl

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

// DIFFBAND is the body shared by diff2 and diff3, given DIST and NEXT and
// the memory operands holding thr, x0, x1 and rows.
#define DIFFBAND(DIST, NEXT, thrarg, x0arg, x1arg, rowsarg) \
	MOVQ         thrarg, R13; \
	VPBROADCASTB R13, Z15;        /* thr */ \
	VPTERNLOGD   $0xFF, Z13, Z13, Z13; \
	MOVQ         x0arg, R8; \
	MOVQ         x1arg, R12; \
	MOVQ         rowsarg, R10; \
	MOVQ         R12, R9; \
	SUBQ         R8, R9; \
	ANDQ         $63, R9; \
	BZHIQ        R9, ones64<>(SB), R9; \
	KMOVQ        R9, K2;          /* the low (x1-x0) mod 64 lanes */ \
	KXORQ        K7, K7, K7; \
	XORQ         AX, AX; \
	XORQ         CX, CX; \
row: \
	MOVQ   R8, R11; \
b256: \
	LEAQ   256(R11), R13; \
	CMPQ   R13, R12; \
	JGT    b128; \
	DIST(LDU, 0, Z0, Z4, Z5, Z6); \
	DIST(LDU, 64, Z1, Z7, Z8, Z9); \
	DIST(LDU, 128, Z2, Z4, Z5, Z6); \
	DIST(LDU, 192, Z3, Z7, Z8, Z9); \
	VPORQ      Z0, Z1, Z12; \
	VPTERNLOGD $0xFE, Z2, Z3, Z12; \
	FLAGGED(Z12, mark256); \
next256: \
	ADDQ   $256, R11; \
	JMP    b256; \
mark256: \
	MARK(0, Z0, Z4, m256a); \
	MARK(64, Z1, Z5, m256b); \
	MARK(128, Z2, Z6, m256c); \
	MARK(192, Z3, Z7, m256d); \
	JMP    next256; \
b128: \
	LEAQ   128(R11), R13; \
	CMPQ   R13, R12; \
	JGT    b64; \
	DIST(LDU, 0, Z0, Z4, Z5, Z6); \
	DIST(LDU, 64, Z1, Z7, Z8, Z9); \
	VPORQ  Z0, Z1, Z12; \
	FLAGGED(Z12, mark128); \
	JMP    next128; \
mark128: \
	MARK(0, Z0, Z4, m128a); \
	MARK(64, Z1, Z5, m128b); \
next128: \
	ADDQ   $128, R11; \
b64: \
	LEAQ   64(R11), R13; \
	CMPQ   R13, R12; \
	JGT    tail; \
	DIST(LDU, 0, Z0, Z4, Z5, Z6); \
	FLAGGED(Z0, mark64); \
	JMP    next64; \
mark64: \
	MARK(0, Z0, Z4, m64); \
next64: \
	ADDQ   $64, R11; \
tail: \
	CMPQ   R11, R12; \
	JEQ    rowdone; \
	DIST(LD2, 0, Z0, Z4, Z5, Z6); \
	FLAGGED(Z0, marktail); \
	JMP    rowdone; \
marktail: \
	MARKT(Z0, Z4); \
rowdone: \
	KORTESTQ K7, K7; \
	JZ     nextrow; \
	BTSQ   CX, AX; \
	KXORQ  K7, K7, K7; \
nextrow: \
	NEXT; \
	INCQ   CX; \
	CMPQ   CX, R10; \
	JLT    row; \
	VZEROUPPER

// func diff2AVX512(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64
TEXT ·diff2AVX512(SB), NOSPLIT, $0-160
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ m_base+48(FP), BX
	MOVQ acc_base+128(FP), DX
	DIFFBAND(DIST2, NEXT2, thr+120(FP), x0+96(FP), x1+104(FP), rows+112(FP))
	MOVQ AX, ret+152(FP)
	RET

// func diff3AVX512(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64
TEXT ·diff3AVX512(SB), NOSPLIT, $0-192
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ c_base+48(FP), R14
	MOVQ m_base+72(FP), BX
	MOVQ acc_base+160(FP), DX
	DIFFBAND(DIST3, NEXT3, thr+152(FP), x0+128(FP), x1+136(FP), rows+144(FP))
	MOVQ AX, ret+184(FP)
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
