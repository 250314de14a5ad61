// Package edge holds the use cases of vigil-edge: watching a camera for
// motion (Monitor) and, as they land, events, snapshots, outputs and uploads.
package edge

import (
	"context"
	"crypto/rand"
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
	Motion   domain.MotionSettings
	Events   domain.EventRules // zero: domain.DefaultEventRules()
	Schedule *domain.Schedule  // nil: always armed
	Regions  []vision.Region
	// Recorder stores the events; nil tracks them without storing. Run
	// closes the Recorder's queue when it returns.
	Recorder *Recorder
	// Entropy fills event IDs' random part; default crypto/rand.
	Entropy func([]byte)
	Grid    vision.Grid  // default 32×24 (the sensitivity table is tuned for it)
	Impl    *vision.Impl // nil: vision.Active()
	// Every is how often a Summary is reported (default 1 s).
	Every time.Duration
	// Report receives the summaries; it runs on the Monitor's goroutine.
	Report func(Summary)
	// OnFrame, when set, receives every analysed frame's outcome (the
	// analyze command prints them); it runs on the Monitor's goroutine.
	OnFrame func(FrameReport)
	Now     func() time.Time
}

// Summary describes the frames of one reporting period.
type Summary struct {
	At             time.Time
	Frames         int
	FPS            float64
	MotionFrames   int
	LightFrames    int
	EventsStarted  int
	InEvent        bool    // an event is running at the end of the period
	Dropped        int     // snapshots not kept: every frame buffer or the queue was busy
	MaxScore       float64 // highest percentage of watched cells changed
	ChangedPixels  int     // summed over the period
	AnalysisMicros float64 // mean µs per frame: downscale + fused kernel + rules
	Kernel         string
	Analysis       string // e.g. "320x240"
}

// FrameReport is one frame's outcome.
type FrameReport struct {
	Frame        int64 // 1-based, counting every frame read
	Verdict      domain.Verdict
	Score        float64
	ChangedCells int
	WatchedCells int
	Event        domain.EventID // the running event, if any
	// BBox bounds the frame's changed pixels (normalised); Cells and
	// CellArea are the changed and watched pixels per grid cell (Grid.Cols
	// × Grid.Rows, row-major). The slices are the Monitor's own: valid only
	// during the OnFrame call, nil before the first comparison.
	BBox            domain.Box
	Cells, CellArea []int32
	Grid            vision.Grid
}

// Monitor reads frames, scales them to the analysis size, runs the fused
// motion kernel and applies the domain's motion rules.
type Monitor struct {
	src     ports.FrameSource
	cfg     MonitorConfig
	log     *slog.Logger
	tracker *domain.Tracker
	ev      domain.Event  // the running event
	peak    *vision.Still // its best frame so far
	last    *vision.Still // its last motion frame
	// firstFrame is the source frame number of the event's first snapshot;
	// lastMotion the time of its last motion frame.
	firstFrame int64
	lastMotion time.Time
	// finals are the last updates of ended events that found the
	// Recorder's queue full: sent again on the next frames, so that no
	// event stays running in the store.
	finals []domain.Event
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
	if cfg.Events == (domain.EventRules{}) {
		cfg.Events = domain.DefaultEventRules()
	}
	tracker, err := domain.NewTracker(cfg.Events)
	if err != nil {
		return nil, err
	}
	if err := cfg.Schedule.Validate(); err != nil {
		return nil, err
	}
	if cfg.Entropy == nil {
		cfg.Entropy = func(b []byte) { _, _ = rand.Read(b) }
	}
	if cfg.Grid == (vision.Grid{}) {
		cfg.Grid = vision.Grid{Cols: 32, Rows: 24}
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
	return &Monitor{src: src, cfg: cfg, log: log, tracker: tracker}, nil
}

// record keeps the running event's fields and frames up to date and hands
// the Recorder what must be stored. It returns how many frames it could not
// keep.
func (m *Monitor) record(now time.Time, change domain.Change, fm domain.FrameMotion, a *analyser) (dropped int) {
	rec := m.cfg.Recorder
	box := normBox(a.res.BBox, a.prev.Width, a.prev.Height)
	switch change {
	case domain.Started:
		var e [10]byte
		m.cfg.Entropy(e[:])
		m.ev = domain.Event{ID: domain.NewEventID(now, e), Start: now, PeakScore: fm.Score, PeakAt: now,
			BBox: box, ChangedCells: fm.ChangedCells, Frames: 1}
		m.lastMotion = now
		m.log.Info("event started", "event", m.ev.ID, "score", fm.Score)
		if rec == nil {
			return 0
		}
		first := rec.still()
		if first == nil {
			return 1
		}
		m.src.Hold(first)
		m.firstFrame = first.Frame
		m.release()
		// Both frames or neither: one taken alone would never be filled
		// and would be stored as an empty still.
		if m.peak, m.last = rec.still(), rec.still(); m.peak != nil && m.last != nil {
			m.peak.CopyFrom(first)
			m.last.CopyFrom(first)
		} else {
			m.release()
		}
		if !rec.submit(recJob{ev: m.ev, kind: domain.FirstSnapshot, still: first, alert: true}) {
			return 1
		}
	case domain.Continues:
		if fm.Verdict != domain.Motion {
			return 0
		}
		m.ev.Frames++
		m.ev.BBox = unionBox(m.ev.BBox, box)
		if fm.Score > m.ev.PeakScore {
			m.ev.PeakScore, m.ev.PeakAt, m.ev.ChangedCells = fm.Score, now, fm.ChangedCells
			if m.peak != nil {
				m.src.Hold(m.peak)
			}
		}
		if m.last != nil {
			m.src.Hold(m.last)
		}
		m.ev.End = time.Time{}
		m.lastMotion = now
	case domain.Ended:
		return m.endEvent()
	}
	return 0
}

// endEvent closes the running event: its peak and last frames are stored
// (unless they are frames stored already) and its record gets its end.
func (m *Monitor) endEvent() (dropped int) {
	m.ev.End = m.lastMotion
	if m.ev.End.IsZero() || m.ev.End.Before(m.ev.Start) {
		m.ev.End = m.ev.Start
	}
	m.lastMotion = time.Time{}
	m.log.Info("event ended", "event", m.ev.ID, "frames", m.ev.Frames, "peak", m.ev.PeakScore, "seconds", m.ev.End.Sub(m.ev.Start).Seconds())
	rec := m.cfg.Recorder
	if rec == nil {
		return 0
	}
	if m.peak == nil || m.last == nil {
		dropped++
	}
	stored := m.firstFrame
	for _, k := range []struct {
		kind  domain.SnapshotKind
		still *vision.Still
	}{{domain.PeakSnapshot, m.peak}, {domain.LastSnapshot, m.last}} {
		if k.still == nil {
			continue
		}
		j := recJob{ev: m.ev, kind: k.kind, still: k.still, faces: k.kind == domain.PeakSnapshot}
		if k.still.Frame == stored || k.still.Frame == m.firstFrame { // the same frame is stored once
			if !j.faces {
				rec.release(k.still)
				continue
			}
			j.kind = "" // search it for faces, do not store it again
		}
		if j.kind != "" {
			stored = k.still.Frame
		}
		if !rec.submit(j) {
			dropped++
		}
	}
	m.peak, m.last = nil, nil
	m.finals = append(m.finals, m.ev)
	m.resubmit()
	return dropped
}

// resubmit queues the ended events' last updates that are still pending,
// oldest first, as far as the Recorder's queue has room.
func (m *Monitor) resubmit() {
	rec := m.cfg.Recorder
	for len(m.finals) > 0 && rec.submit(recJob{ev: m.finals[0], final: true}) {
		m.finals = m.finals[1:]
	}
	if len(m.finals) == 0 {
		m.finals = m.finals[:0:0] // let the array go
	}
}

// release gives back the running event's frame buffers.
func (m *Monitor) release() {
	if rec := m.cfg.Recorder; rec != nil {
		rec.release(m.peak)
		rec.release(m.last)
	}
	m.peak, m.last = nil, nil
}

// finish closes a running event when the Monitor stops.
func (m *Monitor) finish() {
	if m.tracker.Active() {
		m.endEvent()
	}
	m.release()
	// The Recorder works through its queue after the stop: wait for room
	// for the pending last updates (a bounded wait, should it be stuck).
	if rec := m.cfg.Recorder; rec != nil && len(m.finals) > 0 {
		t := time.NewTimer(10 * time.Second)
		defer t.Stop()
		for i, ev := range m.finals {
			select {
			case rec.jobs <- recJob{ev: ev, final: true}:
			case <-t.C:
				m.log.Error("events left running: the recorder's queue stayed full", "events", len(m.finals)-i)
				return
			}
		}
		m.finals = nil
	}
}

func normBox(r vision.Rect, w, h int) domain.Box {
	if r.Empty() {
		return domain.Box{}
	}
	return domain.Box{X0: float64(r.X0) / float64(w), Y0: float64(r.Y0) / float64(h),
		X1: float64(r.X1) / float64(w), Y1: float64(r.Y1) / float64(h)}
}

func unionBox(a, b domain.Box) domain.Box {
	if a.Empty() {
		return b
	}
	if b.Empty() {
		return a
	}
	return domain.Box{X0: min(a.X0, b.X0), Y0: min(a.Y0, b.Y0), X1: max(a.X1, b.X1), Y1: max(a.Y1, b.Y1)}
}

// analyser holds the per-size state: scaled frames, the last three
// analysis frames and the Differ.
type analyser struct {
	w, h             int // camera size
	scaled           []vision.Frame
	prev2, prev, cur vision.Frame
	differ           *vision.Differ
	res              vision.DiffResult
	primed           int // analysis frames seen, up to 2
}

func (m *Monitor) newAnalyser(w, h int) (*analyser, error) {
	a := &analyser{w: w, h: h}
	for w > MaxAnalysisWidth && w >= 2 && h >= 2 {
		w, h = w/2, h/2
		a.scaled = append(a.scaled, vision.NewFrame(w, h))
	}
	a.prev2, a.prev, a.cur = vision.NewFrame(w, h), vision.NewFrame(w, h), vision.NewFrame(w, h)
	mask, err := vision.RasterizeRegions(w, h, m.cfg.Regions)
	if err != nil {
		return nil, err
	}
	grid := vision.Grid{Cols: min(m.cfg.Grid.Cols, w), Rows: min(m.cfg.Grid.Rows, h)}
	a.differ, err = vision.NewDiffer(w, h, vision.DiffOptions{
		Threshold: m.cfg.Motion.Threshold(), Mask: mask, Grid: grid, Impl: m.cfg.Impl})
	return a, err
}

// analyse scales f into a.cur and compares it with the two frames before
// (the three-frame rule of domain.MotionSettings), then rotates the frames.
// It reports false until it has seen three frames. It allocates nothing.
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
	ready := a.primed == 2
	if ready {
		a.differ.Diff3(a.prev2, a.prev, a.cur, &a.res)
	} else {
		a.primed++
	}
	a.prev2, a.prev, a.cur = a.prev, a.cur, a.prev2
	return ready
}

// Run watches the source until ctx ends or the source does (io.EOF, which
// is not an error).
func (m *Monitor) Run(ctx context.Context) error {
	if m.cfg.Recorder != nil {
		defer m.cfg.Recorder.close()
	}
	defer m.finish()
	var a *analyser
	var frames int64
	var fm domain.FrameMotion
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
		if len(m.finals) > 0 {
			m.resubmit()
		}
		if a == nil || a.w != f.Width || a.h != f.Height {
			if a, err = m.newAnalyser(f.Width, f.Height); err != nil {
				return fmt.Errorf("monitor: %dx%d frames: %w", f.Width, f.Height, err)
			}
			sum.Kernel = m.cfg.Impl.Name()
			sum.Analysis = fmt.Sprintf("%dx%d", a.prev.Width, a.prev.Height)
			m.log.Info("analysing", "camera", fmt.Sprintf("%dx%d", f.Width, f.Height), "analysis", sum.Analysis, "kernel", sum.Kernel)
		}
		if a.analyse(f, m.cfg.Impl) {
			fm = m.cfg.Motion.Classify(a.res.Cells, a.differ.CellArea())
			switch fm.Verdict {
			case domain.Motion:
				sum.MotionFrames++
			case domain.LightChange:
				sum.LightFrames++
			}
			sum.MaxScore = max(sum.MaxScore, fm.Score)
			sum.ChangedPixels += a.res.Changed
			now := m.cfg.Now()
			change := m.tracker.Observe(now, fm.Verdict, m.cfg.Schedule.Armed(now))
			if change == domain.Started {
				sum.EventsStarted++
			}
			sum.Dropped += m.record(now, change, fm, a)
		}
		sum.InEvent = m.tracker.Active()
		frames++
		if m.cfg.OnFrame != nil {
			r := FrameReport{Frame: frames, Verdict: fm.Verdict, Score: fm.Score, ChangedCells: fm.ChangedCells,
				WatchedCells: fm.WatchedCells}
			if a.primed == 2 {
				r.BBox = normBox(a.res.BBox, a.prev.Width, a.prev.Height)
				r.Cells, r.CellArea, r.Grid = a.res.Cells, a.differ.CellArea(), a.differ.Grid()
			}
			if sum.InEvent {
				r.Event = m.ev.ID
			}
			m.cfg.OnFrame(r)
		}
		sum.Frames++
		now := m.cfg.Now()
		busy += now.Sub(t0)
		if now.Sub(start) >= m.cfg.Every {
			flush(now)
		}
	}
}
