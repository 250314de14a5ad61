package vision

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// A Mask selects the pixels of a frame the motion kernel watches. It is kept
// as row spans (per row, the x-ranges inside the region). A Differ renders it
// once to a byte per pixel, which its kernels read only in the blocks of
// pixels where something changed (so the mask adds no third stream of bytes
// to the hot loop), and uses the spans to leave out the rows and columns no
// region covers.
// A Mask is immutable once built and safe for concurrent use.
type Mask struct {
	w, h int
	idx  []int32 // len h+1: row y holds spans idx[y] .. idx[y+1]-1
	xs   []int32 // span i is [xs[2i], xs[2i+1]), sorted, disjoint, not touching
}

// Width and Height give the frame size the mask was built for.
func (m *Mask) Width() int  { return m.w }
func (m *Mask) Height() int { return m.h }

// FullMask watches every pixel of a w×h frame.
func FullMask(w, h int) *Mask {
	b := newMaskBuilder(w, h)
	for y := 0; y < h; y++ {
		if w > 0 {
			b.add(0, w)
		}
		b.endRow()
	}
	return b.mask()
}

// MaskFromBytes builds a mask from a byte per pixel (row-major, w*h bytes):
// a non-zero byte is watched.
func MaskFromBytes(w, h int, pix []byte) *Mask {
	if w < 0 || h < 0 || len(pix) != w*h {
		panic(fmt.Sprintf("vision: MaskFromBytes: %d bytes for %dx%d", len(pix), w, h))
	}
	b := newMaskBuilder(w, h)
	for y := 0; y < h; y++ {
		row := pix[y*w : (y+1)*w]
		for x := 0; x < w; {
			if row[x] == 0 {
				x++
				continue
			}
			x0 := x
			for x < w && row[x] != 0 {
				x++
			}
			b.add(x0, x)
		}
		b.endRow()
	}
	return b.mask()
}

// Contains reports whether pixel (x, y) is watched.
func (m *Mask) Contains(x, y int) bool {
	if x < 0 || y < 0 || x >= m.w || y >= m.h {
		return false
	}
	for i := m.idx[y]; i < m.idx[y+1]; i++ {
		if int(m.xs[2*i]) <= x && x < int(m.xs[2*i+1]) {
			return true
		}
	}
	return false
}

// Area is the number of watched pixels.
func (m *Mask) Area() int {
	n := 0
	for i := 0; i+1 < len(m.xs); i += 2 {
		n += int(m.xs[i+1] - m.xs[i])
	}
	return n
}

// Bytes renders the mask as a byte per pixel: 0xFF watched, 0 ignored.
func (m *Mask) Bytes() []byte {
	out := make([]byte, m.w*m.h)
	for y := 0; y < m.h; y++ {
		for i := m.idx[y]; i < m.idx[y+1]; i++ {
			row := out[y*m.w:]
			for x := m.xs[2*i]; x < m.xs[2*i+1]; x++ {
				row[x] = 0xFF
			}
		}
	}
	return out
}

type maskBuilder struct{ m Mask }

func newMaskBuilder(w, h int) *maskBuilder {
	if w < 0 || h < 0 || w > math.MaxInt32/2 || h > math.MaxInt32/2 {
		panic(fmt.Sprintf("vision: bad mask size %dx%d", w, h))
	}
	b := &maskBuilder{Mask{w: w, h: h, idx: make([]int32, 1, h+1)}}
	return b
}

// add appends span [x0,x1) to the current row; spans come left to right.
func (b *maskBuilder) add(x0, x1 int) {
	if x0 >= x1 {
		return
	}
	if n := len(b.m.xs); n > 0 && int(b.m.idx[len(b.m.idx)-1]) < n/2 && int(b.m.xs[n-1]) >= x0 {
		b.m.xs[n-1] = int32(max(int(b.m.xs[n-1]), x1)) // touching or overlapping: merge
		return
	}
	b.m.xs = append(b.m.xs, int32(x0), int32(x1))
}

func (b *maskBuilder) endRow() { b.m.idx = append(b.m.idx, int32(len(b.m.xs)/2)) }

func (b *maskBuilder) mask() *Mask {
	m := b.m
	return &m
}

// Point is a polygon vertex in normalised frame coordinates: (0,0) is the
// top-left corner of the frame, (1,1) the bottom-right one.
type Point struct{ X, Y float64 }

// Region is a polygon drawn by the user over the frame. Include regions are
// watched; exclude regions are cut out of them.
type Region struct {
	Points  []Point
	Exclude bool
}

// MaxRegionPoints bounds the vertices of one polygon.
const MaxRegionPoints = 256

// ErrRegion is wrapped by every region validation error.
var ErrRegion = errors.New("bad region")

// Validate reports the first problem with the polygon, if any.
func (r Region) Validate() error {
	if len(r.Points) < 3 {
		return fmt.Errorf("%w: %d points, need at least 3", ErrRegion, len(r.Points))
	}
	if len(r.Points) > MaxRegionPoints {
		return fmt.Errorf("%w: %d points, at most %d", ErrRegion, len(r.Points), MaxRegionPoints)
	}
	for i, p := range r.Points {
		if !(p.X >= 0 && p.X <= 1 && p.Y >= 0 && p.Y <= 1) { // also rejects NaN
			return fmt.Errorf("%w: point %d (%v, %v) is outside 0..1", ErrRegion, i, p.X, p.Y)
		}
	}
	return nil
}

// RasterizeRegions turns polygons into a w×h mask. A pixel is inside a
// polygon when its centre is (even-odd rule). The mask holds the pixels
// inside any include region — or every pixel when there is no include
// region — minus the pixels inside any exclude region.
func RasterizeRegions(w, h int, regions []Region) (*Mask, error) {
	hasInclude := false
	for i, r := range regions {
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("region %d: %w", i, err)
		}
		hasInclude = hasInclude || !r.Exclude
	}
	b := newMaskBuilder(w, h)
	var inc, exc, tmp []int32
	var cross []float64
	for y := 0; y < h; y++ {
		yc := float64(y) + 0.5
		inc, exc = inc[:0], exc[:0]
		if !hasInclude && w > 0 {
			inc = append(inc, 0, int32(w))
		}
		for _, r := range regions {
			cross = crossings(cross[:0], r.Points, w, h, yc)
			tmp = tmp[:0]
			for k := 0; k+1 < len(cross); k += 2 {
				x0 := clampInt(int(math.Ceil(cross[k]-0.5)), 0, w)
				x1 := clampInt(int(math.Ceil(cross[k+1]-0.5)), 0, w)
				if x0 < x1 {
					tmp = append(tmp, int32(x0), int32(x1))
				}
			}
			if r.Exclude {
				exc = unionSpans(exc, tmp)
			} else {
				inc = unionSpans(inc, tmp)
			}
		}
		inc = subtractSpans(inc, exc)
		for k := 0; k < len(inc); k += 2 {
			b.add(int(inc[k]), int(inc[k+1]))
		}
		b.endRow()
	}
	return b.mask(), nil
}

// crossings appends the sorted x positions (in pixels) where the horizontal
// line at yc crosses the polygon's edges. An edge counts when yc lies in
// [min y, max y) of the edge, so a vertex on the line is counted once.
func crossings(dst []float64, pts []Point, w, h int, yc float64) []float64 {
	fw, fh := float64(w), float64(h)
	for i := range pts {
		j := (i + 1) % len(pts)
		xi, yi := pts[i].X*fw, pts[i].Y*fh
		xj, yj := pts[j].X*fw, pts[j].Y*fh
		if (yi > yc) != (yj > yc) {
			dst = append(dst, edgeX(xi, yi, xj, yj, yc))
		}
	}
	slices.Sort(dst)
	return dst
}

// edgeX is the x where the edge (xi,yi)-(xj,yj) meets the line y = yc.
func edgeX(xi, yi, xj, yj, yc float64) float64 { return xi + (yc-yi)*(xj-xi)/(yj-yi) }

// unionSpans merges two sorted span lists (pairs) into one.
func unionSpans(a, b []int32) []int32 {
	if len(b) == 0 {
		return a
	}
	all := append(append([]int32(nil), a...), b...)
	type span struct{ x0, x1 int32 }
	ss := make([]span, 0, len(all)/2)
	for k := 0; k < len(all); k += 2 {
		ss = append(ss, span{all[k], all[k+1]})
	}
	slices.SortFunc(ss, func(p, q span) int { return int(p.x0 - q.x0) })
	out := a[:0]
	for _, s := range ss {
		if n := len(out); n > 0 && out[n-1] >= s.x0 {
			out[n-1] = max(out[n-1], s.x1)
			continue
		}
		out = append(out, s.x0, s.x1)
	}
	return out
}

// subtractSpans removes the spans of b from the spans of a (both sorted,
// disjoint) and returns the result in a's storage.
func subtractSpans(a, b []int32) []int32 {
	if len(b) == 0 {
		return a
	}
	var out []int32
	for k := 0; k < len(a); k += 2 {
		x0, x1 := a[k], a[k+1]
		for j := 0; j < len(b) && x0 < x1; j += 2 {
			if b[j+1] <= x0 || b[j] >= x1 {
				continue
			}
			if b[j] > x0 {
				out = append(out, x0, b[j])
			}
			x0 = b[j+1]
		}
		if x0 < x1 {
			out = append(out, x0, x1)
		}
	}
	return append(a[:0], out...)
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }
