package vision

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Grid divides a frame into Cols×Rows cells for per-cell change counts.
// Column i spans x in [i*W/Cols, (i+1)*W/Cols) (integer division), so a grid
// need not divide the frame evenly; rows likewise.
type Grid struct{ Cols, Rows int }

// DiffOptions configures a Differ.
type DiffOptions struct {
	// Threshold: a pixel changed when |prev-cur| > Threshold (0..255; 255
	// means nothing can change).
	Threshold int
	// Mask restricts the watched pixels; nil watches the whole frame.
	Mask *Mask
	// Grid of cells to count changes in; zero means one cell.
	Grid Grid
	// Impl forces an implementation; nil uses Active().
	Impl *Impl
}

// DiffResult is what one pass of the fused kernel reports.
type DiffResult struct {
	Changed int     // changed pixels inside the mask
	Cells   []int32 // changed pixels per cell, row-major, Grid.Cols*Grid.Rows
	BBox    Rect    // smallest rectangle holding every changed pixel; empty if none
}

// A Differ runs the fused motion kernel: in one pass over two (or three)
// frames it counts changed pixels inside the mask, per grid cell, and finds
// their bounding box. It owns its scratch memory, so Diff allocates nothing
// once DiffResult.Cells has its size. A Differ is not safe for concurrent use.
type Differ struct {
	w, h  int
	thr   int
	mask  *Mask
	grid  Grid
	impl  *Impl
	acc   []byte  // one change counter per column, per band of rows
	cellX []int32 // column boundaries of the grid, len Cols+1
	// xs, idx: the mask's spans as the kernels get them, a long span split
	// at its first 64-column boundary so the wide loads that follow are
	// aligned (rows of frames with a stride that is a multiple of 64 start
	// on such a boundary: NewFrame's large buffers are page-aligned).
	xs, idx []int32
	area    []int32 // watched pixels per cell
}

// maxKernelRows is how many rows one kernel call takes (its result is a
// uint64 row bitmask); flushRows bounds the rows between two flushes of the
// byte counters in acc, so they never wrap.
const (
	maxKernelRows = 64
	flushRows     = 192
)

// NewDiffer prepares the fused kernel for w×h frames.
func NewDiffer(w, h int, o DiffOptions) (*Differ, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("vision: differ: bad frame size %dx%d", w, h)
	}
	if o.Threshold < 0 || o.Threshold > 255 {
		return nil, fmt.Errorf("vision: differ: threshold %d outside 0..255", o.Threshold)
	}
	if o.Grid == (Grid{}) {
		o.Grid = Grid{1, 1}
	}
	if o.Grid.Cols < 1 || o.Grid.Rows < 1 || o.Grid.Cols > w || o.Grid.Rows > h {
		return nil, fmt.Errorf("vision: differ: grid %dx%d does not fit a %dx%d frame", o.Grid.Cols, o.Grid.Rows, w, h)
	}
	if o.Mask == nil {
		o.Mask = FullMask(w, h)
	}
	if o.Mask.w != w || o.Mask.h != h {
		return nil, fmt.Errorf("vision: differ: mask is %dx%d, frames are %dx%d", o.Mask.w, o.Mask.h, w, h)
	}
	if o.Impl == nil {
		o.Impl = Active()
	}
	d := &Differ{w: w, h: h, thr: o.Threshold, mask: o.Mask, grid: o.Grid, impl: o.Impl,
		acc: make([]byte, w), cellX: make([]int32, o.Grid.Cols+1)}
	for i := range d.cellX {
		d.cellX[i] = int32(i * w / o.Grid.Cols)
	}
	d.xs, d.idx = alignedSpans(o.Mask)
	d.area = make([]int32, o.Grid.Cols*o.Grid.Rows)
	for gy := 0; gy < o.Grid.Rows; gy++ {
		for y := gy * h / o.Grid.Rows; y < (gy+1)*h/o.Grid.Rows; y++ {
			for i := o.Mask.idx[y]; i < o.Mask.idx[y+1]; i++ {
				x0, x1 := o.Mask.xs[2*i], o.Mask.xs[2*i+1]
				for gx := 0; gx < o.Grid.Cols; gx++ {
					if n := min(x1, d.cellX[gx+1]) - max(x0, d.cellX[gx]); n > 0 {
						d.area[gy*o.Grid.Cols+gx] += n
					}
				}
			}
		}
	}
	return d, nil
}

// alignedSpans splits every span longer than 256 pixels that does not
// start on a multiple of 64 into a short head up to that boundary and the
// rest.
func alignedSpans(m *Mask) (xs, idx []int32) {
	idx = make([]int32, 1, m.h+1)
	for y := 0; y < m.h; y++ {
		for i := m.idx[y]; i < m.idx[y+1]; i++ {
			x0, x1 := m.xs[2*i], m.xs[2*i+1]
			if b := (x0 + 63) &^ 63; b != x0 && x1-x0 > 256 {
				xs = append(xs, x0, b)
				x0 = b
			}
			xs = append(xs, x0, x1)
		}
		idx = append(idx, int32(len(xs)/2))
	}
	return xs, idx
}

// CellArea returns the watched pixels of each cell, row-major (a cell
// outside every region has 0). The slice is the Differ's: do not modify it.
func (d *Differ) CellArea() []int32 { return d.area }

// Impl is the implementation this Differ runs.
func (d *Differ) Impl() *Impl { return d.impl }

// Grid is the Differ's cell grid.
func (d *Differ) Grid() Grid { return d.grid }

// Diff compares prev and cur (the two-frame rule). It panics if a frame is
// not the Differ's size.
func (d *Differ) Diff(prev, cur Frame, res *DiffResult) {
	d.checkFrame("prev", prev)
	d.checkFrame("cur", cur)
	d.run(res, func(y int, idx []int32) uint64 {
		return d.impl.diff2(prev.Pix[y*prev.Stride:], cur.Pix[y*cur.Stride:], prev.Stride, cur.Stride,
			d.xs, idx, d.thr, d.acc)
	})
}

// Diff3 applies the three-frame rule: a pixel of cur counts only if it
// differs from both earlier frames, prev2 and prev, by more than the
// threshold. It panics if a frame is not the Differ's size.
func (d *Differ) Diff3(prev2, prev, cur Frame, res *DiffResult) {
	d.checkFrame("prev2", prev2)
	d.checkFrame("prev", prev)
	d.checkFrame("cur", cur)
	d.run(res, func(y int, idx []int32) uint64 {
		return d.impl.diff3(prev2.Pix[y*prev2.Stride:], prev.Pix[y*prev.Stride:], cur.Pix[y*cur.Stride:],
			prev2.Stride, prev.Stride, cur.Stride, d.xs, idx, d.thr, d.acc)
	})
}

func (d *Differ) checkFrame(name string, f Frame) {
	if f.Width != d.w || f.Height != d.h {
		panic(fmt.Sprintf("vision: differ: %s frame is %dx%d, want %dx%d", name, f.Width, f.Height, d.w, d.h))
	}
	f.check(name)
}

// run walks the frame in bands of grid rows, calls kernel for chunks of at
// most maxKernelRows rows and flushes the column counters into the cells.
func (d *Differ) run(res *DiffResult, kernel func(y int, idx []int32) uint64) {
	n := d.grid.Cols * d.grid.Rows
	if cap(res.Cells) < n {
		res.Cells = make([]int32, n)
	}
	res.Cells = res.Cells[:n]
	clear(res.Cells)
	res.Changed = 0
	res.BBox = Rect{}
	if d.thr >= 255 {
		return // no byte differs by more than 255
	}
	minY, maxY := -1, -1
	for gy := 0; gy < d.grid.Rows; gy++ {
		y0, y1 := gy*d.h/d.grid.Rows, (gy+1)*d.h/d.grid.Rows
		dirty, pending := false, 0
		for y := y0; y < y1; {
			rows := min(maxKernelRows, y1-y)
			if changed := kernel(y, d.idx[y:y+rows+1]); changed != 0 {
				if minY < 0 {
					minY = y + bits.TrailingZeros64(changed)
				}
				maxY = y + 63 - bits.LeadingZeros64(changed)
				dirty = true
			}
			y += rows
			if pending += rows; dirty && (pending+maxKernelRows > flushRows || y == y1) {
				d.flush(res, gy)
				dirty, pending = false, 0
			}
		}
	}
	if minY >= 0 {
		res.BBox.Y0, res.BBox.Y1 = minY, maxY+1
	}
}

// flush adds the column counters to the cells of grid row gy, widens the
// bounding box in x and clears the counters. Motion is usually local, so it
// first finds the first and last changed column (skipping zero words from
// both ends) and sums only the cells between them.
func (d *Differ) flush(res *DiffResult, gy int) {
	acc := d.acc
	x0, x1 := 0, len(acc)
	for x0+8 <= x1 && binary.LittleEndian.Uint64(acc[x0:]) == 0 {
		x0 += 8
	}
	for x0 < x1 && acc[x0] == 0 {
		x0++
	}
	if x0 == x1 {
		return
	}
	for x1-8 >= x0 && binary.LittleEndian.Uint64(acc[x1-8:]) == 0 {
		x1 -= 8
	}
	for acc[x1-1] == 0 {
		x1--
	}
	cells := res.Cells[gy*d.grid.Cols : (gy+1)*d.grid.Cols]
	gx := 0
	for int(d.cellX[gx+1]) <= x0 {
		gx++
	}
	for ; gx < len(cells) && int(d.cellX[gx]) < x1; gx++ {
		lo, hi := max(int(d.cellX[gx]), x0), min(int(d.cellX[gx+1]), x1)
		s := sumBytes(acc[lo:hi])
		cells[gx] += int32(s)
		res.Changed += s
	}
	if res.BBox.X1 == 0 { // no column seen yet
		res.BBox.X0, res.BBox.X1 = x0, x1
	} else {
		res.BBox.X0, res.BBox.X1 = min(res.BBox.X0, x0), max(res.BBox.X1, x1)
	}
	clear(acc[x0:x1])
}

// sumBytes adds up bytes, eight at a time.
func sumBytes(b []byte) int {
	var lanes uint64 // four 16-bit lane sums; at most 64 words per round keeps them below 2^16
	s := 0
	for len(b) >= 8 {
		n := min(len(b)/8, 64)
		lanes = 0
		for range n {
			v := binary.LittleEndian.Uint64(b)
			lanes += v&lo16 + (v>>8)&lo16
			b = b[8:]
		}
		lanes = lanes&0x0000FFFF0000FFFF + (lanes>>16)&0x0000FFFF0000FFFF
		s += int(lanes&0xFFFFFFFF + lanes>>32)
	}
	for _, c := range b {
		s += int(c)
	}
	return s
}
