//go:build amd64 && !purego

package vision

import "github.com/klauspost/cpuid/v2"

// archImpls returns the amd64 assembly implementations, slowest first.
func archImpls() []*Impl { return []*Impl{sse2Impl, avx2Impl, avx512Impl} }

// sse2Impl handles 16 pixels per instruction; every amd64 CPU has SSE2.
var sse2Impl = &Impl{
	name:  "sse2",
	cpu:   func() bool { return cpuid.CPU.Supports(cpuid.SSE2) },
	diff2: diff2SSE2,
	diff3: diff3SSE2,
	yuyv:  yuyvSSE2,
	down2: down2SSE2,
	probe: probeSSE2,
}

// avx2Impl handles 32 pixels per instruction.
var avx2Impl = &Impl{
	name:  "avx2",
	cpu:   func() bool { return cpuid.CPU.Supports(cpuid.AVX2) },
	diff2: diff2AVX2,
	diff3: diff3AVX2,
	yuyv:  yuyvAVX2,
	down2: down2AVX2,
	probe: probeAVX2,
}

// avx512Impl handles 64 pixels per instruction, with compare results in
// mask registers and masked loads and stores for the ends of rows. It needs
// AVX-512BW (byte and word operations on 512-bit vectors and 64-bit masks)
// and BMI2 (BZHI builds the masks).
var avx512Impl = &Impl{
	name:  "avx512",
	cpu:   func() bool { return cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.BMI2) },
	diff2: diff2AVX512,
	diff3: diff3AVX512,
	yuyv:  yuyvAVX512,
	down2: down2AVX512,
	probe: probeAVX512,
}

// The stubs below are implemented in kernel_sse2_amd64.s,
// kernel_avx2_amd64.s and kernel_avx512_amd64.s. Each doc comment gives the
// equivalent Go; the results are bit-identical to the generic twins in
// kernel_generic.go. The diff kernels walk all rows of a band in one call
// (the per-row call overhead is what the assembly avoids), over the same
// window in every row, and skip the counting work (and the mask) for blocks
// of pixels where nothing changed, so they run fastest on the usual
// mostly-still frame.

// diff2SSE2 is diff2Generic with SSE2:
//
//	var changed uint64
//	for r := range rows {
//		for x := x0; x < x1; x++ {
//			if m[r*sm+x] != 0 && absDiff(a[r*sa+x], b[r*sb+x]) > thr {
//				acc[x]++
//				changed |= 1 << r
//			}
//		}
//	}
//	return changed
//
//go:noescape
func diff2SSE2(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64

// diff3SSE2 is diff3Generic with SSE2:
//
//	var changed uint64
//	for r := range rows {
//		for x := x0; x < x1; x++ {
//			cv := c[r*sc+x]
//			if m[r*sm+x] != 0 && absDiff(cv, a[r*sa+x]) > thr && absDiff(cv, b[r*sb+x]) > thr {
//				acc[x]++
//				changed |= 1 << r
//			}
//		}
//	}
//	return changed
//
//go:noescape
func diff3SSE2(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64

// yuyvSSE2 is yuyvGeneric with SSE2:
//
//	for i := range dst {
//		dst[i] = src[2*i]
//	}
//
//go:noescape
func yuyvSSE2(dst, src []byte)

// down2SSE2 is down2Generic with SSE2:
//
//	for i := range dst {
//		s := int(r0[2*i]) + int(r0[2*i+1]) + int(r1[2*i]) + int(r1[2*i+1])
//		dst[i] = byte((s + 2) >> 2)
//	}
//
//go:noescape
func down2SSE2(dst, r0, r1 []byte)

// probeSSE2 reads every byte of a and b with 16-byte loads and returns
// their XOR folded to 64 bits (the value only keeps the loads alive):
//
//	for i := range a {
//		s ^= a[i] ^ b[i] (folded 16 bytes wide)
//	}
//
//go:noescape
func probeSSE2(a, b []byte) uint64

// diff2AVX2 is diff2Generic with AVX2:
//
//	for r := 0; r < rows; r++ {
//		for x := x0; x < x1; x++ {
//			if m[r*sm+x] != 0 && absDiff(a[r*sa+x], b[r*sb+x]) > thr {
//				acc[x]++
//				changed |= 1 << r
//			}
//		}
//	}
//	return changed
//
//go:noescape
func diff2AVX2(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64

// diff3AVX2 is diff3Generic with AVX2:
//
//	for r := 0; r < rows; r++ {
//		for x := x0; x < x1; x++ {
//			cv := c[r*sc+x]
//			if m[r*sm+x] != 0 && absDiff(cv, a[r*sa+x]) > thr && absDiff(cv, b[r*sb+x]) > thr {
//				acc[x]++
//				changed |= 1 << r
//			}
//		}
//	}
//	return changed
//
//go:noescape
func diff3AVX2(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64

// yuyvAVX2 is yuyvGeneric with AVX2:
//
//	for i := range dst {
//		dst[i] = src[2*i]
//	}
//
//go:noescape
func yuyvAVX2(dst, src []byte)

// down2AVX2 is down2Generic with AVX2:
//
//	for i := range dst {
//		s := int(r0[2*i]) + int(r0[2*i+1]) + int(r1[2*i]) + int(r1[2*i+1])
//		dst[i] = byte((s + 2) >> 2)
//	}
//
//go:noescape
func down2AVX2(dst, r0, r1 []byte)

// probeAVX2 reads every byte of a and b with 32-byte loads and returns
// their XOR folded to 64 bits (the value only keeps the loads alive):
//
//	for i := range a {
//		s ^= a[i] ^ b[i] (folded 32 bytes wide)
//	}
//
//go:noescape
func probeAVX2(a, b []byte) uint64

// diff2AVX512 is diff2Generic with AVX-512BW:
//
//	for r := 0; r < rows; r++ {
//		for x := x0; x < x1; x++ {
//			if m[r*sm+x] != 0 && absDiff(a[r*sa+x], b[r*sb+x]) > thr {
//				acc[x]++
//				changed |= 1 << r
//			}
//		}
//	}
//	return changed
//
//go:noescape
func diff2AVX512(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64

// diff3AVX512 is diff3Generic with AVX-512BW:
//
//	for r := 0; r < rows; r++ {
//		for x := x0; x < x1; x++ {
//			cv := c[r*sc+x]
//			if m[r*sm+x] != 0 && absDiff(cv, a[r*sa+x]) > thr && absDiff(cv, b[r*sb+x]) > thr {
//				acc[x]++
//				changed |= 1 << r
//			}
//		}
//	}
//	return changed
//
//go:noescape
func diff3AVX512(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64

// yuyvAVX512 is yuyvGeneric with AVX-512BW:
//
//	for i := range dst {
//		dst[i] = src[2*i]
//	}
//
//go:noescape
func yuyvAVX512(dst, src []byte)

// down2AVX512 is down2Generic with AVX-512BW:
//
//	for i := range dst {
//		s := int(r0[2*i]) + int(r0[2*i+1]) + int(r1[2*i]) + int(r1[2*i+1])
//		dst[i] = byte((s + 2) >> 2)
//	}
//
//go:noescape
func down2AVX512(dst, r0, r1 []byte)

// probeAVX512 reads every byte of a and b with 64-byte loads and returns
// their XOR folded to 64 bits (the value only keeps the loads alive):
//
//	for i := range a {
//		s ^= a[i] ^ b[i] (folded 64 bytes wide)
//	}
//
//go:noescape
func probeAVX512(a, b []byte) uint64
