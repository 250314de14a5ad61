package vision

import (
	"cmp"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	pigo "github.com/esimov/pigo/core"
)

// The pigo face cascade (MIT, see cascade/LICENSE), built into every binary
// so the edge and the validator need no file beside them.
//
//go:embed cascade/facefinder
var facefinder []byte

var (
	cascadeOnce sync.Once
	cascade     *pigo.Pigo // for ClusterDetections
	trees       *forest    // the same cascade, for our scan
	cascadeErr  error
)

// FaceOptions tune face detection. Zero values take the defaults.
type FaceOptions struct {
	// MinSize and MaxSize bound the face size in pixels (defaults 24 and
	// the smaller side of the searched region).
	MinSize, MaxSize int
	// Shift is the step of the search window as a fraction of its size
	// (default 0.1); Scale the growth of the window between passes (1.1).
	Shift, Scale float64
	// IoU merges overlapping detections in pigo's clustering (default 0.2).
	IoU float64
	// Overlap drops a detection when more than this fraction of its box
	// lies inside a stronger one (default 0.3): pigo reports one face as
	// two nested boxes, or a weak false hit on the chin below a face.
	Overlap float64
	// MinScore drops weaker detections. Default 11: pigo scores the faces of
	// real camera frames from about 40 to several hundred and its false hits
	// (a chin, a shirt) up to about 10.5; a weakly lit portrait scores 7–10
	// and needs a lower setting, at the price of false hits.
	MinScore float64
	// Workers is how many goroutines scan one frame (default GOMAXPROCS;
	// 1 scans on the caller's goroutine). The rows of every scale are
	// shared out as they come, and the result does not depend on it.
	Workers int
}

// Face is a detected face: its box in frame pixels and pigo's score.
type Face struct {
	Box   Rect
	Score float64
}

// FaceDetector finds faces in luma frames with pigo. It is safe for
// concurrent use: the unpacked cascade is shared and read-only.
type FaceDetector struct {
	o FaceOptions
	p *pigo.Pigo
	f *forest
}

// NewFaceDetector unpacks the embedded cascade (once per process).
func NewFaceDetector(o FaceOptions) (*FaceDetector, error) {
	cascadeOnce.Do(func() {
		if trees, cascadeErr = unpackForest(facefinder); cascadeErr == nil {
			cascade, cascadeErr = pigo.NewPigo().Unpack(facefinder)
		}
	})
	if cascadeErr != nil {
		return nil, fmt.Errorf("vision: face cascade: %w", cascadeErr)
	}
	if o.MinSize <= 0 {
		o.MinSize = 24
	}
	if o.Shift <= 0 {
		o.Shift = 0.1
	}
	if o.Scale <= 1 {
		o.Scale = 1.1
	}
	if o.IoU <= 0 {
		o.IoU = 0.2
	}
	if o.Overlap <= 0 {
		o.Overlap = 0.3
	}
	if o.MinScore <= 0 {
		o.MinScore = 11
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return &FaceDetector{o: o, p: cascade, f: trees}, nil
}

// Detect finds faces inside region of f (an empty region searches the
// whole frame). Boxes are in f's pixel coordinates, strongest first.
func (d *FaceDetector) Detect(f Frame, region Rect) []Face {
	f.check("faces")
	if region.Empty() {
		region = Rect{0, 0, f.Width, f.Height}
	}
	region = region.Intersect(Rect{0, 0, f.Width, f.Height})
	maxSize := d.o.MaxSize
	if side := min(region.Dx(), region.Dy()); maxSize <= 0 || maxSize > side {
		maxSize = side
	}
	if region.Empty() || maxSize < d.o.MinSize {
		return nil
	}
	sub := f.Sub(region)
	dets := d.f.scan(sub, d.o.MinSize, maxSize, d.o.Shift, d.o.Scale, d.o.Workers)
	dets = d.p.ClusterDetections(dets, d.o.IoU)
	var out []Face
	for _, det := range dets {
		if float64(det.Q) < d.o.MinScore {
			continue
		}
		h := det.Scale / 2
		box := Rect{region.X0 + det.Col - h, region.Y0 + det.Row - h, region.X0 + det.Col + h, region.Y0 + det.Row + h}
		out = append(out, Face{Box: box.Intersect(region), Score: float64(det.Q)})
	}
	for i := 1; i < len(out); i++ { // strongest first (few faces: insertion sort)
		for j := i; j > 0 && out[j].Score > out[j-1].Score; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	kept := out[:0]
	for _, f := range out {
		if !overlapsStronger(f, kept, d.o.Overlap) {
			kept = append(kept, f)
		}
	}
	out = kept
	return out
}

// overlapsStronger reports whether more than frac of f's area lies inside
// one of the (stronger) faces already kept.
func overlapsStronger(f Face, kept []Face, frac float64) bool {
	area := float64(f.Box.Dx() * f.Box.Dy())
	for _, k := range kept {
		in := f.Box.Intersect(k.Box)
		if !in.Empty() && float64(in.Dx()*in.Dy()) > frac*area {
			return true
		}
	}
	return false
}

// forest is the pigo cascade (a sequence of depth-6 binary decision trees
// over pixel-pair comparisons) laid out for scanning: Vigil's own scan
// returns exactly the detections of pigo's RunCascade (same windows, same
// float32 sums in the same order), only faster: the pixel offsets of every
// node are computed once per scale instead of four multiplications per
// node and window, and the rows are shared among goroutines.
type forest struct {
	depth  int       // comparisons per tree
	leaves int       // 1 << depth
	codes  []int8    // per tree, per node 1..leaves-1: row1, col1, row2, col2 (in 1/256 of the window size)
	pred   []float32 // per tree, per leaf
	thr    []float32 // per tree: the running sum must stay above it
}

// unpackForest reads pigo's binary cascade format: 8 bytes skipped, the
// tree depth and count (uint32 little-endian), then per tree the node codes
// (4 signed bytes per inner node), the leaf predictions and the threshold
// (float32 little-endian).
func unpackForest(b []byte) (*forest, error) {
	if len(b) < 16 {
		return nil, errors.New("cascade too short")
	}
	depth, n := int(binary.LittleEndian.Uint32(b[8:])), int(binary.LittleEndian.Uint32(b[12:]))
	if depth < 1 || depth > 10 || n < 1 || n > 4096 {
		return nil, fmt.Errorf("cascade of %d trees of depth %d", n, depth)
	}
	leaves := 1 << depth
	per := 4*(leaves-1) + 4*leaves + 4
	if len(b) != 16+n*per {
		return nil, fmt.Errorf("cascade of %d bytes, want %d", len(b), 16+n*per)
	}
	f := &forest{depth: depth, leaves: leaves, codes: make([]int8, 0, n*4*leaves),
		pred: make([]float32, 0, n*leaves), thr: make([]float32, 0, n)}
	pos := 16
	for range n {
		f.codes = append(f.codes, 0, 0, 0, 0) // node 0 does not exist
		for _, c := range b[pos : pos+4*(leaves-1)] {
			f.codes = append(f.codes, int8(c))
		}
		pos += 4 * (leaves - 1)
		for range leaves {
			f.pred = append(f.pred, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		}
		f.thr = append(f.thr, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
		pos += 4
	}
	return f, nil
}

// offsetPool keeps the offset tables of a scan for the next one (about
// 1 MB for a 640×480 frame).
var offsetPool = sync.Pool{New: func() any { return new([]int32) }}

// hotTrees is how many leading trees get their offsets precomputed per
// scale: nearly every window is rejected within them; the rare window that
// passes goes on with offsets computed as it goes.
const hotTrees = 48

// scale is one window size of a scan with its precomputed offsets.
type scaleScan struct {
	size, step, first int
	offs              []int32 // per hot tree, per node: two pixel offsets from the window centre
}

// scan runs the cascade over every window of f from minSize to maxSize, as
// pigo's RunCascade with those parameters and angle 0 does, on up to
// workers goroutines. The detections come in pigo's order (scale, row,
// column) so that clustering them gives the same faces.
func (t *forest) scan(f Frame, minSize, maxSize int, shift, factor float64, workers int) []pigo.Detection {
	var scales []scaleScan
	hot := min(hotTrees, len(t.thr))
	nodes := t.leaves
	per := hot * nodes * 2
	buf := offsetPool.Get().(*[]int32)
	defer offsetPool.Put(buf)
	*buf = (*buf)[:0]
	for size := minSize; size <= maxSize; size = int(float64(size) + math.Max(2, float64(size)*factor-float64(size))) {
		sc := scaleScan{size: size, step: int(math.Max(shift*float64(size), 1)), first: size/2 + 1}
		if sc.first > f.Height-sc.first || sc.first > f.Width-sc.first {
			continue
		}
		if len(*buf)+per > cap(*buf) {
			*buf = append(make([]int32, 0, 2*cap(*buf)+per), *buf...)
		}
		n := len(*buf)
		*buf = (*buf)[:n+per]
		sc.offs = (*buf)[n : n+per : n+per]
		for i := range hot {
			for idx := 1; idx < nodes; idx++ {
				c := t.codes[i*4*nodes+4*idx:]
				r1, c1 := (int(c[0])*size)>>8, (int(c[1])*size)>>8
				r2, c2 := (int(c[2])*size)>>8, (int(c[3])*size)>>8
				sc.offs[(i*nodes+idx)*2] = int32(r1*f.Stride + c1)
				sc.offs[(i*nodes+idx)*2+1] = int32(r2*f.Stride + c2)
			}
		}
		scales = append(scales, sc)
	}
	type job struct{ scale, row int }
	var jobs []job
	for si, sc := range scales {
		for row := sc.first; row <= f.Height-sc.first; row += sc.step {
			jobs = append(jobs, job{si, row})
		}
	}
	var (
		next atomic.Int64
		mu   sync.Mutex
		all  []pigo.Detection
	)
	work := func() {
		var found []pigo.Detection
		for {
			j := int(next.Add(1)) - 1
			if j >= len(jobs) {
				break
			}
			sc := &scales[jobs[j].scale]
			row := jobs[j].row
			last := f.Width - sc.first
			col := sc.first
			if t.depth == 6 {
				for ; col+sc.step <= last; col += 2 * sc.step {
					qa, qb := t.classifyPair(f, sc, row*f.Stride+col, row*f.Stride+col+sc.step, hot)
					if qa > 0 {
						found = append(found, pigo.Detection{Row: row, Col: col, Scale: sc.size, Q: qa})
					}
					if qb > 0 {
						found = append(found, pigo.Detection{Row: row, Col: col + sc.step, Scale: sc.size, Q: qb})
					}
				}
			}
			for ; col <= last; col += sc.step {
				if q := t.classify(f, sc, row*f.Stride+col, 0, 0, hot); q > 0 {
					found = append(found, pigo.Detection{Row: row, Col: col, Scale: sc.size, Q: q})
				}
			}
		}
		mu.Lock()
		all = append(all, found...)
		mu.Unlock()
	}
	workers = max(1, min(workers, len(jobs)/8))
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	slices.SortFunc(all, func(a, b pigo.Detection) int {
		return cmp.Or(cmp.Compare(a.Scale, b.Scale), cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col))
	})
	return all
}

// classify is pigo's classifyRegion for the window of sc's size centred at
// pixel base of f: each tree walks from its root by comparing two pixels
// per node, the leaf's prediction adds to the sum, and the window is
// rejected (-1) as soon as the sum falls to a tree's threshold. It starts
// at tree from with the sum out of the trees before. The first hot trees
// use sc's offsets, the others compute theirs.
func (t *forest) classify(f Frame, sc *scaleScan, base, from int, out float32, hot int) float32 {
	pix := f.Pix
	nodes := t.leaves
	if t.depth == 6 { // facefinder's: unrolled
		for i := from; i < hot; i++ {
			offs := (*[128]int32)(sc.offs[i*128:])
			idx := 1
			idx = step6(idx, pix, base, offs)
			idx = step6(idx, pix, base, offs)
			idx = step6(idx, pix, base, offs)
			idx = step6(idx, pix, base, offs)
			idx = step6(idx, pix, base, offs)
			idx = step6(idx, pix, base, offs)
			out += t.pred[i*64+idx-64]
			if out <= t.thr[i] {
				return -1
			}
		}
	} else {
		for i := from; i < hot; i++ {
			offs := sc.offs[i*nodes*2 : (i+1)*nodes*2]
			idx := 1
			for range t.depth {
				idx = step(idx, pix, base, offs)
			}
			out += t.pred[i*nodes+idx-nodes]
			if out <= t.thr[i] {
				return -1
			}
		}
	}
	size := sc.size
	for i := max(hot, from); i < len(t.thr); i++ {
		codes := t.codes[i*4*nodes : (i+1)*4*nodes]
		idx := 1
		for range t.depth {
			c := codes[4*idx : 4*idx+4]
			a := pix[base+((int(c[0])*size)>>8)*f.Stride+(int(c[1])*size)>>8]
			b := pix[base+((int(c[2])*size)>>8)*f.Stride+(int(c[3])*size)>>8]
			idx *= 2
			if a <= b {
				idx++
			}
		}
		out += t.pred[i*nodes+idx-nodes]
		if out <= t.thr[i] {
			return -1
		}
	}
	return out - t.thr[len(t.thr)-1]
}

// classifyPair is classify for two windows of a depth-6 forest at once:
// their two chains of dependent loads overlap in the CPU. When one window
// is rejected the other goes on alone.
func (t *forest) classifyPair(f Frame, sc *scaleScan, baseA, baseB, hot int) (float32, float32) {
	pix := f.Pix
	var outA, outB float32
	for i := range hot {
		offs := (*[128]int32)(sc.offs[i*128:])
		a, b := 1, 1
		a, b = step6(a, pix, baseA, offs), step6(b, pix, baseB, offs)
		a, b = step6(a, pix, baseA, offs), step6(b, pix, baseB, offs)
		a, b = step6(a, pix, baseA, offs), step6(b, pix, baseB, offs)
		a, b = step6(a, pix, baseA, offs), step6(b, pix, baseB, offs)
		a, b = step6(a, pix, baseA, offs), step6(b, pix, baseB, offs)
		a, b = step6(a, pix, baseA, offs), step6(b, pix, baseB, offs)
		outA += t.pred[i*64+a-64]
		outB += t.pred[i*64+b-64]
		deadA, deadB := outA <= t.thr[i], outB <= t.thr[i]
		switch {
		case deadA && deadB:
			return -1, -1
		case deadA:
			return -1, t.classify(f, sc, baseB, i+1, outB, hot)
		case deadB:
			return t.classify(f, sc, baseA, i+1, outA, hot), -1
		}
	}
	return t.classify(f, sc, baseA, hot, outA, hot), t.classify(f, sc, baseB, hot, outB, hot)
}

// step moves from node idx to its child: 2·idx+1 when the node's first
// pixel is not brighter than its second, else 2·idx (without a branch:
// the comparison's outcome is a coin toss the predictor cannot learn).
func step(idx int, pix []byte, base int, offs []int32) int {
	a, b := int(pix[base+int(offs[2*idx])]), int(pix[base+int(offs[2*idx+1])])
	return 2*idx + 1 + (b-a)>>31 // b-a is within ±255: -1 when a > b, on 32-bit ints too
}

// step6 is step for trees of depth 6, whose offsets are an array (no
// bounds checks on them: idx stays below 64).
func step6(idx int, pix []byte, base int, offs *[128]int32) int {
	a, b := int(pix[base+int(offs[(2*idx)&127])]), int(pix[base+int(offs[(2*idx+1)&127])])
	return 2*idx + 1 + (b-a)>>31 // b-a is within ±255: -1 when a > b, on 32-bit ints too
}
