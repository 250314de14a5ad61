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
// UABD Vd.8B, Vn.8B, Vm.8B.
#define UABD8B(d, n, m) WORD $(0x2E207400 | ((m)<<16) | ((n)<<5) | (d))
// CMHI Vd.16B, Vn.16B, Vm.16B: Vd = Vn > Vm (unsigned) ? 0xFF : 0.
#define CMHI16B(d, n, m) WORD $(0x6E203400 | ((m)<<16) | ((n)<<5) | (d))
// CMHI Vd.8B, Vn.8B, Vm.8B.
#define CMHI8B(d, n, m) WORD $(0x2E203400 | ((m)<<16) | ((n)<<5) | (d))
// UADDLP Vd.8H, Vn.16B: Vd.H[i] = Vn.B[2i] + Vn.B[2i+1].
#define UADDLP16B(d, n) WORD $(0x6E202800 | ((n)<<5) | (d))
// UADALP Vd.8H, Vn.16B: Vd.H[i] += Vn.B[2i] + Vn.B[2i+1].
#define UADALP16B(d, n) WORD $(0x6E206800 | ((n)<<5) | (d))
// RSHRN Vd.8B, Vn.8H, #2 (shift fixed at 2): Vd.B[i] = (Vn.H[i] + 2) >> 2;
// clears Vd's upper half.
#define RSHRNLO(d, n) WORD $(0x0F0E8C00 | ((n)<<5) | (d))
// RSHRN2 Vd.16B, Vn.8H, #2: the same into Vd.B[8..15], keeping Vd.B[0..7].
#define RSHRNHI(d, n) WORD $(0x4F0E8C00 | ((n)<<5) | (d))

// tailmask<>+k: 16 bytes whose last k are 0xFF, the rest 0 (0 <= k <= 16).
// A span's last, overlapped vector ANDs its compare result with it so the
// bytes already counted by the previous vector are not counted again.
DATA tailmask<>+0x00(SB)/8, $0x0000000000000000
DATA tailmask<>+0x08(SB)/8, $0x0000000000000000
DATA tailmask<>+0x10(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x18(SB)/8, $0xffffffffffffffff
GLOBL tailmask<>(SB), RODATA|NOPTR, $32

// func diff2NEON(a, b []byte, sa, sb int, xs, idx []int32, thr int, acc []byte) uint64
//
// Per span [x0, x1), n = x1-x0:
//   n >= 16: 32- then 16-byte steps, then, if n%16 != 0, one 16-byte vector
//            ending at x1 whose compare result is masked to its new bytes;
//   8 <= n < 16: one 8-byte step, then likewise an 8-byte vector ending at x1;
//   n < 8: byte by byte.
// Frame bytes and acc are touched only inside [x0, x1).
//
// Registers:
//   R0 a row, R1 b row, R2 sa, R3 sb, R4 &xs[0], R5 &idx[r], R6 rows left,
//   R7 &acc[0], R8 changed-rows result, R9 1<<r, R10 span i, R11 idx[r+1],
//   R12 x0 then temp, R13 temp, R14 n (bytes left in span), R15 pa, R21 pb,
//   R22 pacc, R19 scalar changed flag, R20 &tailmask, R24 thr, R23 temp.
//   V31 thr in every byte, V30 OR of the row's compare results,
//   V0-V5 data, V6 tail mask, V7 temp.
TEXT ·diff2NEON(SB), NOSPLIT, $0-152
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD sa+48(FP), R2
	MOVD sb+56(FP), R3
	MOVD xs_base+64(FP), R4
	MOVD idx_base+88(FP), R5
	MOVD idx_len+96(FP), R6
	MOVD thr+112(FP), R24
	MOVD acc_base+120(FP), R7
	MOVD $tailmask<>(SB), R20
	VDUP R24, V31.B16
	MOVD ZR, R8
	MOVD $1, R9
	SUBS $1, R6 // rows = len(idx)-1
	BLE  d2done

d2row:
	MOVW (R5), R10  // i = idx[r]
	MOVW 4(R5), R11 // end = idx[r+1]
	ADD  $4, R5
	VEOR V30.B16, V30.B16, V30.B16
	MOVD ZR, R19
	CMP  R11, R10
	BGE  d2rowdone

d2span:
	ADD   R10<<3, R4, R12
	MOVW  4(R12), R14      // x1
	MOVW  (R12), R12       // x0
	ADD   $1, R10
	SUBS  R12, R14, R14    // n = x1 - x0
	BLE   d2nextspan
	ADD   R0, R12, R15     // pa = &a[r*sa+x0]
	ADD   R1, R12, R21     // pb
	ADD   R7, R12, R22     // pacc = &acc[x0]
	CMP   $16, R14
	BLT   d2short
	SUBS  $32, R14         // n-32: the loop runs while it is >= 0
	BLT   d2end32

d2loop32:
	VLD1.P 32(R15), [V0.B16, V1.B16]
	VLD1.P 32(R21), [V2.B16, V3.B16]
	VLD1   (R22), [V4.B16, V5.B16]
	UABD16B(0, 0, 2)               // V0 = |a-b|
	UABD16B(1, 1, 3)
	CMHI16B(0, 0, 31)              // V0 = |a-b| > thr ? 0xFF : 0
	CMHI16B(1, 1, 31)
	VSUB   V0.B16, V4.B16, V4.B16  // acc -= -1 where changed
	VSUB   V1.B16, V5.B16, V5.B16
	VORR   V0.B16, V1.B16, V7.B16  // one OR into the flag per step
	VORR   V7.B16, V30.B16, V30.B16
	VST1.P [V4.B16, V5.B16], 32(R22)
	SUBS   $32, R14
	BGE    d2loop32

d2end32:
	ADD    $32, R14                // 0 <= n < 32
	CMP    $16, R14
	BLT    d2tail16

	// 16 <= n < 32: one 16-byte step.
	VLD1.P 16(R15), [V0.B16]
	VLD1.P 16(R21), [V2.B16]
	VLD1   (R22), [V4.B16]
	UABD16B(0, 0, 2)
	CMHI16B(0, 0, 31)
	VSUB   V0.B16, V4.B16, V4.B16
	VORR   V0.B16, V30.B16, V30.B16
	VST1.P [V4.B16], 16(R22)
	SUB    $16, R14

d2tail16:
	// 0 <= n < 16 bytes left and at least 16 done: redo the last 16 bytes
	// of the span, counting only the n new ones.
	CBZ    R14, d2nextspan
	SUB    $16, R14, R13           // n-16 < 0
	ADD    R13, R15
	ADD    R13, R21
	ADD    R13, R22
	ADD    R14, R20, R23
	VLD1   (R23), [V6.B16]         // last n bytes 0xFF
	VLD1   (R15), [V0.B16]
	VLD1   (R21), [V2.B16]
	VLD1   (R22), [V4.B16]
	UABD16B(0, 0, 2)
	CMHI16B(0, 0, 31)
	VAND   V6.B16, V0.B16, V0.B16
	VSUB   V0.B16, V4.B16, V4.B16
	VORR   V0.B16, V30.B16, V30.B16
	VST1   [V4.B16], (R22)
	B      d2nextspan

d2short:
	// 1 <= n < 16.
	CMP    $8, R14
	BLT    d2byte
	VLD1.P 8(R15), [V0.B8]
	VLD1.P 8(R21), [V2.B8]
	VLD1   (R22), [V4.B8]
	UABD8B(0, 0, 2)
	CMHI8B(0, 0, 31)               // upper half of V0 stays 0
	VSUB   V0.B8, V4.B8, V4.B8
	VORR   V0.B16, V30.B16, V30.B16
	VST1.P [V4.B8], 8(R22)
	SUBS   $8, R14
	BEQ    d2nextspan
	// 0 < n < 8 left: redo the span's last 8 bytes, counting the n new ones.
	SUB    $8, R14, R13
	ADD    R13, R15
	ADD    R13, R21
	ADD    R13, R22
	ADD    R14, R20, R23
	ADD    $8, R23
	VLD1   (R23), [V6.B8]          // last n of 8 bytes 0xFF
	VLD1   (R15), [V0.B8]
	VLD1   (R21), [V2.B8]
	VLD1   (R22), [V4.B8]
	UABD8B(0, 0, 2)
	CMHI8B(0, 0, 31)
	VAND   V6.B16, V0.B16, V0.B16
	VSUB   V0.B8, V4.B8, V4.B8
	VORR   V0.B16, V30.B16, V30.B16
	VST1   [V4.B8], (R22)
	B      d2nextspan

d2byte:
	// 1 <= n < 8: one pixel at a time.
	MOVBU.P 1(R15), R12
	MOVBU.P 1(R21), R13
	SUBS    R13, R12, R12          // a - b
	CNEG    LT, R12, R12           // |a - b|
	CMP     R24, R12
	CSET    HI, R13                // |a - b| > thr
	MOVBU   (R22), R23
	ADD     R13, R23
	MOVB.P  R23, 1(R22)
	ORR     R13, R19
	SUBS    $1, R14
	BNE     d2byte

d2nextspan:
	CMP R11, R10
	BLT d2span

d2rowdone:
	VUADDLV V30.B16, V29           // nonzero iff any byte of V30 is
	VMOV    V29.H[0], R12
	ORR     R19, R12
	CBZ     R12, d2nextrow
	ORR     R9, R8

d2nextrow:
	ADD  R2, R0
	ADD  R3, R1
	LSL  $1, R9
	SUBS $1, R6
	BNE  d2row

d2done:
	MOVD R8, ret+144(FP)
	RET

// func diff3NEON(a, b, c []byte, sa, sb, sc int, xs, idx []int32, thr int, acc []byte) uint64
//
// diff2NEON with the test min(|c-a|, |c-b|) > thr, which is
// |c-a| > thr && |c-b| > thr.
//
// Registers:
//   R0 a row, R1 b row, R2 c row, R3 sa, R4 sb, R5 sc, R6 &xs[0],
//   R7 &idx[r], R8 rows left, R9 &acc[0], R10 changed-rows result, R11 1<<r,
//   R12 span i, R13 idx[r+1], R14 n (bytes left in span), R15 pa, R16 pb,
//   R17 pc, R19 pacc, R20 &tailmask, R21 scalar changed flag, R24 thr,
//   R22, R23, R25 temps.
//   V31 thr in every byte, V30 OR of the row's compare results,
//   V0-V5 frame data, V6-V7 acc, V16 tail mask, V17 temp.
TEXT ·diff3NEON(SB), NOSPLIT, $0-184
	MOVD a_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD c_base+48(FP), R2
	MOVD sa+72(FP), R3
	MOVD sb+80(FP), R4
	MOVD sc+88(FP), R5
	MOVD xs_base+96(FP), R6
	MOVD idx_base+120(FP), R7
	MOVD idx_len+128(FP), R8
	MOVD thr+144(FP), R24
	MOVD acc_base+152(FP), R9
	MOVD $tailmask<>(SB), R20
	VDUP R24, V31.B16
	MOVD ZR, R10
	MOVD $1, R11
	SUBS $1, R8 // rows = len(idx)-1
	BLE  d3done

d3row:
	MOVW (R7), R12  // i = idx[r]
	MOVW 4(R7), R13 // end = idx[r+1]
	ADD  $4, R7
	VEOR V30.B16, V30.B16, V30.B16
	MOVD ZR, R21
	CMP  R13, R12
	BGE  d3rowdone

d3span:
	ADD   R12<<3, R6, R22
	MOVW  4(R22), R14      // x1
	MOVW  (R22), R22       // x0
	ADD   $1, R12
	SUBS  R22, R14, R14    // n = x1 - x0
	BLE   d3nextspan
	ADD   R0, R22, R15     // pa = &a[r*sa+x0]
	ADD   R1, R22, R16     // pb
	ADD   R2, R22, R17     // pc
	ADD   R9, R22, R19     // pacc = &acc[x0]
	CMP   $16, R14
	BLT   d3short
	SUBS  $32, R14         // n-32: the loop runs while it is >= 0
	BLT   d3end32

d3loop32:
	VLD1.P 32(R15), [V0.B16, V1.B16]
	VLD1.P 32(R16), [V2.B16, V3.B16]
	VLD1.P 32(R17), [V4.B16, V5.B16]
	VLD1   (R19), [V6.B16, V7.B16]
	UABD16B(0, 4, 0)               // V0 = |c-a|
	UABD16B(1, 5, 1)
	UABD16B(2, 4, 2)               // V2 = |c-b|
	UABD16B(3, 5, 3)
	VUMIN  V2.B16, V0.B16, V0.B16
	VUMIN  V3.B16, V1.B16, V1.B16
	CMHI16B(0, 0, 31)              // V0 = both > thr ? 0xFF : 0
	CMHI16B(1, 1, 31)
	VSUB   V0.B16, V6.B16, V6.B16
	VSUB   V1.B16, V7.B16, V7.B16
	VORR   V0.B16, V1.B16, V17.B16 // one OR into the flag per step
	VORR   V17.B16, V30.B16, V30.B16
	VST1.P [V6.B16, V7.B16], 32(R19)
	SUBS   $32, R14
	BGE    d3loop32

d3end32:
	ADD    $32, R14                // 0 <= n < 32
	CMP    $16, R14
	BLT    d3tail16

	// 16 <= n < 32: one 16-byte step.
	VLD1.P 16(R15), [V0.B16]
	VLD1.P 16(R16), [V2.B16]
	VLD1.P 16(R17), [V4.B16]
	VLD1   (R19), [V6.B16]
	UABD16B(0, 4, 0)
	UABD16B(2, 4, 2)
	VUMIN  V2.B16, V0.B16, V0.B16
	CMHI16B(0, 0, 31)
	VSUB   V0.B16, V6.B16, V6.B16
	VORR   V0.B16, V30.B16, V30.B16
	VST1.P [V6.B16], 16(R19)
	SUB    $16, R14

d3tail16:
	CBZ    R14, d3nextspan
	SUB    $16, R14, R22           // n-16 < 0
	ADD    R22, R15
	ADD    R22, R16
	ADD    R22, R17
	ADD    R22, R19
	ADD    R14, R20, R23
	VLD1   (R23), [V16.B16]        // last n bytes 0xFF
	VLD1   (R15), [V0.B16]
	VLD1   (R16), [V2.B16]
	VLD1   (R17), [V4.B16]
	VLD1   (R19), [V6.B16]
	UABD16B(0, 4, 0)
	UABD16B(2, 4, 2)
	VUMIN  V2.B16, V0.B16, V0.B16
	CMHI16B(0, 0, 31)
	VAND   V16.B16, V0.B16, V0.B16
	VSUB   V0.B16, V6.B16, V6.B16
	VORR   V0.B16, V30.B16, V30.B16
	VST1   [V6.B16], (R19)
	B      d3nextspan

d3short:
	CMP    $8, R14
	BLT    d3byte
	VLD1.P 8(R15), [V0.B8]
	VLD1.P 8(R16), [V2.B8]
	VLD1.P 8(R17), [V4.B8]
	VLD1   (R19), [V6.B8]
	UABD8B(0, 4, 0)
	UABD8B(2, 4, 2)
	VUMIN  V2.B8, V0.B8, V0.B8
	CMHI8B(0, 0, 31)               // upper half of V0 stays 0
	VSUB   V0.B8, V6.B8, V6.B8
	VORR   V0.B16, V30.B16, V30.B16
	VST1.P [V6.B8], 8(R19)
	SUBS   $8, R14
	BEQ    d3nextspan
	SUB    $8, R14, R22
	ADD    R22, R15
	ADD    R22, R16
	ADD    R22, R17
	ADD    R22, R19
	ADD    R14, R20, R23
	ADD    $8, R23
	VLD1   (R23), [V16.B8]         // last n of 8 bytes 0xFF
	VLD1   (R15), [V0.B8]
	VLD1   (R16), [V2.B8]
	VLD1   (R17), [V4.B8]
	VLD1   (R19), [V6.B8]
	UABD8B(0, 4, 0)
	UABD8B(2, 4, 2)
	VUMIN  V2.B8, V0.B8, V0.B8
	CMHI8B(0, 0, 31)
	VAND   V16.B16, V0.B16, V0.B16
	VSUB   V0.B8, V6.B8, V6.B8
	VORR   V0.B16, V30.B16, V30.B16
	VST1   [V6.B8], (R19)
	B      d3nextspan

d3byte:
	MOVBU.P 1(R17), R22            // c
	MOVBU.P 1(R15), R23            // a
	MOVBU.P 1(R16), R25            // b
	SUBS    R23, R22, R23          // c - a
	CNEG    LT, R23, R23
	SUBS    R25, R22, R25          // c - b
	CNEG    LT, R25, R25
	CMP     R25, R23
	CSEL    LO, R23, R25, R23      // min(|c-a|, |c-b|)
	CMP     R24, R23
	CSET    HI, R23                // both > thr
	MOVBU   (R19), R25
	ADD     R23, R25
	MOVB.P  R25, 1(R19)
	ORR     R23, R21
	SUBS    $1, R14
	BNE     d3byte

d3nextspan:
	CMP R13, R12
	BLT d3span

d3rowdone:
	VUADDLV V30.B16, V29
	VMOV    V29.H[0], R22
	ORR     R21, R22
	CBZ     R22, d3nextrow
	ORR     R11, R10

d3nextrow:
	ADD  R3, R0
	ADD  R4, R1
	ADD  R5, R2
	LSL  $1, R11
	SUBS $1, R8
	BNE  d3row

d3done:
	MOVD R10, ret+176(FP)
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
