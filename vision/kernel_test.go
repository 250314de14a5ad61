package vision

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

const canary = 0xA5

// withCanary returns a slice of n bytes carved out of a larger buffer whose
// bytes after the slice hold a canary, and a func that fails t if any canary
// byte changed.
func withCanary(t testing.TB, n int, fill func([]byte)) ([]byte, func()) {
	t.Helper()
	buf := make([]byte, n+64)
	for i := range buf {
		buf[i] = canary
	}
	s := buf[:n:n]
	clear(s)
	if fill != nil {
		fill(s)
	}
	return s, func() {
		t.Helper()
		for i, c := range buf[n:] {
			if c != canary {
				t.Fatalf("canary byte %d past the end overwritten: %#x", i, c)
			}
		}
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// nearCopy returns a copy of b where each byte changed with probability p by
// a random amount: realistic frames where most pixels agree.
func nearCopy(r *rand.Rand, b []byte, p float64) []byte {
	c := bytes.Clone(b)
	for i := range c {
		if r.Float64() < p {
			c[i] = byte(r.Uint32())
		}
	}
	return c
}

// restride copies rows of width w from src (stride ss) into a new buffer of
// stride ds, changing each pixel with probability p; padding is random.
func restride(r *rand.Rand, src []byte, ss, ds, w, rows int, p float64) []byte {
	dst := randBytes(r, rows*ds)
	for y := 0; y < rows; y++ {
		copy(dst[y*ds:y*ds+w], nearCopy(r, src[y*ss:y*ss+w], p))
	}
	return dst
}

// randomMask returns a kernel mask (0 or 0xFF per byte) of rows rows of
// width w at stride sm, with every kind of row: empty, full, runs of every
// length and gap, single pixels. The padding is random garbage the kernels
// must not read as a mask.
func randomMask(r *rand.Rand, w, sm, rows int) []byte {
	m := randBytes(r, rows*sm)
	for y := 0; y < rows; y++ {
		row := m[y*sm : y*sm+w]
		kind := r.IntN(6)
		for x := 0; x < w; {
			switch kind {
			case 0: // empty row
				row[x] = 0
				x++
			case 1: // full row
				row[x] = 0xFF
				x++
			case 2: // scattered pixels
				row[x] = byte(-(r.IntN(2)))
				x++
			default: // runs and gaps
				v := byte(-(r.IntN(2)))
				for l := 1 + r.IntN(70); l > 0 && x < w; l-- {
					row[x] = v
					x++
				}
			}
		}
	}
	return m
}

// window returns a random column window [x0, x1) of a row of width w.
func window(r *rand.Rand, w int) (x0, x1 int) {
	switch r.IntN(3) {
	case 0:
		return 0, w
	case 1:
		x0 = r.IntN(w)
		return x0, w
	}
	x0 = r.IntN(w)
	return x0, x0 + 1 + r.IntN(w-x0)
}

var thresholds = []int{0, 1, 25, 128, 254}

func TestKernelDiffMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	widths := []int{640, 1000}
	for w := 1; w <= 130; w++ {
		widths = append(widths, w)
	}
	for _, k := range Impls() {
		t.Run(k.name, func(t *testing.T) {
			for _, w := range widths {
				for range 3 {
					rows := 1 + r.IntN(maxKernelRows)
					if w%7 == 0 {
						rows = maxKernelRows
					}
					sa, sb, sc, sm := w+r.IntN(9), w+r.IntN(33), w, w+r.IntN(5)
					off := r.IntN(8) // odd start offsets
					a := randBytes(r, off+rows*sa)[off:]
					b := restride(r, a, sa, sb, w, rows, 0.3)
					c := restride(r, b, sb, sc, w, rows, 0.5)
					m := randomMask(r, w, sm, rows)
					x0, x1 := window(r, w)
					thr := thresholds[r.IntN(len(thresholds))]
					for rule := 2; rule <= 3; rule++ {
						want := make([]byte, w)
						acc, check := withCanary(t, w, nil)
						var gotRows, wantRows uint64
						if rule == 2 {
							wantRows = diff2Generic(a, b, m, sa, sb, sm, x0, x1, rows, thr, want)
							gotRows = k.diff2(a, b, m, sa, sb, sm, x0, x1, rows, thr, acc)
						} else {
							wantRows = diff3Generic(a, b, c, m, sa, sb, sc, sm, x0, x1, rows, thr, want)
							gotRows = k.diff3(a, b, c, m, sa, sb, sc, sm, x0, x1, rows, thr, acc)
						}
						check()
						if gotRows != wantRows || !bytes.Equal(acc, want) {
							t.Fatalf("diff%d w=%d [%d,%d) rows=%d thr=%d: rows %#x want %#x\nacc  %v\nwant %v", rule, w, x0, x1, rows, thr, gotRows, wantRows, acc, want)
						}
					}
				}
			}
		})
	}
}

func TestKernelDiffAccumulates(t *testing.T) {
	// acc counts across calls: 64 rows of always-changing pixels give 64.
	w, rows := 77, maxKernelRows
	a := make([]byte, w*rows)
	b := bytes.Repeat([]byte{200}, w*rows)
	m := randomMask(rand.New(rand.NewPCG(3, 4)), w, w, rows)
	for _, k := range Impls() {
		want := make([]byte, w)
		got := make([]byte, w)
		for range 3 {
			diff2Generic(a, b, m, w, w, w, 0, w, rows, 254, want)
			k.diff2(a, b, m, w, w, w, 0, w, rows, 254, got)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: acc %v, want %v", k.name, got, want)
		}
	}
}

func TestKernelConvertMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range Impls() {
		t.Run(k.name, func(t *testing.T) {
			for n := 0; n <= 300; n++ {
				src := randBytes(r, 2*n+r.IntN(3))
				want := make([]byte, n)
				yuyvGeneric(want, src)
				got, check := withCanary(t, n, nil)
				k.yuyv(got, src)
				check()
				if !bytes.Equal(got, want) {
					t.Fatalf("yuyv n=%d:\n got %v\nwant %v", n, got, want)
				}
				r0, r1 := randBytes(r, 2*n+1)[1:], randBytes(r, 2*n)
				down2Generic(want, r0, r1)
				got, check = withCanary(t, n, nil)
				k.down2(got, r0, r1)
				check()
				if !bytes.Equal(got, want) {
					t.Fatalf("down2 n=%d:\n got %v\nwant %v", n, got, want)
				}
				a, b := randBytes(r, n), randBytes(r, n)
				k.probe(a, b) // must read any length without faulting
			}
		})
	}
}

func TestDown2Extremes(t *testing.T) {
	for _, k := range Impls() {
		for _, v := range [][4]byte{{255, 255, 255, 255}, {0, 0, 0, 1}, {0, 0, 1, 1}, {255, 255, 255, 254}, {1, 2, 3, 4}} {
			n := 37
			r0 := bytes.Repeat([]byte{v[0], v[1]}, n)
			r1 := bytes.Repeat([]byte{v[2], v[3]}, n)
			got := make([]byte, n)
			k.down2(got, r0, r1)
			want := byte((int(v[0]) + int(v[1]) + int(v[2]) + int(v[3]) + 2) >> 2)
			if got[0] != want || got[n-1] != want {
				t.Errorf("%s down2 %v = %d, want %d", k.name, v, got[0], want)
			}
		}
	}
}

func TestLookupAndUse(t *testing.T) {
	if Active() == nil {
		t.Fatal("no active implementation")
	}
	names := map[string]bool{}
	for _, k := range Impls() {
		names[k.Name()] = true
		got, err := Lookup(k.Name())
		if err != nil || got != k {
			t.Errorf("Lookup(%q) = %v, %v", k.Name(), got, err)
		}
	}
	if !names["generic"] || !names["swar"] {
		t.Errorf("Impls() = %v, want generic and swar among them", names)
	}
	if _, err := Lookup("mmx"); err == nil {
		t.Error("Lookup(mmx) succeeded")
	}
	best := Active()
	if err := Use("generic"); err != nil || Active().Name() != "generic" {
		t.Fatalf("Use(generic): %v, active %v", err, Active())
	}
	if err := Use("auto"); err != nil || Active() != best {
		t.Fatalf("Use(auto): %v, active %v, want %v", err, Active(), best)
	}
	if err := Use("nope"); err == nil {
		t.Error("Use(nope) succeeded")
	}
	t.Logf("kernels here: %v, active: %v", Impls(), best)
}

// FuzzConvert compares every implementation's YUYV de-interleave and 2×2
// downscale with the reference on fuzzer-made rows.
func FuzzConvert(f *testing.F) {
	f.Add([]byte("YUYVYUYVYUYV"), uint8(0))
	f.Add(bytes.Repeat([]byte{255, 0, 254, 1}, 40), uint8(3))
	f.Fuzz(func(t *testing.T, src []byte, off uint8) {
		o := int(off) % 8
		if len(src) <= o {
			return
		}
		src = src[o:]
		n := len(src) / 2
		want := make([]byte, n)
		yuyvGeneric(want, src)
		half := len(src) / 2 / 2 * 2 // two rows of equal length
		r0, r1 := src[:half], src[half:2*half]
		wantDown := make([]byte, half/2)
		down2Generic(wantDown, r0, r1)
		for _, k := range Impls() {
			got, check := withCanary(t, n, nil)
			k.yuyv(got, src)
			check()
			if !bytes.Equal(got, want) {
				t.Fatalf("%s yuyv(%v) = %v, want %v", k.name, src, got, want)
			}
			got, check = withCanary(t, half/2, nil)
			k.down2(got, r0, r1)
			check()
			if !bytes.Equal(got, wantDown) {
				t.Fatalf("%s down2(%v, %v) = %v, want %v", k.name, r0, r1, got, wantDown)
			}
		}
	})
}

func ExampleImpls() {
	fmt.Println(Impls()[0], Impls()[1])
	// Output: generic swar
}

// fuzzBytes returns the fuzzer's bytes one at a time, then bytes from r.
func fuzzBytes(data []byte, r *rand.Rand) func() byte {
	return func() byte {
		if len(data) == 0 {
			return byte(r.Uint32())
		}
		v := data[0]
		data = data[1:]
		return v
	}
}

// FuzzKernelDiff compares every implementation's diff2 and diff3 with the
// reference on fuzzer-made rows, masks and windows, which the Differ (whose
// windows are aligned) never passes.
func FuzzKernelDiff(f *testing.F) {
	f.Add(uint16(640), uint8(3), uint16(0), uint16(640), uint8(25), []byte("seed"))
	f.Add(uint16(77), uint8(64), uint16(5), uint16(70), uint8(0), []byte{0, 255, 1, 254})
	f.Add(uint16(300), uint8(1), uint16(299), uint16(300), uint8(254), []byte{9})
	f.Fuzz(func(t *testing.T, w16 uint16, rows8 uint8, x016, x116 uint16, thr8 uint8, data []byte) {
		w, rows := 1+int(w16)%2100, 1+int(rows8)%maxKernelRows
		x0 := int(x016) % w
		x1 := x0 + 1 + int(x116)%(w-x0)
		thr := min(int(thr8), 254)
		r := rand.New(rand.NewPCG(uint64(len(data)), uint64(w16)))
		next := fuzzBytes(data, r)
		a, b, c, m := make([]byte, w*rows), make([]byte, w*rows), make([]byte, w*rows), make([]byte, w*rows)
		for i := range a {
			a[i] = next()
			b[i] = a[i] + next()%64 - 32
			c[i] = b[i] ^ next()&0xF0
			m[i] = byte(-int(next() & 1))
		}
		want2, want3 := make([]byte, w), make([]byte, w)
		rows2 := diff2Generic(a, b, m, w, w, w, x0, x1, rows, thr, want2)
		rows3 := diff3Generic(a, b, c, m, w, w, w, w, x0, x1, rows, thr, want3)
		for _, k := range Impls() {
			got, check := withCanary(t, w, nil)
			if gr := k.diff2(a, b, m, w, w, w, x0, x1, rows, thr, got); gr != rows2 || !bytes.Equal(got, want2) {
				t.Fatalf("%s diff2 w=%d rows=%d [%d,%d) thr=%d: rows %#x want %#x", k.name, w, rows, x0, x1, thr, gr, rows2)
			}
			check()
			got, check = withCanary(t, w, nil)
			if gr := k.diff3(a, b, c, m, w, w, w, w, x0, x1, rows, thr, got); gr != rows3 || !bytes.Equal(got, want3) {
				t.Fatalf("%s diff3 w=%d rows=%d [%d,%d) thr=%d: rows %#x want %#x", k.name, w, rows, x0, x1, thr, gr, rows3)
			}
			check()
		}
	})
}
