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

func absDiff(a, b byte) int { return int(max(a, b) - min(a, b)) }

func diff2Generic(a, b []byte, sa, sb int, xs, idx []int32, thr int, acc []byte) uint64 {
	var rows uint64
	for r := 0; r+1 < len(idx); r++ {
		ra, rb := a[r*sa:], b[r*sb:]
		changed := false
		for i := idx[r]; i < idx[r+1]; i++ {
			x0, x1 := xs[2*i], xs[2*i+1]
			if spanGeneric(ra[x0:x1], rb[x0:x1], acc[x0:x1], thr) {
				changed = true
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
			x0, x1 := xs[2*i], xs[2*i+1]
			pa, pb, pc, pn := ra[x0:x1], rb[x0:x1], rc[x0:x1], acc[x0:x1]
			for x := range pc {
				if absDiff(pc[x], pa[x]) > thr && absDiff(pc[x], pb[x]) > thr {
					pn[x]++
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

// spanGeneric counts the changed pixels of one span into acc. Kept out of
// line: inlined, its loop variables spill to the stack.
//
//go:noinline
func spanGeneric(a, b, acc []byte, thr int) bool {
	b, acc = b[:len(a)], acc[:len(a)]
	n := 0
	for x, v := range a {
		if absDiff(v, b[x]) > thr {
			acc[x]++
			n++
		}
	}
	return n > 0
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
