package vision

// genericImpl is the reference: plain per-pixel Go loops, always compiled,
// the twin every other implementation is tested against.
var genericImpl = &Impl{
	name:  "generic",
	cpu:   func() bool { return true },
	diff2: diff2Generic,
	diff3: diff3Generic,
	yuyv:  yuyvGeneric,
	down2: down2Generic,
	probe: probeGeneric,
}

func absDiff(a, b byte) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func diff2Generic(a, b []byte, sa, sb int, xs, idx []int32, thr int, acc []byte) uint64 {
	var rows uint64
	for r := 0; r+1 < len(idx); r++ {
		ra, rb := a[r*sa:], b[r*sb:]
		changed := false
		for i := idx[r]; i < idx[r+1]; i++ {
			for x := xs[2*i]; x < xs[2*i+1]; x++ {
				if absDiff(ra[x], rb[x]) > thr {
					acc[x]++
					changed = true
				}
			}
		}
		if changed {
			rows |= 1 << r
		}
	}
	return rows
}

func diff3Generic(a, b, c []byte, sa, sb, sc int, xs, idx []int32, thr int, acc []byte) uint64 {
	var rows uint64
	for r := 0; r+1 < len(idx); r++ {
		ra, rb, rc := a[r*sa:], b[r*sb:], c[r*sc:]
		changed := false
		for i := idx[r]; i < idx[r+1]; i++ {
			for x := xs[2*i]; x < xs[2*i+1]; x++ {
				if absDiff(rc[x], ra[x]) > thr && absDiff(rc[x], rb[x]) > thr {
					acc[x]++
					changed = true
				}
			}
		}
		if changed {
			rows |= 1 << r
		}
	}
	return rows
}

func yuyvGeneric(dst, src []byte) {
	for i := range dst {
		dst[i] = src[2*i]
	}
}

func down2Generic(dst, r0, r1 []byte) {
	for i := range dst {
		s := int(r0[2*i]) + int(r0[2*i+1]) + int(r1[2*i]) + int(r1[2*i+1])
		dst[i] = byte((s + 2) >> 2)
	}
}

func probeGeneric(a, b []byte) uint64 {
	var s uint64
	for i := range a {
		s += uint64(a[i] ^ b[i])
	}
	return s
}
