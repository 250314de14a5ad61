package edge

import (
	"context"
	"testing"
	"time"

	"vigil/domain"
	"vigil/vision"
)

// grayTwin is an in-memory FrameSource of numbered gray frames.
type grayTwin struct {
	f vision.Frame
	n int
}

func (g *grayTwin) Next(context.Context) (vision.Frame, error) {
	g.n++
	for i := range g.f.Pix {
		g.f.Pix[i] = byte(g.n * 10)
	}
	return g.f, nil
}

func (g *grayTwin) Hold(s *vision.Still) { s.SetGray(g.f); s.Frame = int64(g.n) }

func TestLiveKeepsFramesAtMostLiveFPS(t *testing.T) {
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	l := NewLive(clk.now)
	if _, _, ok, _ := l.JPEG(); ok {
		t.Fatal("a frame before any")
	}
	src := l.Source(&grayTwin{f: vision.NewFrame(32, 24)})
	ctx := context.Background()
	src.Next(ctx)
	b1, seq1, ok, err := l.JPEG()
	if !ok || err != nil || len(b1) < 100 || b1[0] != 0xFF || b1[1] != 0xD8 {
		t.Fatalf("first frame: ok=%v err=%v %d bytes", ok, err, len(b1))
	}
	clk.t = clk.t.Add(50 * time.Millisecond) // faster than LiveFPS: not kept
	src.Next(ctx)
	if _, seq, _, _ := l.JPEG(); seq != seq1 {
		t.Fatal("a frame kept faster than LiveFPS")
	}
	done := make(chan uint64)
	go func() { s, _ := l.Wait(ctx, seq1); done <- s }()
	clk.t = clk.t.Add(time.Second / LiveFPS)
	src.Next(ctx)
	select {
	case s := <-done:
		if s != seq1+1 {
			t.Fatalf("Wait returned %d", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not wake")
	}
	b2, _, _, _ := l.JPEG()
	if string(b1) == string(b2) {
		t.Fatal("the new frame encodes as the old one")
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.Wait(wctx, seq1+1); err == nil {
		t.Fatal("Wait without a new frame returned no error")
	}
}

func TestLiveScoresAndOverlay(t *testing.T) {
	l := NewLive(nil)
	l.SetMotion(domain.MotionSettings{Sensitivity: 5, MinCells: 4})
	for i := 1; i <= ScoreHistory+10; i++ {
		l.OnFrame(FrameReport{Frame: int64(i), Score: float64(i % 7), WatchedCells: 200, Verdict: domain.Quiet})
	}
	cells, area := []int32{0, 5, 10, 0}, []int32{10, 10, 10, 0}
	l.OnFrame(FrameReport{Frame: 999, Score: 3, WatchedCells: 200, Verdict: domain.Motion, Cells: cells, CellArea: area,
		Grid: vision.Grid{Cols: 2, Rows: 2}, BBox: domain.Box{X0: 0.1, Y0: 0.2, X1: 0.5, Y1: 0.6}})
	pts, o := l.Scores()
	if len(pts) != ScoreHistory || pts[len(pts)-1].Frame != 999 || pts[0].Frame != 12 {
		t.Fatalf("%d points, first %d, last %d", len(pts), pts[0].Frame, pts[len(pts)-1].Frame)
	}
	if thr := pts[len(pts)-1].Threshold; thr != 2 { // 4 of 200 cells
		t.Fatalf("threshold %v %%, want 2", thr)
	}
	want := []float64{0, 0.5, 1, -1}
	for i, v := range want {
		if o.Cells[i] != v {
			t.Fatalf("overlay cells %v, want %v", o.Cells, want)
		}
	}
	if o.Cols != 2 || o.Rows != 2 || o.BBox.X1 != 0.5 || o.Frame != 999 {
		t.Fatalf("overlay %+v", o)
	}
	cells[1] = 9 // the Monitor reuses its slices: the overlay must not change
	if _, o2 := l.Scores(); o2.Cells[1] != 0.5 {
		t.Fatal("the overlay shares the Monitor's memory")
	}
}

// blockingTwin sends a few frames, then none until ctx ends (a camera
// that stalled).
type blockingTwin struct {
	grayTwin
	frames int
}

func (b *blockingTwin) Next(ctx context.Context) (vision.Frame, error) {
	if b.n >= b.frames {
		<-ctx.Done()
		return vision.Frame{}, ctx.Err()
	}
	return b.grayTwin.Next(ctx)
}

func TestLiveTellsAStalledCamera(t *testing.T) {
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	l := NewLive(clk.now)
	if d := l.Stalled(); d != 0 {
		t.Fatalf("stalled %s before any source", d)
	}
	src := l.Source(&blockingTwin{grayTwin: grayTwin{f: vision.NewFrame(32, 24)}, frames: 2})
	clk.t = clk.t.Add(StallAfter - time.Millisecond)
	if d := l.Stalled(); d != 0 {
		t.Fatalf("stalled %s before StallAfter without a first frame", d)
	}
	clk.t = clk.t.Add(time.Millisecond)
	if d := l.Stalled(); d != StallAfter {
		t.Fatalf("no first frame for StallAfter: stalled %s", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	for range 2 {
		if _, err := src.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d := l.Stalled(); d != 0 {
		t.Fatalf("stalled %s right after a frame", d)
	}
	clk.t = clk.t.Add(10 * time.Second)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, err := src.Next(ctx); err == nil {
		t.Fatal("the stalled source sent a frame")
	}
	if d := l.Stalled(); d != 10*time.Second {
		t.Fatalf("10 s without a frame: stalled %s", d)
	}
	l.Source(&grayTwin{f: vision.NewFrame(32, 24)}) // a new pipeline: wait again
	if d := l.Stalled(); d != 0 {
		t.Fatalf("stalled %s with a new source", d)
	}
}

// slowStill is a source of large frames: encoding one takes long enough
// to tell whether capture waits for it.
func TestLiveEncodesOutsideTheCaptureLock(t *testing.T) {
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	l := NewLive(clk.now)
	src := l.Source(&grayTwin{f: vision.NewFrame(3200, 2400)})
	ctx := context.Background()
	src.Next(ctx)
	t0 := time.Now()
	if _, _, ok, err := l.JPEG(); !ok || err != nil {
		t.Fatalf("JPEG: %v %v", ok, err)
	}
	encode := time.Since(t0)
	best := time.Hour
	for try := 0; try < 3; try++ {
		clk.t = clk.t.Add(time.Second) // a new frame to encode
		src.Next(ctx)
		done := make(chan struct{})
		go func() { l.JPEG(); close(done) }()
		time.Sleep(encode / 5) // the viewer is encoding
		clk.t = clk.t.Add(time.Second)
		t1 := time.Now()
		src.Next(ctx) // keeps the frame for the live view: takes the lock
		best = min(best, time.Since(t1))
		<-done
	}
	if best > encode/2 {
		t.Errorf("capture took %s while a viewer encoded (an encode takes %s): it waited for the encode", best, encode)
	}
}
