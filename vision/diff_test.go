package vision

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// referenceDiff is the test oracle: the rules written out pixel by pixel with
// nothing shared with the Differ's band and counter machinery.
func referenceDiff(frames []Frame, thr int, m *Mask, g Grid) DiffResult {
	cur := frames[len(frames)-1]
	w, h := cur.Width, cur.Height
	if g == (Grid{}) {
		g = Grid{1, 1}
	}
	res := DiffResult{Cells: make([]int32, g.Cols*g.Rows)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if m != nil && !m.Contains(x, y) {
				continue
			}
			c := cur.Pix[y*cur.Stride+x]
			changed := true
			for _, f := range frames[:len(frames)-1] {
				if absDiff(c, f.Pix[y*f.Stride+x]) <= thr {
					changed = false
				}
			}
			if !changed {
				continue
			}
			res.Changed++
			gx, gy := 0, 0
			for (gx+1)*w/g.Cols <= x {
				gx++
			}
			for (gy+1)*h/g.Rows <= y {
				gy++
			}
			res.Cells[gy*g.Cols+gx]++
			res.BBox = res.BBox.Union(Rect{x, y, x + 1, y + 1})
		}
	}
	return res
}

func sameResult(a, b DiffResult) bool {
	return a.Changed == b.Changed && a.BBox == b.BBox && slices.Equal(a.Cells, b.Cells)
}

// testFrame makes a w×h frame with the given stride at an odd offset in a
// larger buffer, filled by fn.
func testFrame(w, h, stride, off int, fn func(x, y int) byte) Frame {
	buf := make([]byte, off+h*stride+3)
	for i := range buf {
		buf[i] = canary
	}
	f := Frame{Pix: buf[off : off+(h-1)*stride+w], Width: w, Height: h, Stride: stride}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			f.Pix[y*stride+x] = fn(x, y)
		}
	}
	return f
}

type maskCase struct {
	name string
	mask func(r *rand.Rand, w, h int) *Mask
}

var maskCases = []maskCase{
	{"none", func(*rand.Rand, int, int) *Mask { return nil }},
	{"full", func(_ *rand.Rand, w, h int) *Mask { return FullMask(w, h) }},
	{"empty", func(_ *rand.Rand, w, h int) *Mask { return MaskFromBytes(w, h, make([]byte, w*h)) }},
	{"random", func(r *rand.Rand, w, h int) *Mask {
		b := make([]byte, w*h)
		for i := range b {
			if r.IntN(3) > 0 {
				b[i] = 1
			}
		}
		return MaskFromBytes(w, h, b)
	}},
	{"polygons", func(r *rand.Rand, w, h int) *Mask {
		m, err := RasterizeRegions(w, h, []Region{
			{Points: []Point{{0.05, 0.1}, {0.9, 0.02}, {0.97, 0.95}, {0.2, 0.8}}},
			{Points: []Point{{0.4, 0.3}, {0.6, 0.35}, {0.5, 0.6}}, Exclude: true},
		})
		if err != nil {
			panic(err)
		}
		return m
	}},
}

func TestDifferMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	sizes := [][2]int{{1, 1}, {2, 3}, {17, 5}, {31, 33}, {64, 64}, {65, 130}, {130, 7}, {160, 120}, {320, 240}, {97, 300}}
	for w := 1; w <= 130; w += 1 + w/8 {
		sizes = append(sizes, [2]int{w, 1 + r.IntN(70)})
	}
	for _, k := range Impls() {
		t.Run(k.name, func(t *testing.T) {
			for _, sz := range sizes {
				w, h := sz[0], sz[1]
				mc := maskCases[r.IntN(len(maskCases))]
				m := mc.mask(r, w, h)
				g := Grid{1 + r.IntN(min(w, 13)), 1 + r.IntN(min(h, 9))}
				thr := []int{0, 1, 25, 200, 254, 255}[r.IntN(6)]
				p := r.Float64()
				a := testFrame(w, h, w+r.IntN(40), r.IntN(16), func(x, y int) byte { return byte(r.Uint32()) })
				b := testFrame(w, h, w+r.IntN(3), r.IntN(16), func(x, y int) byte {
					if r.Float64() < p {
						return byte(r.Uint32())
					}
					return a.Pix[y*a.Stride+x]
				})
				c := testFrame(w, h, w, 1, func(x, y int) byte {
					if r.Float64() < 0.5 {
						return byte(r.Uint32())
					}
					return b.Pix[y*b.Stride+x]
				})
				d, err := NewDiffer(w, h, DiffOptions{Threshold: thr, Mask: m, Grid: g, Impl: k})
				if err != nil {
					t.Fatal(err)
				}
				desc := fmt.Sprintf("%dx%d mask=%s grid=%v thr=%d", w, h, mc.name, g, thr)
				// Cells reused from a larger slice whose tail holds a canary.
				cells := make([]int32, g.Cols*g.Rows+4)
				for i := range cells {
					cells[i] = -7
				}
				got := DiffResult{Cells: cells[:0]}
				d.Diff(a, b, &got)
				if &got.Cells[0] != &cells[0] || cells[len(cells)-1] != -7 || cells[g.Cols*g.Rows] != -7 {
					t.Fatalf("%s: Cells not reused in place or written past its end", desc)
				}
				if want := referenceDiff([]Frame{a, b}, thr, m, g); !sameResult(got, want) {
					t.Fatalf("Diff %s:\n got %+v\nwant %+v", desc, got, want)
				}
				d.Diff3(a, b, c, &got)
				if want := referenceDiff([]Frame{a, b, c}, thr, m, g); !sameResult(got, want) {
					t.Fatalf("Diff3 %s:\n got %+v\nwant %+v", desc, got, want)
				}
				for _, f := range []Frame{a, b, c} { // the frames' padding is untouched
					full := f.Pix[:cap(f.Pix)]
					if full[len(f.Pix)] != canary {
						t.Fatalf("%s: byte after a frame changed", desc)
					}
				}
			}
		})
	}
}

// TestDifferTallCells covers cells taller than the counters' flush window
// (255 changed rows in one column would wrap a byte counter).
func TestDifferTallCells(t *testing.T) {
	w, h := 40, 700
	a := testFrame(w, h, w, 0, func(x, y int) byte { return 0 })
	b := testFrame(w, h, w, 0, func(x, y int) byte { return byte(255 * ((x + y/300) & 1)) })
	for _, k := range Impls() {
		d, err := NewDiffer(w, h, DiffOptions{Threshold: 10, Grid: Grid{3, 1}, Impl: k})
		if err != nil {
			t.Fatal(err)
		}
		var got DiffResult
		d.Diff(a, b, &got)
		if want := referenceDiff([]Frame{a, b}, 10, nil, Grid{3, 1}); !sameResult(got, want) {
			t.Fatalf("%s: got %+v, want %+v", k.name, got, want)
		}
	}
}

func TestDifferExtremeThresholds(t *testing.T) {
	w, h := 50, 20
	a := testFrame(w, h, w, 0, func(x, y int) byte { return byte(x * 5) })
	b := testFrame(w, h, w, 0, func(x, y int) byte { return byte(x*5 + y%2) })
	for _, k := range Impls() {
		var got DiffResult
		d, _ := NewDiffer(w, h, DiffOptions{Threshold: 0, Impl: k})
		d.Diff(a, b, &got)
		if got.Changed != w*h/2 || got.BBox != (Rect{0, 1, w, h}) {
			t.Errorf("%s thr=0: changed %d bbox %v, want %d (0,1)-(%d,%d)", k.name, got.Changed, got.BBox, w*h/2, w, h)
		}
		zero := testFrame(w, h, w, 0, func(x, y int) byte { return 0 })
		full := testFrame(w, h, w, 0, func(x, y int) byte { return 255 })
		d, _ = NewDiffer(w, h, DiffOptions{Threshold: 255, Impl: k})
		d.Diff(zero, full, &got)
		if got.Changed != 0 || !got.BBox.Empty() {
			t.Errorf("%s thr=255: %+v, want nothing", k.name, got)
		}
		d, _ = NewDiffer(w, h, DiffOptions{Threshold: 254, Impl: k})
		d.Diff(zero, full, &got)
		if got.Changed != w*h {
			t.Errorf("%s thr=254 0 vs 255: %d changed, want %d", k.name, got.Changed, w*h)
		}
	}
}

func TestDifferZeroAllocs(t *testing.T) {
	w, h := 320, 240
	r := rand.New(rand.NewPCG(9, 9))
	a := testFrame(w, h, w, 0, func(x, y int) byte { return byte(r.Uint32()) })
	b := testFrame(w, h, w, 0, func(x, y int) byte { return byte(r.Uint32()) })
	for _, k := range Impls() {
		d, _ := NewDiffer(w, h, DiffOptions{Threshold: 25, Grid: Grid{16, 12}, Impl: k})
		var res DiffResult
		d.Diff(a, b, &res)
		if n := testing.AllocsPerRun(20, func() { d.Diff(a, b, &res); d.Diff3(a, b, a, &res) }); n != 0 {
			t.Errorf("%s: %v allocations per Diff, want 0", k.name, n)
		}
	}
}

func TestDifferRejectsBadOptions(t *testing.T) {
	for _, o := range []DiffOptions{
		{Threshold: -1}, {Threshold: 256}, {Grid: Grid{0, 3}}, {Grid: Grid{11, 1}}, {Mask: FullMask(9, 10)},
	} {
		if _, err := NewDiffer(10, 10, o); err == nil {
			t.Errorf("NewDiffer(10,10,%+v) succeeded", o)
		}
	}
	if _, err := NewDiffer(0, 10, DiffOptions{}); err == nil {
		t.Error("NewDiffer(0,10) succeeded")
	}
}

func TestDifferPanicsOnMismatchedFrames(t *testing.T) {
	d, err := NewDiffer(8, 8, DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good := NewFrame(8, 8)
	for name, f := range map[string]func(){
		"size":   func() { d.Diff(good, NewFrame(8, 9), &DiffResult{}) },
		"diff3":  func() { d.Diff3(good, NewFrame(7, 8), good, &DiffResult{}) },
		"stride": func() { d.Diff(good, Frame{Pix: make([]byte, 64), Width: 8, Height: 8, Stride: 7}, &DiffResult{}) },
		"short":  func() { d.Diff(good, Frame{Pix: make([]byte, 63), Width: 8, Height: 8, Stride: 8}, &DiffResult{}) },
	} {
		func() {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.HasPrefix(msg, "vision: ") {
					t.Errorf("%s: panic %q, want a clear vision: message", name, msg)
				}
			}()
			f()
		}()
	}
}

// FuzzDiff compares every implementation's fused kernel with the reference
// on frames, masks, grids and thresholds drawn from the fuzzer's bytes.
func FuzzDiff(f *testing.F) {
	f.Add(uint16(640), uint8(3), uint8(25), uint8(16), uint8(12), uint8(1), []byte("seed"))
	f.Add(uint16(31), uint8(67), uint8(0), uint8(1), uint8(1), uint8(3), []byte{0, 255, 1, 254})
	f.Add(uint16(130), uint8(200), uint8(254), uint8(7), uint8(5), uint8(4), []byte{9, 9, 9})
	f.Fuzz(func(t *testing.T, w16 uint16, h8, thr8, gc, gr, maskKind uint8, data []byte) {
		w, h := 1+int(w16)%700, 1+int(h8)
		r := rand.New(rand.NewPCG(uint64(len(data)), uint64(w16)))
		next := fuzzBytes(data, r)
		a := testFrame(w, h, w+int(gc%5), int(gr%7), func(x, y int) byte { return next() })
		b := testFrame(w, h, w, 0, func(x, y int) byte { return a.Pix[y*a.Stride+x] + next()%16 - 8 })
		c := testFrame(w, h, w, 3, func(x, y int) byte { return b.Pix[y*b.Stride+x] ^ next()&0x30 })
		m := maskCases[int(maskKind)%len(maskCases)].mask(r, w, h)
		g := Grid{1 + int(gc)%min(w, 40), 1 + int(gr)%min(h, 30)}
		thr := int(thr8)
		want2 := referenceDiff([]Frame{a, b}, thr, m, g)
		want3 := referenceDiff([]Frame{a, b, c}, thr, m, g)
		for _, k := range Impls() {
			d, err := NewDiffer(w, h, DiffOptions{Threshold: thr, Mask: m, Grid: g, Impl: k})
			if err != nil {
				t.Fatal(err)
			}
			var got DiffResult
			d.Diff(a, b, &got)
			if !sameResult(got, want2) {
				t.Fatalf("%s Diff %dx%d grid %v thr %d: got %+v want %+v", k.name, w, h, g, thr, got, want2)
			}
			d.Diff3(a, b, c, &got)
			if !sameResult(got, want3) {
				t.Fatalf("%s Diff3 %dx%d grid %v thr %d: got %+v want %+v", k.name, w, h, g, thr, got, want3)
			}
		}
	})
}

func TestDifferCellArea(t *testing.T) {
	w, h := 37, 23
	m := maskCases[4].mask(nil, w, h)
	g := Grid{5, 4}
	d, err := NewDiffer(w, h, DiffOptions{Mask: m, Grid: g})
	if err != nil {
		t.Fatal(err)
	}
	// The reference of a diff where every pixel changed counts the area.
	zero := testFrame(w, h, w, 0, func(x, y int) byte { return 0 })
	full := testFrame(w, h, w, 0, func(x, y int) byte { return 255 })
	if want := referenceDiff([]Frame{zero, full}, 0, m, g); !slices.Equal(d.CellArea(), want.Cells) {
		t.Fatalf("CellArea %v, want %v", d.CellArea(), want.Cells)
	}
}
