package vision

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// insidePolygon is the oracle: the even-odd point-in-polygon test of the
// pixel centre, pixel by pixel.
func insidePolygon(pts []Point, w, h, x, y int) bool {
	xc, yc := float64(x)+0.5, float64(y)+0.5
	in := false
	for i := range pts {
		j := (i + 1) % len(pts)
		xi, yi := pts[i].X*float64(w), pts[i].Y*float64(h)
		xj, yj := pts[j].X*float64(w), pts[j].Y*float64(h)
		if (yi > yc) != (yj > yc) && xc >= edgeX(xi, yi, xj, yj, yc) {
			in = !in
		}
	}
	return in
}

func TestRasterizeRegionsMatchesPointInPolygon(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	randPoly := func() []Point {
		n := 3 + r.IntN(8)
		pts := make([]Point, n)
		for i := range pts {
			pts[i] = Point{r.Float64(), r.Float64()}
			if r.IntN(5) == 0 { // vertices on the border and on pixel centres
				pts[i].X = math.Round(pts[i].X*4) / 4
			}
		}
		return pts
	}
	for iter := 0; iter < 200; iter++ {
		w, h := 1+r.IntN(90), 1+r.IntN(70)
		var regions []Region
		for n := r.IntN(4); n > 0; n-- {
			regions = append(regions, Region{Points: randPoly(), Exclude: r.IntN(3) == 0})
		}
		m, err := RasterizeRegions(w, h, regions)
		if err != nil {
			t.Fatal(err)
		}
		hasInclude := false
		for _, rg := range regions {
			hasInclude = hasInclude || !rg.Exclude
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				want := !hasInclude
				for _, rg := range regions {
					if !rg.Exclude && insidePolygon(rg.Points, w, h, x, y) {
						want = true
					}
				}
				for _, rg := range regions {
					if rg.Exclude && insidePolygon(rg.Points, w, h, x, y) {
						want = false
					}
				}
				if got := m.Contains(x, y); got != want {
					t.Fatalf("iter %d %dx%d %+v: pixel (%d,%d) = %v, want %v", iter, w, h, regions, x, y, got, want)
				}
			}
		}
		checkSpans(t, m)
	}
}

// checkSpans verifies the mask's invariants: sorted, disjoint, non-touching
// spans inside [0, w).
func checkSpans(t *testing.T, m *Mask) {
	t.Helper()
	if len(m.idx) != m.h+1 || m.idx[0] != 0 || int(m.idx[m.h]) != len(m.xs)/2 {
		t.Fatalf("bad row index %v for %d spans", m.idx, len(m.xs)/2)
	}
	for y := 0; y < m.h; y++ {
		prev := int32(-1)
		for i := m.idx[y]; i < m.idx[y+1]; i++ {
			x0, x1 := m.xs[2*i], m.xs[2*i+1]
			if x0 <= prev || x0 >= x1 || x1 > int32(m.w) {
				t.Fatalf("row %d: bad span [%d,%d) after %d (w=%d)", y, x0, x1, prev, m.w)
			}
			prev = x1
		}
	}
}

func TestMaskShapes(t *testing.T) {
	whole, err := RasterizeRegions(10, 10, nil)
	if err != nil || whole.Area() != 100 {
		t.Fatalf("no regions: area %d, %v; want the whole frame", whole.Area(), err)
	}
	// The left half of the frame minus its top-left quarter.
	m, err := RasterizeRegions(10, 10, []Region{
		{Points: []Point{{0, 0}, {0.5, 0}, {0.5, 1}, {0, 1}}},
		{Points: []Point{{0, 0}, {0.5, 0}, {0.5, 0.5}, {0, 0.5}}, Exclude: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Area() != 25 || !m.Contains(0, 5) || !m.Contains(4, 9) || m.Contains(5, 9) || m.Contains(0, 4) {
		t.Errorf("half minus quarter: area %d, mask %v", m.Area(), m.Bytes())
	}
	// Only an exclude region: everything else is watched.
	m, _ = RasterizeRegions(10, 10, []Region{{Points: []Point{{0, 0}, {1, 0}, {1, 0.3}, {0, 0.3}}, Exclude: true}})
	if m.Area() != 70 {
		t.Errorf("exclude top 30%%: area %d, want 70", m.Area())
	}
	bytes := m.Bytes()
	if back := MaskFromBytes(10, 10, bytes); back.Area() != 70 || !back.Contains(3, 3) || back.Contains(3, 2) {
		t.Errorf("MaskFromBytes(Bytes()) differs")
	}
	full := FullMask(7, 3)
	if full.Area() != 21 || full.Width() != 7 || full.Height() != 3 || full.Contains(7, 0) || full.Contains(-1, 0) {
		t.Errorf("FullMask wrong")
	}
}

func TestRegionValidation(t *testing.T) {
	bad := []Region{
		{Points: []Point{{0, 0}, {1, 1}}},
		{Points: []Point{{0, 0}, {1, 1}, {1.5, 0}}},
		{Points: []Point{{0, 0}, {1, 1}, {math.NaN(), 0}}},
		{Points: []Point{{0, 0}, {1, 1}, {0, -0.1}}},
		{Points: make([]Point, MaxRegionPoints+1)},
	}
	for _, r := range bad {
		if _, err := RasterizeRegions(10, 10, []Region{r}); !errors.Is(err, ErrRegion) {
			t.Errorf("RasterizeRegions(%v) error %v, want ErrRegion", r.Points[:min(3, len(r.Points))], err)
		}
	}
}

func TestFrameSubAndConvert(t *testing.T) {
	f := NewFrame(8, 6)
	for i := range f.Pix {
		f.Pix[i] = byte(i)
	}
	s := f.Sub(Rect{2, 1, 7, 4})
	if s.Width != 5 || s.Height != 3 || s.Stride != 8 || s.Row(0)[0] != 10 || s.Row(2)[4] != 30 {
		t.Fatalf("Sub = %+v", s)
	}
	s.Row(1)[0] = 99 // shares the buffer
	if f.Pix[2*8+2] != 99 {
		t.Fatal("sub-frame does not share its parent's pixels")
	}
	if e := f.Sub(Rect{9, 9, 12, 12}); e.Width != 0 || e.Height != 0 {
		t.Fatalf("Sub outside = %+v", e)
	}
	for _, k := range Impls() {
		// YUYV of a 6×3 image with a stride of 14 bytes.
		src := make([]byte, 3*14)
		for i := range src {
			src[i] = byte(i)
		}
		dst := NewFrame(6, 3)
		k.YUYVToY(dst, src, 14)
		if dst.Pix[0] != 0 || dst.Pix[5] != 10 || dst.Pix[6] != 14 || dst.Pix[17] != 38 {
			t.Errorf("%s YUYVToY = %v", k.name, dst.Pix)
		}
		half := NewFrame(4, 3)
		k.Downscale2(half, f) // from 8×6 (with the 99 written above)
		want := (int(f.Pix[2*8+2]) + int(f.Pix[2*8+3]) + int(f.Pix[3*8+2]) + int(f.Pix[3*8+3]) + 2) >> 2
		if int(half.Pix[1*4+1]) != want {
			t.Errorf("%s Downscale2 pixel (1,1) = %d, want %d", k.name, half.Pix[5], want)
		}
		mustPanic(t, "YUYVToY short", func() { k.YUYVToY(dst, src[:39], 14) })
		mustPanic(t, "Downscale2 size", func() { k.Downscale2(NewFrame(4, 4), f) })
	}
}

func mustPanic(t *testing.T, name string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	fn()
}
