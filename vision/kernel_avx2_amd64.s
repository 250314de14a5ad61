//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels: 32 pixels per instruction. Narrower steps use the VEX-encoded
// 128-bit forms (never legacy SSE, which would stall on the dirty upper
// halves), and every function ends with VZEROUPPER.

// tailmask<>+k holds 128-k zero bytes then k 0xFF bytes (0 <= k <= 128). A
// step of width W that ends at x1 and redoes W-k pixels already counted loads
// its mask from tailmask<>+128-W+k: 0xFF only for the k new pixels.
DATA tailmask<>+0x00(SB)/8, $0
DATA tailmask<>+0x08(SB)/8, $0
DATA tailmask<>+0x10(SB)/8, $0
DATA tailmask<>+0x18(SB)/8, $0
DATA tailmask<>+0x20(SB)/8, $0
DATA tailmask<>+0x28(SB)/8, $0
DATA tailmask<>+0x30(SB)/8, $0
DATA tailmask<>+0x38(SB)/8, $0
DATA tailmask<>+0x40(SB)/8, $0
DATA tailmask<>+0x48(SB)/8, $0
DATA tailmask<>+0x50(SB)/8, $0
DATA tailmask<>+0x58(SB)/8, $0
DATA tailmask<>+0x60(SB)/8, $0
DATA tailmask<>+0x68(SB)/8, $0
DATA tailmask<>+0x70(SB)/8, $0
DATA tailmask<>+0x78(SB)/8, $0
DATA tailmask<>+0x80(SB)/8, $-1
DATA tailmask<>+0x88(SB)/8, $-1
DATA tailmask<>+0x90(SB)/8, $-1
DATA tailmask<>+0x98(SB)/8, $-1
DATA tailmask<>+0xa0(SB)/8, $-1
DATA tailmask<>+0xa8(SB)/8, $-1
DATA tailmask<>+0xb0(SB)/8, $-1
DATA tailmask<>+0xb8(SB)/8, $-1
DATA tailmask<>+0xc0(SB)/8, $-1
DATA tailmask<>+0xc8(SB)/8, $-1
DATA tailmask<>+0xd0(SB)/8, $-1
DATA tailmask<>+0xd8(SB)/8, $-1
DATA tailmask<>+0xe0(SB)/8, $-1
DATA tailmask<>+0xe8(SB)/8, $-1
DATA tailmask<>+0xf0(SB)/8, $-1
DATA tailmask<>+0xf8(SB)/8, $-1
GLOBL tailmask<>(SB), RODATA|NOPTR, $256

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
//	Y15		thr+1 in every byte
//	Y14		OR of row r's 32-byte change masks
//	Y13		OR of row r's narrower change masks (X ops zero its upper half)
//	Y12		0xFF<<k in every byte, k = floor(log2(thr+1)): the filter's mask
//
// A pixel's distance d is |a-b| for diff2 and min(|c-a|, |c-b|) for diff3,
// with |p-q| = (p ∸ q) | (q ∸ p) (saturating subtraction). It changed iff
// d > thr ⇔ max(d, thr+1) == d, a compare that yields 0xFF per changed pixel;
// acc -= mask then adds one to the counter of each changed pixel, and the OR
// of the masks flags the row.
//
// Most pixels of a camera frame do not change, so spans are first walked in
// blocks of 128 pixels that only compute d and test whether any d of the
// block may exceed thr. The test is conservative and cheap: a d > thr has a
// bit at or above k = floor(log2(thr+1)) set, so does the OR of the block's
// d, and VPTEST against 0xFF<<k sees it. (Sensor noise rarely reaches 2^k,
// so unchanged blocks pass.) OR and VPTEST also run on the port that the
// saturating and min/max instructions cannot use, which is what makes this
// filter cheaper than an exact max. Only flagged blocks go on to the exact
// masks and touch acc.

// ABSD: d = |p-q|; q is clobbered.
#define ABSD(p, q, d) \
	VPSUBUSB q, p, d; \
	VPSUBUSB p, q, q; \
	VPOR     q, d, d

// DIST2, DIST3: d = the distance of the pixels at x+off, loaded with ld
// (VMOVDQU for 32 or 16 pixels, VMOVQ for 8) into registers of d's width;
// c, p, q are scratch (DIST2 leaves c alone).
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
	VPMINUB p, d, d

// DIST2B, DIST3B: the same for the one pixel at x, its bytes moved through
// R13 into the low lane of X registers (the other lanes are 0: never > thr).
#define DIST2B(d, c, p, q) \
	MOVBLZX (SI)(R11*1), R13; \
	VMOVD   R13, p; \
	MOVBLZX (DI)(R11*1), R13; \
	VMOVD   R13, q; \
	ABSD(p, q, d)

#define DIST3B(d, c, p, q) \
	MOVBLZX (R14)(R11*1), R13; \
	VMOVD   R13, c; \
	MOVBLZX (SI)(R11*1), R13; \
	VMOVD   R13, p; \
	ABSD(c, p, d); \
	MOVBLZX (DI)(R11*1), R13; \
	VMOVD   R13, q; \
	ABSD(c, q, p); \
	VPMINUB p, d, d

// GT: d = 0xFF where d > thr, else 0 (t1 holds thr+1; t is scratch).
#define GT(t1, d, t) \
	VPMAXUB  t1, d, t; \
	VPCMPEQB t, d, d

// COUNT adds the mask m of the pixels at x+off into acc (acc -= m) and ORs
// it into the row flag rf; ld as in DIST2 (it also stores), t is scratch.
#define COUNT(ld, off, rf, m, t) \
	VPOR   m, rf, rf; \
	ld     off(DX)(R11*1), t; \
	VPSUBB m, t, t; \
	ld     t, off(DX)(R11*1)

// COUNTB does the same for the one pixel at x.
#define COUNTB(m) \
	VPOR  m, X13, X13; \
	VMOVD m, R13; \
	SUBB  R13, (DX)(R11*1)

// MARK turns the distances d of the 32 pixels at x+off into their mask and
// counts them.
#define MARK(off, d, t) \
	GT(Y15, d, t); \
	COUNT(VMOVDQU, off, Y14, d, t)

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
//	n >= 128:	blocks of 128 as above; the rest, if any, as one more block
//			ending at x1 whose distances are masked to the pixels not
//			yet seen (tailmask), so nothing is counted twice;
//	32 <= n < 128:	32 pixels at a time, each step filtered like a block,
//			then one masked step ending at x1;
//	16 <= n < 32:	16 at x0, then 16 ending at x1, masked;
//	8 <= n < 16:	the same with 8;
//	n < 8:		one pixel at a time.
// The narrow steps always count (no filter). No load or store leaves
// [x0, x1).
#define DIFFBAND(DIST, DISTB, NEXT, thrarg, nidx) \
	MOVQ   thrarg, R13; \
	INCQ   R13; \
	VMOVD  R13, X15; \
	VPBROADCASTB X15, Y15;  /* thr+1 */ \
	BSRQ   R13, CX;            /* k = floor(log2(thr+1)) */ \
	MOVQ   $0xFF, R12; \
	SHLQ   CX, R12; \
	VMOVD  R12, X12; \
	VPBROADCASTB X12, Y12;  /* 0xFF<<k: the bits of any d > thr */ \
	XORQ   AX, AX; \
	XORQ   CX, CX; \
	VPXOR  Y14, Y14, Y14; \
	VPXOR  Y13, Y13, Y13; \
row: \
	LEAQ   1(CX), R13; \
	CMPQ   R13, nidx; \
	JGE    done; \
	MOVLQSX (R9)(CX*4), BX; \
	MOVLQSX 4(R9)(CX*4), R10; \
	LEAQ   (R8)(BX*8), BX; \
	LEAQ   (R8)(R10*8), R10; \
	CMPQ   BX, R10; \
	JAE    rowdone; \
span: \
	MOVLQSX (BX), R11; \
	MOVLQSX 4(BX), R12; \
	ADDQ   $8, BX; \
	LEAQ   32(R11), R13; \
	CMPQ   R13, R12; \
	JGT    narrow; \
	LEAQ   128(R11), R13; \
	CMPQ   R13, R12; \
	JGT    wide; \
block: \
	DIST(VMOVDQU, 0, Y0, Y4, Y5, Y6); \
	DIST(VMOVDQU, 32, Y1, Y4, Y5, Y6); \
	DIST(VMOVDQU, 64, Y2, Y4, Y5, Y6); \
	DIST(VMOVDQU, 96, Y3, Y4, Y5, Y6); \
blockfilter: \
	VPOR   Y0, Y1, Y4; \
	VPOR   Y2, Y3, Y5; \
	VPOR   Y4, Y5, Y4; \
	VPTEST Y12, Y4; \
	JNZ    blockmark; \
blocknext: \
	ADDQ   $128, R11; \
	LEAQ   128(R11), R13; \
	CMPQ   R13, R12; \
	JLE    block; \
	CMPQ   R11, R12; \
	JEQ    spandone; \
	/* redo the last 128 pixels, keeping the distances of the new ones */ \
	LEAQ   tailmask<>+0(SB), R13; \
	ADDQ   R12, R13; \
	SUBQ   R11, R13; \
	LEAQ   -128(R12), R11; \
	DIST(VMOVDQU, 0, Y0, Y4, Y5, Y6); \
	DIST(VMOVDQU, 32, Y1, Y4, Y5, Y6); \
	DIST(VMOVDQU, 64, Y2, Y4, Y5, Y6); \
	DIST(VMOVDQU, 96, Y3, Y4, Y5, Y6); \
	VPAND  (R13), Y0, Y0; \
	VPAND  32(R13), Y1, Y1; \
	VPAND  64(R13), Y2, Y2; \
	VPAND  96(R13), Y3, Y3; \
	JMP    blockfilter; \
blockmark: \
	MARK(0, Y0, Y4); \
	MARK(32, Y1, Y4); \
	MARK(64, Y2, Y4); \
	MARK(96, Y3, Y4); \
	JMP    blocknext; \
wide: \
	LEAQ   -32(R12), R13; \
	CMPQ   R11, R13; \
	JGT    tail32; \
	DIST(VMOVDQU, 0, Y0, Y4, Y5, Y6); \
	VPTEST Y12, Y0; \
	JNZ    widemark; \
widenext: \
	ADDQ   $32, R11; \
	JMP    wide; \
widemark: \
	MARK(0, Y0, Y4); \
	JMP    widenext; \
tail32: \
	CMPQ   R11, R12; \
	JEQ    spandone; \
	LEAQ   tailmask<>+96(SB), R13; \
	ADDQ   R12, R13; \
	SUBQ   R11, R13; \
	LEAQ   -32(R12), R11; \
	DIST(VMOVDQU, 0, Y0, Y4, Y5, Y6); \
	VPAND  (R13), Y0, Y0; \
	VPTEST Y12, Y0; \
	JZ     spandone; \
	MARK(0, Y0, Y4); \
	JMP    spandone; \
narrow: \
	MOVQ   R12, R13; \
	SUBQ   R11, R13; \
	CMPQ   R13, $16; \
	JLT    narrow8; \
	DIST(VMOVDQU, 0, X0, X4, X5, X6); \
	GT(X15, X0, X4); \
	COUNT(VMOVDQU, 0, X13, X0, X4); \
	ADDQ   $16, R11; \
	CMPQ   R11, R12; \
	JEQ    spandone; \
	LEAQ   tailmask<>+112(SB), R13; \
	ADDQ   R12, R13; \
	SUBQ   R11, R13; \
	VMOVDQU (R13), X7; \
	LEAQ   -16(R12), R11; \
	DIST(VMOVDQU, 0, X0, X4, X5, X6); \
	GT(X15, X0, X4); \
	VPAND  X7, X0, X0; \
	COUNT(VMOVDQU, 0, X13, X0, X4); \
	JMP    spandone; \
narrow8: \
	CMPQ   R13, $8; \
	JLT    bytes; \
	DIST(VMOVQ, 0, X0, X4, X5, X6); \
	GT(X15, X0, X4); \
	COUNT(VMOVQ, 0, X13, X0, X4); \
	ADDQ   $8, R11; \
	CMPQ   R11, R12; \
	JEQ    spandone; \
	LEAQ   tailmask<>+120(SB), R13; \
	ADDQ   R12, R13; \
	SUBQ   R11, R13; \
	VMOVQ  (R13), X7; \
	LEAQ   -8(R12), R11; \
	DIST(VMOVQ, 0, X0, X4, X5, X6); \
	GT(X15, X0, X4); \
	VPAND  X7, X0, X0; \
	COUNT(VMOVQ, 0, X13, X0, X4); \
	JMP    spandone; \
bytes: \
	CMPQ   R11, R12; \
	JGE    spandone; \
	DISTB(X0, X4, X5, X6); \
	GT(X15, X0, X4); \
	COUNTB(X0); \
	INCQ   R11; \
	JMP    bytes; \
spandone: \
	CMPQ   BX, R10; \
	JB     span; \
rowdone: \
	VPOR   Y13, Y14, Y14; \
	VPTEST Y14, Y14; \
	JZ     nextrow; \
	BTSQ   CX, AX; \
	VPXOR  Y14, Y14, Y14; \
	VPXOR  Y13, Y13, Y13; \
nextrow: \
	NEXT; \
	INCQ   CX; \
	JMP    row; \
done: \
	VZEROUPPER

// func diff2AVX2(a, b []byte, sa, sb int, xs, idx []int32, thr int, acc []byte) uint64
TEXT ·diff2AVX2(SB), NOSPLIT, $0-152
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ xs_base+64(FP), R8
	MOVQ idx_base+88(FP), R9
	MOVQ acc_base+120(FP), DX
	DIFFBAND(DIST2, DIST2B, NEXT2, thr+112(FP), idx_len+96(FP))
	MOVQ AX, ret+144(FP)
	RET

// func diff3AVX2(a, b, c []byte, sa, sb, sc int, xs, idx []int32, thr int, acc []byte) uint64
TEXT ·diff3AVX2(SB), NOSPLIT, $0-184
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
// 32-byte step fits; Y15 = 0x00FF in every 16-bit lane (the Y bytes).
// A length n >= 32 ends with one step over dst[n-32:n] (overlapping the
// previous one, rewriting the same values); 16 <= n < 32 takes two 16-byte
// steps at 0 and n-16; shorter ones go a byte at a time.

// func yuyvAVX2(dst, src []byte)
TEXT ·yuyvAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	XORQ AX, AX
	VPCMPEQW Y15, Y15, Y15
	VPSRLW   $8, Y15, Y15
	CMPQ CX, $32
	JLT  yuyv16
	LEAQ -32(CX), DX

yuyv32:
	VPAND     (SI)(AX*2), Y15, Y0
	VPAND     32(SI)(AX*2), Y15, Y1
	VPACKUSWB Y1, Y0, Y0         // per 128-bit lane: 8 bytes of Y0, 8 of Y1
	VPERMQ    $0xD8, Y0, Y0      // quadwords 0 2 1 3: back in order
	VMOVDQU   Y0, (DI)(AX*1)
	ADDQ      $32, AX
	CMPQ      AX, DX
	JLE       yuyv32
	CMPQ      AX, CX
	JEQ       yuyvdone
	MOVQ      DX, AX             // the last, overlapping step
	JMP       yuyv32

yuyv16:
	CMPQ      CX, $16
	JLT       yuyv1
	VPAND     (SI), X15, X0
	VPAND     16(SI), X15, X1
	VPACKUSWB X1, X0, X0
	VMOVDQU   X0, (DI)
	VPAND     -32(SI)(CX*2), X15, X0
	VPAND     -16(SI)(CX*2), X15, X1
	VPACKUSWB X1, X0, X0
	VMOVDQU   X0, -16(DI)(CX*1)
	JMP       yuyvdone

yuyv1:
	CMPQ    AX, CX
	JGE     yuyvdone
	MOVBLZX (SI)(AX*2), R8
	MOVB    R8, (DI)(AX*1)
	INCQ    AX
	JMP     yuyv1

yuyvdone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// down2
//
// Register roles: DX dst, SI r0, DI r1, CX len(dst), AX i, BX the last i
// where a 32-byte step fits; Y15 = 1 in every byte (the VPMADDUBSW weights),
// Y14 = 2 in every 16-bit lane (the rounding term). Tails as in yuyv.
// VPMADDUBSW with weights 1 adds each pair of unsigned bytes into a 16-bit
// lane (at most 510: no saturation), so s+2 fits easily and the result is
// exact.

// DOWN2 computes dst[i:i+16] (X registers) or, followed by VPERMQ,
// dst[i:i+32] (Y registers) from r0, r1[2i:].
#define DOWN2(w, s0, s1, s2, s3, t1, t2) \
	VMOVDQU    (SI)(AX*2), s0; \
	VMOVDQU    w(SI)(AX*2), s1; \
	VMOVDQU    (DI)(AX*2), s2; \
	VMOVDQU    w(DI)(AX*2), s3; \
	VPMADDUBSW t1, s0, s0; \
	VPMADDUBSW t1, s1, s1; \
	VPMADDUBSW t1, s2, s2; \
	VPMADDUBSW t1, s3, s3; \
	VPADDW     s2, s0, s0; \
	VPADDW     s3, s1, s1; \
	VPADDW     t2, s0, s0; \
	VPADDW     t2, s1, s1; \
	VPSRLW     $2, s0, s0; \
	VPSRLW     $2, s1, s1; \
	VPACKUSWB  s1, s0, s0

// func down2AVX2(dst, r0, r1 []byte)
TEXT ·down2AVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DX
	MOVQ dst_len+8(FP), CX
	MOVQ r0_base+24(FP), SI
	MOVQ r1_base+48(FP), DI
	XORQ AX, AX
	VPCMPEQB Y15, Y15, Y15
	VPABSB   Y15, Y15
	VPCMPEQW Y14, Y14, Y14
	VPSRLW   $15, Y14, Y14
	VPADDW   Y14, Y14, Y14
	CMPQ CX, $32
	JLT  down16
	LEAQ -32(CX), BX

down32:
	DOWN2(32, Y0, Y1, Y2, Y3, Y15, Y14)
	VPERMQ  $0xD8, Y0, Y0
	VMOVDQU Y0, (DX)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, BX
	JLE     down32
	CMPQ    AX, CX
	JEQ     downdone
	MOVQ    BX, AX
	JMP     down32

down16:
	CMPQ    CX, $16
	JLT     down1
	DOWN2(16, X0, X1, X2, X3, X15, X14)
	VMOVDQU X0, (DX)
	LEAQ    -16(CX), AX
	DOWN2(16, X0, X1, X2, X3, X15, X14)
	VMOVDQU X0, (DX)(AX*1)
	JMP     downdone

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
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// probe
//
// Register roles: SI a, DI b, CX bytes left, AX the fold of the byte tail;
// Y0-Y3 fold a, Y4-Y7 fold b (eight independent XOR chains).

// func probeAVX2(a, b []byte) uint64
TEXT ·probeAVX2(SB), NOSPLIT, $0-56
	MOVQ  a_base+0(FP), SI
	MOVQ  a_len+8(FP), CX
	MOVQ  b_base+24(FP), DI
	XORQ  AX, AX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	SUBQ  $128, CX
	JLT   probe32

probe128:
	VPXOR (SI), Y0, Y0
	VPXOR 32(SI), Y1, Y1
	VPXOR 64(SI), Y2, Y2
	VPXOR 96(SI), Y3, Y3
	VPXOR (DI), Y4, Y4
	VPXOR 32(DI), Y5, Y5
	VPXOR 64(DI), Y6, Y6
	VPXOR 96(DI), Y7, Y7
	ADDQ  $128, SI
	ADDQ  $128, DI
	SUBQ  $128, CX
	JGE   probe128

probe32:
	ADDQ $96, CX // CX = bytes left - 32
	JLT  probe1

probe32loop:
	VPXOR (SI), Y0, Y0
	VPXOR (DI), Y4, Y4
	ADDQ  $32, SI
	ADDQ  $32, DI
	SUBQ  $32, CX
	JGE   probe32loop

probe1:
	ADDQ $32, CX
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
	VPXOR        Y1, Y0, Y0
	VPXOR        Y3, Y2, Y2
	VPXOR        Y5, Y4, Y4
	VPXOR        Y7, Y6, Y6
	VPXOR        Y2, Y0, Y0
	VPXOR        Y6, Y4, Y4
	VPXOR        Y4, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPXOR        X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPXOR        X1, X0, X0
	VMOVQ        X0, BX
	XORQ         BX, AX
	MOVQ         AX, ret+48(FP)
	VZEROUPPER
	RET
