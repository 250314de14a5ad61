// Package benchmarks holds Vigil's cross-package benchmarks. Their bodies live
// here, outside _test files, so that `go test -bench` and the vigil-bench
// binary (copied to a Raspberry Pi) run exactly the same code.
package benchmarks

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"vigil/vision"
)

// Resolutions are the frame sizes the kernel benchmarks cover.
var Resolutions = []Res{{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}}

// Res is a frame size.
type Res struct{ W, H int }

func (r Res) String() string { return fmt.Sprintf("%dx%d", r.W, r.H) }

// ScenePair returns two consecutive w×h frames of a synthetic scene: a
// textured background with sensor noise (±3 levels) in which a person-sized
// block moved a few pixels, so about 2 % of the pixels change by more than
// the default threshold — like a real camera with someone walking by.
func ScenePair(w, h int) (prev, cur vision.Frame) {
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	bg := make([]byte, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			bg[y*w+x] = byte(60 + (x*3+y*5)%40 + (x/16+y/16)%2*50 + r.IntN(12))
		}
	}
	frame := func(px int) vision.Frame {
		f := vision.NewFrame(w, h)
		for i, v := range bg {
			f.Pix[i] = byte(int(v) + r.IntN(7) - 3)
		}
		fw, fh := w/10, h/3 // the figure
		for y := h / 2; y < h/2+fh && y < h; y++ {
			for x := px; x < px+fw && x < w; x++ {
				f.Pix[y*w+x] = byte(200 + (x+y)%30)
			}
		}
		return f
	}
	return frame(w / 3), frame(w/3 + max(2, w/80))
}

// BenchMask is the region mask the benchmarks use: a four-sided include
// region over most of the frame with a triangle cut out of it, as a user
// would draw to ignore a tree or a road.
func BenchMask(w, h int) *vision.Mask {
	m, err := vision.RasterizeRegions(w, h, []vision.Region{
		{Points: []vision.Point{{X: 0.02, Y: 0.08}, {X: 0.97, Y: 0.03}, {X: 0.99, Y: 0.97}, {X: 0.05, Y: 0.92}}},
		{Points: []vision.Point{{X: 0.70, Y: 0.05}, {X: 0.95, Y: 0.05}, {X: 0.90, Y: 0.40}}, Exclude: true},
	})
	if err != nil {
		panic(err)
	}
	return m
}

// BenchGrid is the cell grid of the benchmarks: 16×12 cells.
var BenchGrid = vision.Grid{Cols: 16, Rows: 12}

// Diff measures the fused kernel — threshold, polygon mask, grid counts and
// bounding box in one pass — with implementation k on one pair of frames.
func Diff(b *testing.B, k *vision.Impl, w, h int) {
	prev, cur := ScenePair(w, h)
	d, err := vision.NewDiffer(w, h, vision.DiffOptions{Threshold: 25, Mask: BenchMask(w, h), Grid: BenchGrid, Impl: k})
	if err != nil {
		b.Fatal(err)
	}
	var res vision.DiffResult
	d.Diff(prev, cur, &res)
	if res.Changed == 0 {
		b.Fatal("benchmark scene shows no motion")
	}
	b.SetBytes(int64(2 * w * h))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d.Diff(prev, cur, &res)
	}
}

// ReadCeiling measures just reading the same two frames with the fastest
// load loop this CPU has: the floor under any frame-differencing kernel.
func ReadCeiling(b *testing.B, w, h int) {
	ReadLoads(b, vision.Impls()[len(vision.Impls())-1], w, h)
}

// ReadLoads measures reading the same two frames with implementation k's
// own load loop (its vector width): the floor under k's kernel. Where a
// wider implementation exists, ReadCeiling is lower.
func ReadLoads(b *testing.B, k *vision.Impl, w, h int) {
	prev, cur := ScenePair(w, h)
	b.SetBytes(int64(2 * w * h))
	b.ReportAllocs()
	var sink uint64
	b.ResetTimer()
	for b.Loop() {
		sink += k.ReadProbe(prev.Pix, cur.Pix)
	}
	if sink == 1 {
		b.Log(sink)
	}
}
