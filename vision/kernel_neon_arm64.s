//go:build arm64 && !purego

#include "textflag.h"

// NEON kernels; kernel_arm64.go holds the Go declarations and the equivalent
// Go loop of each. All are leaf functions using only caller-saved registers.
//
// Go's arm64 assembler lacks these NEON instructions, so they are emitted as
// WORD encodings (Arm A64 manual; d, n, m are vector register numbers).
// Each encoding was checked against aarch64-linux-gnu-as and against
// `go tool objdump` of the built binary.

// UABD Vd.16B, Vn.16B, Vm.16B: Vd = |Vn - Vm| (unsigned bytes).
#define UABD16B(d, n, m) WORD $(0x6E207400 | ((m)<<16) | ((n)<<5) | (d))
// CMHI Vd.16B, Vn.16B, Vm.16B: Vd = Vn > Vm (unsigned) ? 0xFF : 0.
#define CMHI16B(d, n, m) WORD $(0x6E203400 | ((m)<<16) | ((n)<<5) | (d))
// UMAXV Bd, Vn.16B: Vd.B[0] = the largest byte of Vn, the rest of Vd 0.
#define UMAXV16B(d, n) WORD $(0x6E30A800 | ((n)<<5) | (d))
// UADDLP Vd.8H, Vn.16B: Vd.H[i] = Vn.B[2i] + Vn.B[2i+1].
#define UADDLP16B(d, n) WORD $(0x6E202800 | ((n)<<5) | (d))
// UADALP Vd.8H, Vn.16B: Vd.H[i] += Vn.B[2i] + Vn.B[2i+1].
#define UADALP16B(d, n) WORD $(0x6E206800 | ((n)<<5) | (d))
// RSHRN Vd.8B, Vn.8H, #2 (shift fixed at 2): Vd.B[i] = (Vn.H[i] + 2) >> 2;
// clears Vd's upper half.
#define RSHRNLO(d, n) WORD $(0x0F0E8C00 | ((n)<<5) | (d))
// RSHRN2 Vd.16B, Vn.8H, #2: the same into Vd.B[8..15], keeping Vd.B[0..7].
#define RSHRNHI(d, n) WORD $(0x4F0E8C00 | ((n)<<5) | (d))

// tailmask<>+k holds 16-k zero bytes then k 0xFF bytes (0 <= k <= 16): the
// last, overlapped vector of a row, which redoes 16-k pixels already seen,
// ANDs its distances with it so only its k new pixels can count.
DATA tailmask<>+0x00(SB)/8, $0x0000000000000000
DATA tailmask<>+0x08(SB)/8, $0x0000000000000000
DATA tailmask<>+0x10(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x18(SB)/8, $0xffffffffffffffff
GLOBL tailmask<>(SB), RODATA|NOPTR, $32

// ---------------------------------------------------------------------------
// diff2, diff3
//
// Register roles:
//	R0, R1, R2	row r of a, b (and c for diff3)
//	R3		row r of the mask m
//	R4		acc
//	R5, R6, R7, R8	the strides sa, sb, sc, sm (R7 diff3 only)
//	R9, R10		x0, x1: the window of every row
//	R11		rows left
//	R12		result: bit r set when row r changed
//	R13		1<<r
//	R14		x, the current column
//	R15, R16, R17	&a[x], &b[x], &c[x] of the block being filtered
//	R19, R20	&m[x], &acc[x] of the pixels being counted
//	R21		&tailmask
//	R24		thr
//	R22, R23	scratch; R25 the changed flag of a narrow row
//	V0-V15		the distances of up to 256 pixels
//	V16-V27		scratch
//	V30		OR of row r's counted compare masks
//	V31		thr in every byte
//
// A pixel's distance d is |a-b| for diff2 and min(|c-a|, |c-b|) for diff3
// (UABD, then UMIN). It changed iff d > thr, and CMHI against V31 turns that
// into 0xFF per changed pixel; ANDed with the mask bytes (0xFF watched),
// acc -= mask then adds one to the counter of each changed pixel, and the OR
// of the masks flags the row.
//
// Most pixels of a camera frame do not change, so a row is first walked in
// blocks of 256 pixels (then one of 128, then steps of 16) that only compute
// the distances and their largest one: a tree of UMAX, then UMAXV across the
// lanes and one compare with thr. The test is exact (a block passes iff none
// of its pixels changed), costs one instruction per vector plus one
// reduction per block, and NEON's 32 registers hold all 16 vectors of a
// 256-pixel block, so a block that did change is counted from its registers
// without reloading a or b: only the half (or halves) of 128 pixels whose
// largest distance exceeds thr go on to the compare masks, read the mask
// bytes and touch acc. Every row runs the same blocks (the window is the
// call's), so the branch predictor learns the loop exits; a window whose
// width is not a multiple of 16 ends with one vector over its last 16
// pixels, its distances masked to the pixels not yet seen (tailmask). A
// window narrower than 16 pixels goes a pixel at a time. No load or store
// leaves the window.

// PTRS2, PTRS3 point R15-R17 at column x of the frame rows.
#define PTRS2 \
	ADD R14, R0, R15; \
	ADD R14, R1, R16

#define PTRS3 \
	ADD R14, R0, R15; \
	ADD R14, R1, R16; \
	ADD R14, R2, R17

// DIST2, DIST3: d0-d3 (numbers n0-n3, consecutive registers) = the
// distances of the next 64 pixels, advancing R15-R17 by 64; V16-V23 are
// scratch (DIST2 uses only V16-V19).
#define DIST2(d0, d1, d2, d3, n0, n1, n2, n3) \
	VLD1.P 64(R15), [d0.B16, d1.B16, d2.B16, d3.B16]; \
	VLD1.P 64(R16), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	UABD16B(n0, n0, 16); \
	UABD16B(n1, n1, 17); \
	UABD16B(n2, n2, 18); \
	UABD16B(n3, n3, 19)

#define DIST3(d0, d1, d2, d3, n0, n1, n2, n3) \
	VLD1.P 64(R17), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VLD1.P 64(R15), [d0.B16, d1.B16, d2.B16, d3.B16]; \
	VLD1.P 64(R16), [V20.B16, V21.B16, V22.B16, V23.B16]; \
	UABD16B(n0, 16, n0); \
	UABD16B(n1, 17, n1); \
	UABD16B(n2, 18, n2); \
	UABD16B(n3, 19, n3); \
	UABD16B(20, 16, 20); \
	UABD16B(21, 17, 21); \
	UABD16B(22, 18, 22); \
	UABD16B(23, 19, 23); \
	VUMIN  V20.B16, d0.B16, d0.B16; \
	VUMIN  V21.B16, d1.B16, d1.B16; \
	VUMIN  V22.B16, d2.B16, d2.B16; \
	VUMIN  V23.B16, d3.B16, d3.B16

// DIST2V, DIST3V: V0 = the distances of the 16 pixels at R15-R17; V16 and
// V20 are scratch.
#define DIST2V \
	VLD1    (R15), [V0.B16]; \
	VLD1    (R16), [V16.B16]; \
	UABD16B(0, 0, 16)

#define DIST3V \
	VLD1    (R17), [V16.B16]; \
	VLD1    (R15), [V0.B16]; \
	VLD1    (R16), [V20.B16]; \
	UABD16B(0, 16, 0); \
	UABD16B(20, 16, 20); \
	VUMIN   V20.B16, V0.B16, V0.B16

// PIX2, PIX3: R22 = 1 if the pixel at x changed (mask not applied), else 0;
// R15 and R23 are scratch.
#define PIX2 \
	MOVBU (R0)(R14), R22; \
	MOVBU (R1)(R14), R23; \
	SUBS  R23, R22, R22; \
	CNEG  LT, R22, R22;          /* |a-b| */ \
	CMP   R24, R22; \
	CSET  HI, R22

#define PIX3 \
	MOVBU (R2)(R14), R22;        /* c */ \
	MOVBU (R0)(R14), R23; \
	SUBS  R23, R22, R23; \
	CNEG  LT, R23, R23;          /* |c-a| */ \
	MOVBU (R1)(R14), R15; \
	SUBS  R15, R22, R15; \
	CNEG  LT, R15, R15;          /* |c-b| */ \
	CMP   R15, R23; \
	CSEL  LO, R23, R15, R23;     /* the smaller */ \
	CMP   R24, R23; \
	CSET  HI, R22

// MAX8: out = the bytewise maximum of d0-d7; V24-V27 are scratch.
#define MAX8(d0, d1, d2, d3, d4, d5, d6, d7, out) \
	VUMAX d1.B16, d0.B16, V24.B16; \
	VUMAX d3.B16, d2.B16, V25.B16; \
	VUMAX d5.B16, d4.B16, V26.B16; \
	VUMAX d7.B16, d6.B16, V27.B16; \
	VUMAX V25.B16, V24.B16, V24.B16; \
	VUMAX V27.B16, V26.B16, V26.B16; \
	VUMAX V26.B16, V24.B16, out.B16

// HMAX: R22 = the largest byte of vector register n; V23 is scratch.
#define HMAX(n) \
	UMAXV16B(23, n); \
	VMOV V23.B[0], R22

// AT points R19, R20 at the mask and acc bytes of column x+off.
#define AT(off) \
	ADD R14, R3, R19; \
	ADD R14, R4, R20; \
	ADD $(off), R19; \
	ADD $(off), R20

// MARK4 turns the distances d0-d3 (numbers n0-n3) of the 64 pixels at R19,
// R20 into their compare masks, keeps the watched ones, counts them
// (acc -= mask) and ORs them into the row flag; it advances R19, R20 by 64.
// V16-V25 are scratch.
#define MARK4(d0, d1, d2, d3, n0, n1, n2, n3) \
	CMHI16B(n0, n0, 31); \
	CMHI16B(n1, n1, 31); \
	CMHI16B(n2, n2, 31); \
	CMHI16B(n3, n3, 31); \
	VLD1.P 64(R19), [V16.B16, V17.B16, V18.B16, V19.B16]; \
	VLD1   (R20), [V20.B16, V21.B16, V22.B16, V23.B16]; \
	VAND   V16.B16, d0.B16, d0.B16; \
	VAND   V17.B16, d1.B16, d1.B16; \
	VAND   V18.B16, d2.B16, d2.B16; \
	VAND   V19.B16, d3.B16, d3.B16; \
	VSUB   d0.B16, V20.B16, V20.B16; \
	VSUB   d1.B16, V21.B16, V21.B16; \
	VSUB   d2.B16, V22.B16, V22.B16; \
	VSUB   d3.B16, V23.B16, V23.B16; \
	VST1.P [V20.B16, V21.B16, V22.B16, V23.B16], 64(R20); \
	VORR   d1.B16, d0.B16, V24.B16; \
	VORR   d3.B16, d2.B16, V25.B16; \
	VORR   V25.B16, V24.B16, V24.B16; \
	VORR   V24.B16, V30.B16, V30.B16

// MARK1 is MARK4 for the 16 distances in V0 (pixels at R19, R20), which
// it does not advance; V16 and V20 are scratch.
#define MARK1 \
	CMHI16B(0, 0, 31); \
	VLD1   (R19), [V16.B16]; \
	VLD1   (R20), [V20.B16]; \
	VAND   V16.B16, V0.B16, V0.B16; \
	VSUB   V0.B16, V20.B16, V20.B16; \
	VST1   [V20.B16], (R20); \
	VORR   V0.B16, V30.B16, V30.B16

// NEXT2, NEXT3 step the row pointers to row r+1.
#define NEXT2 \
	ADD R5, R0; \
	ADD R6, R1; \
	ADD R8, R3

#define NEXT3 \
	ADD R5, R0; \
	ADD R6, R1; \
	ADD R7, R2; \
	ADD R8, R3

// DIFFBAND is the body shared by diff2 and diff3, given their PTRS, DIST,
// DISTV, PIX and NEXT. The caller has loaded the row pointers, the strides,
// x0, x1, rows and thr into their registers.
#define DIFFBAND(PTRS, DIST, DISTV, PIX, NEXT) \
	MOVD  $tailmask<>(SB), R21; \
	VDUP  R24, V31.B16; \
	VEOR  V30.B16, V30.B16, V30.B16; \
	MOVD  ZR, R12; \
	MOVD  $1, R13; \
	MOVD  ZR, R25; \
	CMP   $0, R11; \
	BLE   done; \
	SUB   R9, R10, R22; \
	CMP   $16, R22; \
	BLT   narrow; \
row: \
	MOVD  R9, R14; \
b256: \
	ADD   $256, R14, R22; \
	CMP   R10, R22; \
	BGT   b128; \
	PTRS; \
	DIST(V0, V1, V2, V3, 0, 1, 2, 3); \
	DIST(V4, V5, V6, V7, 4, 5, 6, 7); \
	DIST(V8, V9, V10, V11, 8, 9, 10, 11); \
	DIST(V12, V13, V14, V15, 12, 13, 14, 15); \
	MAX8(V0, V1, V2, V3, V4, V5, V6, V7, V28); \
	MAX8(V8, V9, V10, V11, V12, V13, V14, V15, V29); \
	VUMAX V29.B16, V28.B16, V27.B16; \
	HMAX(27); \
	CMP   R24, R22; \
	BHI   mark256; \
next256: \
	ADD   $256, R14; \
	B     b256; \
mark256: \
	/* count only the half (or halves) of 128 pixels that changed */ \
	HMAX(29); \
	MOVD  R22, R23;              /* the largest distance of the high half */ \
	HMAX(28); \
	CMP   R24, R22; \
	BLS   mark256hi; \
	AT(0); \
	MARK4(V0, V1, V2, V3, 0, 1, 2, 3); \
	MARK4(V4, V5, V6, V7, 4, 5, 6, 7); \
mark256hi: \
	CMP   R24, R23; \
	BLS   next256; \
	AT(128); \
	MARK4(V8, V9, V10, V11, 8, 9, 10, 11); \
	MARK4(V12, V13, V14, V15, 12, 13, 14, 15); \
	B     next256; \
b128: \
	ADD   $128, R14, R22; \
	CMP   R10, R22; \
	BGT   b16; \
	PTRS; \
	DIST(V0, V1, V2, V3, 0, 1, 2, 3); \
	DIST(V4, V5, V6, V7, 4, 5, 6, 7); \
	MAX8(V0, V1, V2, V3, V4, V5, V6, V7, V28); \
	HMAX(28); \
	CMP   R24, R22; \
	BLS   next128; \
	AT(0); \
	MARK4(V0, V1, V2, V3, 0, 1, 2, 3); \
	MARK4(V4, V5, V6, V7, 4, 5, 6, 7); \
next128: \
	ADD   $128, R14; \
b16: \
	ADD   $16, R14, R22; \
	CMP   R10, R22; \
	BGT   tail; \
	PTRS; \
	DISTV; \
	HMAX(0); \
	CMP   R24, R22; \
	BHI   mark16; \
next16: \
	ADD   $16, R14; \
	B     b16; \
mark16: \
	AT(0); \
	MARK1; \
	B     next16; \
tail: \
	CMP   R10, R14; \
	BEQ   rowdone; \
	/* the last 16 pixels, keeping the distances of the x1-x new ones */ \
	SUB   R14, R10, R22; \
	ADD   R21, R22, R22; \
	VLD1  (R22), [V1.B16]; \
	SUB   $16, R10, R14; \
	PTRS; \
	DISTV; \
	VAND  V1.B16, V0.B16, V0.B16; \
	HMAX(0); \
	CMP   R24, R22; \
	BLS   rowdone; \
	AT(0); \
	MARK1; \
rowdone: \
	VUADDLV V30.B16, V29;        /* nonzero iff a byte of V30 is */ \
	VMOV  V29.H[0], R22; \
	CBZ   R22, nextrow; \
	ORR   R13, R12; \
	VEOR  V30.B16, V30.B16, V30.B16; \
nextrow: \
	NEXT; \
	LSL   $1, R13; \
	SUBS  $1, R11; \
	BNE   row; \
	B     done; \
narrow: \
	MOVD  R9, R14; \
pixel: \
	CMP   R10, R14; \
	BGE   narrowdone; \
	PIX; \
	MOVBU (R3)(R14), R23; \
	AND   R23, R22;              /* watched: mask byte 0xFF, bit 0 set */ \
	MOVBU (R4)(R14), R23; \
	ADD   R22, R23; \
	MOVB  R23, (R4)(R14); \
	ORR   R22, R25; \
	ADD   $1, R14; \
	B     pixel; \
narrowdone: \
	CBZ   R25, narrownext; \
	ORR   R13, R12; \
	MOVD  ZR, R25; \
narrownext: \
	NEXT; \
	LSL   $1, R13; \
	SUBS  $1, R11; \
	BNE   narrow; \
done:

// func diff2NEON(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64
TEXT ·diff2NEON(SB), NOSPLIT, $0-160
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD m_base+48(FP), R3
	MOVD acc_base+128(FP), R4
	MOVD sa+72(FP), R5
	MOVD sb+80(FP), R6
	MOVD sm+88(FP), R8
	MOVD x0+96(FP), R9
	MOVD x1+104(FP), R10
	MOVD rows+112(FP), R11
	MOVD thr+120(FP), R24
	DIFFBAND(PTRS2, DIST2, DIST2V, PIX2, NEXT2)
	MOVD R12, ret+152(FP)
	RET

// func diff3NEON(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64
TEXT ·diff3NEON(SB), NOSPLIT, $0-192
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD c_base+48(FP), R2
	MOVD m_base+72(FP), R3
	MOVD acc_base+160(FP), R4
	MOVD sa+96(FP), R5
	MOVD sb+104(FP), R6
	MOVD sc+112(FP), R7
	MOVD sm+120(FP), R8
	MOVD x0+128(FP), R9
	MOVD x1+136(FP), R10
	MOVD rows+144(FP), R11
	MOVD thr+152(FP), R24
	DIFFBAND(PTRS3, DIST3, DIST3V, PIX3, NEXT3)
	MOVD R12, ret+184(FP)
	RET

// func yuyvNEON(dst, src []byte)
//
// VLD2 de-interleaves 32 YUYV bytes into 16 lumas (V0) and 16 chromas (V1).
// The last, partial block is redone as a whole block ending at len(dst),
// which rewrites some outputs with the same values. Short rows (< 16) take
// an 8-byte step, then bytes.
//
// R0 dst, R1 n = len(dst), R2 src, R3 temp.
TEXT ·yuyvNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD src_base+24(FP), R2
	CMP  $16, R1
	BLT  yshort
	CMP  $32, R1
	BLT  yone16

yloop32:
	VLD2.P 32(R2), [V0.B16, V1.B16]
	VLD2.P 32(R2), [V2.B16, V3.B16]
	VST1.P [V0.B16], 16(R0)
	VST1.P [V2.B16], 16(R0)
	SUB    $32, R1
	CMP    $32, R1
	BGE    yloop32
	CMP    $16, R1
	BLT    ytail16

yone16:
	VLD2.P 32(R2), [V0.B16, V1.B16]
	VST1.P [V0.B16], 16(R0)
	SUB    $16, R1

ytail16:
	CBZ    R1, ydone
	SUB    $16, R1, R3             // n-16 < 0
	ADD    R3, R0
	ADD    R3<<1, R2
	VLD2   (R2), [V0.B16, V1.B16]
	VST1   [V0.B16], (R0)
	RET

yshort:
	CMP    $8, R1
	BLT    ybyte
	VLD2.P 16(R2), [V0.B8, V1.B8]
	VST1.P [V0.B8], 8(R0)
	SUBS   $8, R1
	BEQ    ydone
	SUB    $8, R1, R3
	ADD    R3, R0
	ADD    R3<<1, R2
	VLD2   (R2), [V0.B8, V1.B8]
	VST1   [V0.B8], (R0)
	RET

ybyte:
	CBZ     R1, ydone
	MOVBU.P 2(R2), R3
	MOVB.P  R3, 1(R0)
	SUB     $1, R1
	B       ybyte

ydone:
	RET

// DOWN2_16 averages the 2×2 blocks of 32 bytes of r0 (V0, V1) and 32 bytes
// of r1 (V2, V3) into 16 outputs in V6:
//   V4.H[i] = r0[2i] + r0[2i+1] (i < 8), V5 the same for i = 8..15;
//   V4, V5 += r1[2i] + r1[2i+1];
//   V6.B[0..7] = (V4 + 2) >> 2, V6.B[8..15] = (V5 + 2) >> 2.
// V4, V5 are temps.
#define DOWN2_16 \
	UADDLP16B(4, 0); \
	UADDLP16B(5, 1); \
	UADALP16B(4, 2); \
	UADALP16B(5, 3); \
	RSHRNLO(6, 4);   \
	RSHRNHI(6, 5)

// func down2NEON(dst, r0, r1 []byte)
//
// 16 outputs per step from 32 bytes of each row. The last, partial block is
// redone as a whole block ending at len(dst). Short rows (< 16) take an
// 8-output step (16 bytes per row), then single outputs.
//
// R0 dst, R1 n = len(dst), R2 r0, R3 r1, R4-R6 temps.
TEXT ·down2NEON(SB), NOSPLIT, $0-72
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD r0_base+24(FP), R2
	MOVD r1_base+48(FP), R3
	CMP  $16, R1
	BLT  dshort

dloop16:
	VLD1.P 32(R2), [V0.B16, V1.B16]
	VLD1.P 32(R3), [V2.B16, V3.B16]
	DOWN2_16
	VST1.P [V6.B16], 16(R0)
	SUB    $16, R1
	CMP    $16, R1
	BGE    dloop16
	CBZ    R1, ddone
	SUB    $16, R1, R4             // n-16 < 0
	ADD    R4, R0
	ADD    R4<<1, R2
	ADD    R4<<1, R3
	VLD1   (R2), [V0.B16, V1.B16]
	VLD1   (R3), [V2.B16, V3.B16]
	DOWN2_16
	VST1   [V6.B16], (R0)
	RET

dshort:
	CMP    $8, R1
	BLT    dbyte
	VLD1.P 16(R2), [V0.B16]
	VLD1.P 16(R3), [V2.B16]
	UADDLP16B(4, 0)
	UADALP16B(4, 2)
	RSHRNLO(6, 4)
	VST1.P [V6.B8], 8(R0)
	SUBS   $8, R1
	BEQ    ddone
	SUB    $8, R1, R4
	ADD    R4, R0
	ADD    R4<<1, R2
	ADD    R4<<1, R3
	VLD1   (R2), [V0.B16]
	VLD1   (R3), [V2.B16]
	UADDLP16B(4, 0)
	UADALP16B(4, 2)
	RSHRNLO(6, 4)
	VST1   [V6.B8], (R0)
	RET

dbyte:
	CBZ     R1, ddone
	MOVBU   (R2), R4
	MOVBU   1(R2), R5
	ADD     R5, R4
	MOVBU   (R3), R5
	ADD     R5, R4
	MOVBU   1(R3), R5
	ADD     R5, R4
	ADD     $2, R4
	LSR     $2, R4
	MOVB.P  R4, 1(R0)
	ADD     $2, R2
	ADD     $2, R3
	SUB     $1, R1
	B       dbyte

ddone:
	RET

// func probeNEON(a, b []byte) uint64
//
// Reads 64 bytes of each slice per step into four XOR accumulators, then
// 16-byte steps, an 8-byte step and single bytes.
//
// R0 a, R1 n = len(a), R2 b, R3 result, R4-R6 temps, V16-V19 accumulators.
TEXT ·probeNEON(SB), NOSPLIT, $0-56
	MOVD a_base+0(FP), R0
	MOVD a_len+8(FP), R1
	MOVD b_base+24(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	CMP  $64, R1
	BLT  ploop16

ploop64:
	VLD1.P 64(R0), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 64(R2), [V4.B16, V5.B16, V6.B16, V7.B16]
	VEOR   V4.B16, V0.B16, V0.B16
	VEOR   V5.B16, V1.B16, V1.B16
	VEOR   V6.B16, V2.B16, V2.B16
	VEOR   V7.B16, V3.B16, V3.B16
	VEOR   V0.B16, V16.B16, V16.B16
	VEOR   V1.B16, V17.B16, V17.B16
	VEOR   V2.B16, V18.B16, V18.B16
	VEOR   V3.B16, V19.B16, V19.B16
	SUB    $64, R1
	CMP    $64, R1
	BGE    ploop64

ploop16:
	CMP    $16, R1
	BLT    pfold
	VLD1.P 16(R0), [V0.B16]
	VLD1.P 16(R2), [V4.B16]
	VEOR   V4.B16, V0.B16, V0.B16
	VEOR   V0.B16, V16.B16, V16.B16
	SUB    $16, R1
	B      ploop16

pfold:
	VEOR V17.B16, V16.B16, V16.B16
	VEOR V19.B16, V18.B16, V18.B16
	VEOR V18.B16, V16.B16, V16.B16
	VMOV V16.D[0], R3
	VMOV V16.D[1], R4
	EOR  R4, R3
	CMP  $8, R1
	BLT  pbytes
	MOVD.P 8(R0), R4
	MOVD.P 8(R2), R5
	EOR    R4, R3
	EOR    R5, R3
	SUB    $8, R1

pbytes:
	MOVD ZR, R6 // shift = 8*(i%8)

pbyte:
	CBZ     R1, pdone
	MOVBU.P 1(R0), R4
	MOVBU.P 1(R2), R5
	EOR     R5, R4
	LSL     R6, R4
	EOR     R4, R3
	ADD     $8, R6
	SUB     $1, R1
	B       pbyte

pdone:
	MOVD R3, ret+48(FP)
	RET
