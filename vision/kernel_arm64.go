//go:build arm64 && !purego

package vision

import "github.com/klauspost/cpuid/v2"

// neonImpl runs the kernels in NEON (Advanced SIMD) assembly,
// kernel_neon_arm64.s. Each call of diff2/diff3 walks all the rows of its
// column window in assembly, so a band costs one call, not one per row.
var neonImpl = &Impl{
	name:  "neon",
	cpu:   hasNEON,
	diff2: diff2NEON,
	diff3: diff3NEON,
	yuyv:  yuyvNEON,
	down2: down2NEON,
	probe: probeNEON,
}

func archImpls() []*Impl { return []*Impl{neonImpl} }

// hasNEON reports whether the CPU has Advanced SIMD. It is mandatory in
// ARMv8-A, so the answer is only "no" when cpuid positively saw the CPU
// without it: cpuid reads the ASIMD bit from the kernel's AT_HWCAP, and if it
// detected no feature at all (no FP either: an OS or emulator that publishes
// no HWCAP) we trust the architecture. qemu-aarch64-static publishes HWCAP,
// so cpuid reports ASIMD there.
func hasNEON() bool {
	return cpuid.CPU.Supports(cpuid.ASIMD) || !cpuid.CPU.Supports(cpuid.FP)
}

// diff2NEON is diff2Generic in NEON:
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
// It tests blocks of 256, then 128, then 16 pixels for any change and
// reads m and acc only in the blocks that changed.
//
//go:noescape
func diff2NEON(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64

// diff3NEON is diff3Generic in NEON: diff2NEON with the pixel test
//
//	cv := c[r*sc+x]
//	m[r*sm+x] != 0 && absDiff(cv, a[r*sa+x]) > thr && absDiff(cv, b[r*sb+x]) > thr
//
//go:noescape
func diff3NEON(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64

// yuyvNEON is yuyvGeneric:
//
//	for i := range dst {
//		dst[i] = src[2*i]
//	}
//
//go:noescape
func yuyvNEON(dst, src []byte)

// down2NEON is down2Generic:
//
//	for i := range dst {
//		s := int(r0[2*i]) + int(r0[2*i+1]) + int(r1[2*i]) + int(r1[2*i+1])
//		dst[i] = byte((s + 2) >> 2)
//	}
//
//go:noescape
func down2NEON(dst, r0, r1 []byte)

// probeNEON reads every byte of a and b (len(b) >= len(a)) and folds them
// with XOR; the value differs from probeGeneric's sum but is deterministic:
//
//	var v uint64
//	for i := range a {
//		v ^= uint64(a[i]^b[i]) << (8 * (i % 8))
//	}
//	return v
//
//go:noescape
func probeNEON(a, b []byte) uint64
