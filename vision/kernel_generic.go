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

func diff2Generic(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64 {
	var changed uint64
	for r := range rows {
		ra := a[r*sa+x0 : r*sa+x1]
		if rowGeneric(ra, b[r*sb+x0:][:len(ra)], m[r*sm+x0:][:len(ra)], acc[x0:x1], thr) {
			changed |= 1 << r
		}
	}
	return changed
}

func diff3Generic(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64 {
	var changed uint64
	for r := range rows {
		rc := c[r*sc+x0 : r*sc+x1]
		ra, rb, rm, n := a[r*sa+x0:][:len(rc)], b[r*sb+x0:][:len(rc)], m[r*sm+x0:][:len(rc)], acc[x0:x1]
		for x, v := range rc {
			if rm[x] != 0 && absDiff(v, ra[x]) > thr && absDiff(v, rb[x]) > thr {
				n[x]++
				changed |= 1 << r
			}
		}
	}
	return changed
}

// rowGeneric counts the changed, watched pixels of one row into acc. Kept
// out of line: inlined, its loop variables spill to the stack.
//
//go:noinline
func rowGeneric(a, b, m, acc []byte, thr int) bool {
	b, m, acc = b[:len(a)], m[:len(a)], acc[:len(a)]
	n := 0
	for x, v := range a {
		if m[x] != 0 && absDiff(v, b[x]) > thr {
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
