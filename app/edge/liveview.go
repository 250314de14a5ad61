package edge

import (
	"context"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
	"vigil/vision"
)

// LiveFPS is the most frames a second the live view keeps of the camera.
const LiveFPS = 5

// ScoreHistory is how many frames' scores the live chart shows.
const ScoreHistory = 150

// ScorePoint is one analysed frame on the live chart.
type ScorePoint struct {
	Frame     int64
	Score     float64 // percentage of watched cells changed
	Threshold float64 // the score at which a frame shows motion
	Verdict   domain.Verdict
}

// Overlay is the last analysed frame's motion: the changed area and, per
// grid cell, the share (0..1) of its watched pixels that changed (-1 for a
// cell outside every region).
type Overlay struct {
	Frame      int64
	BBox       domain.Box
	Cols, Rows int
	Cells      []float64
}

// Live is what the live view shows: the camera's latest frame (at most
// LiveFPS a second) as JPEG, the recent scores against the threshold, the
// last frame's overlay, and the monitor's last summary. The daemon puts it
// between the camera and the Monitor (Source) and gives it the Monitor's
// reports (OnFrame, Report). Safe for concurrent use; one Live serves the
// successive pipelines of a daemon whose settings change.
type Live struct {
	now   func() time.Time
	every time.Duration

	mu       sync.Mutex
	still    vision.Still
	seq      uint64
	stillAt  time.Time
	jpeg     []byte // of still as of jpegSeq; never written in place
	jpegSeq  uint64
	sourceAt time.Time     // when the running pipeline's source was wrapped
	frameAt  time.Time     // of its last frame; zero before the first
	wake     chan struct{} // closed when a new frame arrives
	points   [ScoreHistory]ScorePoint
	head, n  int
	overlay  Overlay
	minCells int
	summary  Summary
}

// NewLive returns an empty live view; now may be nil (time.Now).
func NewLive(now func() time.Time) *Live {
	if now == nil {
		now = time.Now
	}
	return &Live{now: now, every: time.Second / LiveFPS, wake: make(chan struct{}),
		minCells: domain.DefaultMotionSettings().MinChangedCells()}
}

// SetMotion tells the chart the motion settings in force (its threshold).
func (l *Live) SetMotion(m domain.MotionSettings) {
	l.mu.Lock()
	l.minCells = m.MinChangedCells()
	l.mu.Unlock()
}

// StallAfter is how long the camera may send no frame before the status
// says it stalled (and shows 0 frames a second).
const StallAfter = 3 * time.Second

// Source wraps src so that the live view keeps a copy of its frames. It
// starts the wait for the new source's first frame (Stalled).
func (l *Live) Source(src ports.FrameSource) ports.FrameSource {
	l.mu.Lock()
	l.sourceAt, l.frameAt = l.now(), time.Time{}
	l.mu.Unlock()
	return liveSource{src, l}
}

// Stalled returns how long the camera has sent no frame (counted from the
// source's start before its first), when that is StallAfter or more; 0
// while frames flow or before any source.
func (l *Live) Stalled() time.Duration {
	now := l.now()
	l.mu.Lock()
	last := l.frameAt
	if last.IsZero() {
		last = l.sourceAt
	}
	l.mu.Unlock()
	if d := now.Sub(last); !last.IsZero() && d >= StallAfter {
		return d
	}
	return 0
}

type liveSource struct {
	ports.FrameSource
	l *Live
}

func (s liveSource) Next(ctx context.Context) (vision.Frame, error) {
	f, err := s.FrameSource.Next(ctx)
	if err != nil {
		return f, err
	}
	l := s.l
	now := l.now()
	l.mu.Lock()
	l.frameAt = now
	if now.Sub(l.stillAt) >= l.every || l.seq == 0 {
		s.FrameSource.Hold(&l.still)
		l.stillAt = now
		l.seq++
		close(l.wake)
		l.wake = make(chan struct{})
	}
	l.mu.Unlock()
	return f, nil
}

// JPEG returns the latest frame as JPEG and its sequence number; ok is false
// before the first frame. The bytes are never changed afterwards. The
// frame is encoded outside the lock the capture goroutine takes (on a
// copy), so a viewer never holds up capture.
func (l *Live) JPEG() (b []byte, seq uint64, ok bool, err error) {
	l.mu.Lock()
	if l.seq == 0 || l.still.Empty() {
		l.mu.Unlock()
		return nil, 0, false, nil
	}
	if l.jpegSeq == l.seq {
		b, seq = l.jpeg, l.seq
		l.mu.Unlock()
		return b, seq, true, nil
	}
	seq = l.seq
	s := stills.Get().(*vision.Still)
	defer stills.Put(s)
	s.CopyFrom(&l.still)
	l.mu.Unlock()

	if b, err = s.AppendJPEG(nil, 80); err != nil {
		return nil, 0, false, err
	}
	l.mu.Lock()
	if seq > l.jpegSeq { // still the newest encoding: publish it
		l.jpeg, l.jpegSeq = b, seq
	}
	l.mu.Unlock()
	return b, seq, true, nil
}

// stills are the copies JPEG encodes, reused.
var stills = sync.Pool{New: func() any { return new(vision.Still) }}

// Wait blocks until a frame newer than seq arrives (or ctx ends) and
// returns its sequence number.
func (l *Live) Wait(ctx context.Context, seq uint64) (uint64, error) {
	for {
		l.mu.Lock()
		cur, wake := l.seq, l.wake
		l.mu.Unlock()
		if cur > seq {
			return cur, nil
		}
		select {
		case <-ctx.Done():
			return seq, ctx.Err()
		case <-wake:
		}
	}
}

// OnFrame records an analysed frame (MonitorConfig.OnFrame). It allocates
// nothing once the overlay has its size.
func (l *Live) OnFrame(r FrameReport) {
	l.mu.Lock()
	defer l.mu.Unlock()
	thr := 0.0
	if r.WatchedCells > 0 {
		thr = 100 * float64(l.minCells) / float64(r.WatchedCells)
	}
	l.points[l.head] = ScorePoint{Frame: r.Frame, Score: r.Score, Threshold: thr, Verdict: r.Verdict}
	l.head = (l.head + 1) % len(l.points)
	l.n = min(l.n+1, len(l.points))
	if r.Cells == nil {
		return
	}
	o := &l.overlay
	o.Frame, o.BBox, o.Cols, o.Rows = r.Frame, r.BBox, r.Grid.Cols, r.Grid.Rows
	if cap(o.Cells) < len(r.Cells) {
		o.Cells = make([]float64, len(r.Cells))
	}
	o.Cells = o.Cells[:len(r.Cells)]
	for i, c := range r.Cells {
		if i >= len(r.CellArea) || r.CellArea[i] == 0 {
			o.Cells[i] = -1
			continue
		}
		o.Cells[i] = float64(c) / float64(r.CellArea[i])
	}
}

// Report records a Monitor summary (MonitorConfig.Report).
func (l *Live) Report(s Summary) {
	l.mu.Lock()
	l.summary = s
	l.mu.Unlock()
}

// Summary returns the last summary.
func (l *Live) Summary() Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.summary
}

// Scores returns the chart's points, oldest first, and the last overlay.
func (l *Live) Scores() ([]ScorePoint, Overlay) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pts := make([]ScorePoint, 0, l.n)
	start := (l.head - l.n + len(l.points)) % len(l.points)
	for i := 0; i < l.n; i++ {
		pts = append(pts, l.points[(start+i)%len(l.points)])
	}
	o := l.overlay
	o.Cells = append([]float64(nil), o.Cells...)
	return pts, o
}

// Status is what the status page shows.
type Status struct {
	Version        string
	Started        time.Time
	Uptime         time.Duration
	FPS            float64
	AnalysisMicros float64
	Kernel         string
	Analysis       string // analysis frame size
	Dropped        int    // snapshots not kept in the last period (not camera frames)
	InEvent        bool
	DiskUsed       int64
	QuotaBytes     int64
	DiskFree       int64 // -1 when unknown
	MinFreeBytes   int64
	OutboxLen      int
	Uploads        bool // the device uploads to a cloud
	Uploaded       int
	LastUploadErr  string
	// Source is the camera's source, its password and query values
	// redacted.
	Source string
	// Camera is "" while the camera sends frames, else why it does not
	// (e.g. "camera stalled: no frame for 12s; mjpeg: …: 401 Unauthorized").
	Camera string
	// Problems are failures that keep part of the pipeline from working
	// (an output that could not start, a camera pipeline that stopped).
	Problems []string
	// Cloud is what the cloud last said of this device (license, seats,
	// rejections); nil while the device is not enrolled.
	Cloud *CloudStatus
}
