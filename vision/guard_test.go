//go:build linux

package vision

import (
	"bytes"
	"math/rand/v2"
	"syscall"
	"testing"
)

// guarded returns n bytes placed either right before an inaccessible page
// (atEnd) or right after one, so a kernel that reads or writes even one
// byte outside its slice faults instead of passing by luck.
func guarded(t *testing.T, n int, atEnd bool) []byte {
	t.Helper()
	page := syscall.Getpagesize()
	size := (n/page + 3) * page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[size-page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if atEnd {
		return mem[size-page-n : size-page : size-page]
	}
	return mem[page : page+n : page+n]
}

// TestKernelsStayInsideTheirSlices runs every kernel on slices that touch a
// guard page at the end or at the start: no implementation may read or
// write past the bytes the contract gives it.
func TestKernelsStayInsideTheirSlices(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, k := range Impls() {
		for n := 0; n <= 300; n += 1 + n/16 {
			for _, atEnd := range []bool{true, false} {
				a, b, c := guarded(t, n, atEnd), guarded(t, n, atEnd), guarded(t, n, atEnd)
				m, acc, want := guarded(t, n, atEnd), guarded(t, n, atEnd), make([]byte, n)
				for i := range a {
					a[i], b[i], c[i], m[i] = byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(-(r.IntN(2)))
				}
				if n > 0 {
					// the whole row, then windows of every length at the edges
					for _, sp := range [][2]int{{0, n}, {0, 1}, {n - 1, n}, {n / 3, n}, {0, (n + 1) / 2}} {
						if sp[0] >= sp[1] {
							continue
						}
						clear(acc)
						clear(want)
						diff2Generic(a, b, m, n, n, n, sp[0], sp[1], 1, 25, want)
						k.diff2(a, b, m, n, n, n, sp[0], sp[1], 1, 25, acc)
						if string(acc) != string(want) {
							t.Fatalf("%s diff2 n=%d window %v atEnd=%v: acc differs", k.name, n, sp, atEnd)
						}
						k.diff3(a, b, c, m, n, n, n, n, sp[0], sp[1], 1, 25, acc)
					}
				}
				dst := guarded(t, n/2, atEnd)
				k.yuyv(dst, a[:n/2*2])
				k.down2(dst, a[:n/2*2], b[:n/2*2])
				k.probe(a, b)
			}
		}
	}
}

// TestKernelLongRows: rows up to 2000 pixels reach every block and tail
// path of the wide kernels; one changed pixel at each position of a row
// must be counted exactly once.
func TestKernelLongRows(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, k := range Impls() {
		for _, w := range []int{255, 256, 257, 511, 700, 1100, 2000} {
			a := make([]byte, w)
			for i := range a {
				a[i] = byte(100 + r.IntN(20))
			}
			b := append([]byte(nil), a...)
			full := bytes.Repeat([]byte{0xFF}, w)
			for x := 0; x < w; x += 1 + x/64 {
				b[x] = a[x] + 26 // just over thr 25
				acc := make([]byte, w)
				rows := k.diff2(a, b, full, w, w, w, 0, w, 1, 25, acc)
				for i, v := range acc {
					if (i == x) != (v == 1) || v > 1 || rows != 1 {
						t.Fatalf("%s w=%d change at %d: acc[%d]=%d rows=%b", k.name, w, x, i, v, rows)
					}
				}
				b[x] = a[x]
			}
			// random windows and masks of any length
			for it := 0; it < 20; it++ {
				x0, x1 := window(r, w)
				nb := nearCopy(r, a, 0.05)
				m := randomMask(r, w, w, 1)
				want, got := make([]byte, w), make([]byte, w)
				diff2Generic(a, nb, m, w, w, w, x0, x1, 1, 25, want)
				k.diff2(a, nb, m, w, w, w, x0, x1, 1, 25, got)
				if string(got) != string(want) {
					t.Fatalf("%s w=%d window [%d,%d): acc differs", k.name, w, x0, x1)
				}
			}
		}
	}
}
