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
	mpix  []byte  // the mask, a byte per pixel (0xFF watched), stride w
	calls []call  // the kernel calls of one pass, in row order
	area  []int32 // watched pixels per cell
}

// A call is one kernel call: rows [y, y+n) of grid row gy, over the columns
// [x0, x1). It covers every watched pixel of those rows; rows and columns
// that hold none at the edges of a band are left out, columns widened to
// multiples of 64 (the mask still excludes the pixels so added): whole,
// aligned vectors where rows are aligned, and the same window for every row
// of the call.
type call struct{ gy, y, n, x0, x1 int }

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
	d.mpix = o.Mask.Bytes()
	d.calls = plan(o.Mask, o.Grid)
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

// plan splits each band of grid rows into kernel calls of at most
// maxKernelRows rows and gives each the columns its watched pixels need.
func plan(m *Mask, g Grid) []call {
	var calls []call
	for gy := 0; gy < g.Rows; gy++ {
		y0, y1 := gy*m.h/g.Rows, (gy+1)*m.h/g.Rows
		for y := y0; y < y1; y += maxKernelRows {
			c := call{gy: gy, y: -1, x0: m.w}
			for r := y; r < min(y+maxKernelRows, y1); r++ {
				if m.idx[r] == m.idx[r+1] {
					continue // nothing watched in this row
				}
				if c.y < 0 {
					c.y = r
				}
				c.n = r + 1 - c.y
				c.x0 = min(c.x0, int(m.xs[2*m.idx[r]]))
				c.x1 = max(c.x1, int(m.xs[2*m.idx[r+1]-1]))
			}
			if c.y < 0 {
				continue
			}
			c.x0 &^= 63
			c.x1 = min(m.w, (c.x1+63)&^63)
			if c.x1-c.x0 < 32 { // a narrow window: 32 columns if the frame has them
				c.x0 = max(0, c.x1-32)
			}
			calls = append(calls, c)
		}
	}
	return calls
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
	d.run(res, func(c call) uint64 {
		return d.impl.diff2(prev.Pix[c.y*prev.Stride:], cur.Pix[c.y*cur.Stride:], d.mpix[c.y*d.w:],
			prev.Stride, cur.Stride, d.w, c.x0, c.x1, c.n, d.thr, d.acc)
	})
}

// Diff3 applies the three-frame rule: a pixel of cur counts only if it
// differs from both earlier frames, prev2 and prev, by more than the
// threshold. It panics if a frame is not the Differ's size.
func (d *Differ) Diff3(prev2, prev, cur Frame, res *DiffResult) {
	d.checkFrame("prev2", prev2)
	d.checkFrame("prev", prev)
	d.checkFrame("cur", cur)
	d.run(res, func(c call) uint64 {
		return d.impl.diff3(prev2.Pix[c.y*prev2.Stride:], prev.Pix[c.y*prev.Stride:], cur.Pix[c.y*cur.Stride:],
			d.mpix[c.y*d.w:], prev2.Stride, prev.Stride, cur.Stride, d.w, c.x0, c.x1, c.n, d.thr, d.acc)
	})
}

func (d *Differ) checkFrame(name string, f Frame) {
	if f.Width != d.w || f.Height != d.h {
		panic(fmt.Sprintf("vision: differ: %s frame is %dx%d, want %dx%d", name, f.Width, f.Height, d.w, d.h))
	}
	f.check(name)
}

// run makes the planned kernel calls and flushes the column counters into
// the cells of a band when it ends or before they could wrap.
func (d *Differ) run(res *DiffResult, kernel func(c call) uint64) {
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
	dirty, pending := false, 0 // pending: rows counted into acc since it was clear
	lo, hi := d.w, 0           // the windows of those rows
	for i, c := range d.calls {
		if changed := kernel(c); changed != 0 {
			if minY < 0 {
				minY = c.y + bits.TrailingZeros64(changed)
			}
			maxY = c.y + 63 - bits.LeadingZeros64(changed)
			dirty = true
		}
		pending += c.n
		lo, hi = min(lo, c.x0), max(hi, c.x1)
		last := i+1 == len(d.calls) || d.calls[i+1].gy != c.gy
		if dirty && (last || pending+maxKernelRows > flushRows) {
			d.flush(res, c.gy, lo, hi)
			dirty = false
		}
		if !dirty {
			pending, lo, hi = 0, d.w, 0
		}
	}
	if minY >= 0 {
		res.BBox.Y0, res.BBox.Y1 = minY, maxY+1
	}
}

// flush adds the column counters in [lo, hi) (the band's windows; acc is
// zero outside them) to the cells of grid row gy, widens the bounding box in
// x and clears the counters. Motion is usually local, so it first finds the
// first and last changed column, a word at a time from both ends, and sums
// only the cells between them.
func (d *Differ) flush(res *DiffResult, gy, lo, hi int) {
	acc := d.acc
	x0, x1 := lo, hi
	for x0+8 <= x1 {
		if v := binary.LittleEndian.Uint64(acc[x0:]); v != 0 {
			x0 += bits.TrailingZeros64(v) / 8
			break
		}
		x0 += 8
	}
	for x0 < x1 && acc[x0] == 0 {
		x0++
	}
	if x0 == x1 {
		return
	}
	for x1-8 >= x0 {
		if v := binary.LittleEndian.Uint64(acc[x1-8:]); v != 0 {
			x1 -= bits.LeadingZeros64(v) / 8
			break
		}
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
