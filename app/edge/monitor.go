// Package edge holds the use cases of vigil-edge: watching a camera for
// motion (Monitor) and, as they land, events, snapshots, outputs and uploads.
package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"vigil/domain"
	"vigil/ports"
	"vigil/vision"
)

// MaxAnalysisWidth bounds the frame the motion kernel sees: camera frames
// are halved (2×2 box average) until they are at most this wide.
const MaxAnalysisWidth = 320

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	Motion  domain.MotionSettings
	Regions []vision.Region
	Grid    vision.Grid  // default 16×12
	Impl    *vision.Impl // nil: vision.Active()
	// Every is how often a Summary is reported (default 1 s).
	Every time.Duration
	// Report receives the summaries; it runs on the Monitor's goroutine.
	Report func(Summary)
	Now    func() time.Time
}

// Summary describes the frames of one reporting period.
type Summary struct {
	At             time.Time
	Frames         int
	FPS            float64
	MotionFrames   int
	LightFrames    int
	MaxScore       float64 // highest percentage of watched cells changed
	ChangedPixels  int     // summed over the period
	AnalysisMicros float64 // mean µs per frame: downscale + fused kernel + rules
	Kernel         string
	Analysis       string // e.g. "320x240"
}

// Monitor reads frames, scales them to the analysis size, runs the fused
// motion kernel and applies the domain's motion rules.
type Monitor struct {
	src ports.FrameSource
	cfg MonitorConfig
	log *slog.Logger
}

// NewMonitor validates cfg; it starts nothing.
func NewMonitor(src ports.FrameSource, cfg MonitorConfig, log *slog.Logger) (*Monitor, error) {
	if err := cfg.Motion.Validate(); err != nil {
		return nil, err
	}
	for i, r := range cfg.Regions {
		if err := r.Validate(); err != nil {
			return nil, domain.E("monitor", domain.Invalid, fmt.Errorf("region %d: %w", i, err))
		}
	}
	if cfg.Grid == (vision.Grid{}) {
		cfg.Grid = vision.Grid{Cols: 16, Rows: 12}
	}
	if cfg.Impl == nil {
		cfg.Impl = vision.Active()
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Report == nil {
		cfg.Report = func(Summary) {}
	}
	return &Monitor{src: src, cfg: cfg, log: log}, nil
}

// analyser holds the per-size state: scaled frames and the Differ.
type analyser struct {
	w, h      int // camera size
	scaled    []vision.Frame
	prev, cur vision.Frame
	differ    *vision.Differ
	res       vision.DiffResult
	primed    bool
}

func (m *Monitor) newAnalyser(w, h int) (*analyser, error) {
	a := &analyser{w: w, h: h}
	for w > MaxAnalysisWidth && w >= 2 && h >= 2 {
		w, h = w/2, h/2
		a.scaled = append(a.scaled, vision.NewFrame(w, h))
	}
	a.prev, a.cur = vision.NewFrame(w, h), vision.NewFrame(w, h)
	mask, err := vision.RasterizeRegions(w, h, m.cfg.Regions)
	if err != nil {
		return nil, err
	}
	grid := vision.Grid{Cols: min(m.cfg.Grid.Cols, w), Rows: min(m.cfg.Grid.Rows, h)}
	a.differ, err = vision.NewDiffer(w, h, vision.DiffOptions{
		Threshold: m.cfg.Motion.Threshold(), Mask: mask, Grid: grid, Impl: m.cfg.Impl})
	return a, err
}

// analyse scales f into a.cur, compares it with the previous frame and
// swaps. It allocates nothing.
func (a *analyser) analyse(f vision.Frame, impl *vision.Impl) bool {
	src := f
	for _, s := range a.scaled[:max(0, len(a.scaled)-1)] {
		impl.Downscale2(s, src)
		src = s
	}
	if len(a.scaled) > 0 {
		impl.Downscale2(a.cur, src)
	} else {
		for y := 0; y < f.Height; y++ {
			copy(a.cur.Row(y), f.Row(y))
		}
	}
	if !a.primed {
		a.primed = true
		a.prev, a.cur = a.cur, a.prev
		return false
	}
	a.differ.Diff(a.prev, a.cur, &a.res)
	a.prev, a.cur = a.cur, a.prev
	return true
}

// Run watches the source until ctx ends or the source does (io.EOF, which
// is not an error).
func (m *Monitor) Run(ctx context.Context) error {
	var a *analyser
	var sum Summary
	start := m.cfg.Now()
	var busy time.Duration
	flush := func(now time.Time) {
		if sum.Frames > 0 {
			sum.At = now
			sum.FPS = float64(sum.Frames) / now.Sub(start).Seconds()
			sum.AnalysisMicros = float64(busy.Microseconds()) / float64(sum.Frames)
			m.cfg.Report(sum)
		}
		start, busy = now, 0
		sum = Summary{Kernel: sum.Kernel, Analysis: sum.Analysis}
	}
	for {
		f, err := m.src.Next(ctx)
		if errors.Is(err, io.EOF) {
			flush(m.cfg.Now())
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("monitor: next frame: %w", err)
		}
		t0 := m.cfg.Now()
		if a == nil || a.w != f.Width || a.h != f.Height {
			if a, err = m.newAnalyser(f.Width, f.Height); err != nil {
				return fmt.Errorf("monitor: %dx%d frames: %w", f.Width, f.Height, err)
			}
			sum.Kernel = m.cfg.Impl.Name()
			sum.Analysis = fmt.Sprintf("%dx%d", a.prev.Width, a.prev.Height)
			m.log.Info("analysing", "camera", fmt.Sprintf("%dx%d", f.Width, f.Height), "analysis", sum.Analysis, "kernel", sum.Kernel)
		}
		if a.analyse(f, m.cfg.Impl) {
			fm := m.cfg.Motion.Classify(a.res.Cells, a.differ.CellArea())
			switch fm.Verdict {
			case domain.Motion:
				sum.MotionFrames++
			case domain.LightChange:
				sum.LightFrames++
			}
			sum.MaxScore = max(sum.MaxScore, fm.Score)
			sum.ChangedPixels += a.res.Changed
		}
		sum.Frames++
		now := m.cfg.Now()
		busy += now.Sub(t0)
		if now.Sub(start) >= m.cfg.Every {
			flush(now)
		}
	}
}
