package edge

import (
	"context"
	"log/slog"
	"time"

	"vigil/domain"
	"vigil/ports"
)

const (
	// tracePreRoll is how many frames before an event its trace shows.
	tracePreRoll = 30
	// traceMaxPoints bounds a trace: a longer event keeps one point (the
	// highest score) per 2, 4, … frames.
	traceMaxPoints = 1024
)

type traceJob struct {
	id domain.EventID
	tr domain.ScoreTrace
}

// Tracer records each event's per-frame score (with a few frames before
// it) and stores it when the event ends, so the event page can show why it
// fired. OnFrame runs on the Monitor's goroutine and does no I/O; Run
// stores the traces until Close.
type Tracer struct {
	store    ports.ScoreTraces
	log      *slog.Logger
	jobs     chan traceJob
	minCells int

	pre           [tracePreRoll]float32
	preHead, preN int
	id            domain.EventID
	cur           *domain.ScoreTrace
	acc           float32 // the highest score of the point being filled
	accN          int
}

// NewTracer returns a Tracer storing into store.
func NewTracer(store ports.ScoreTraces, log *slog.Logger) *Tracer {
	return &Tracer{store: store, log: log, jobs: make(chan traceJob, 16),
		minCells: domain.DefaultMotionSettings().MinChangedCells()}
}

// SetMotion tells the Tracer the threshold in force; call it before the
// Monitor runs.
func (t *Tracer) SetMotion(m domain.MotionSettings) { t.minCells = m.MinChangedCells() }

// OnFrame records a frame (MonitorConfig.OnFrame).
func (t *Tracer) OnFrame(r FrameReport) {
	score := float32(r.Score)
	if r.Event == "" {
		t.End()
		t.pre[t.preHead] = score
		t.preHead = (t.preHead + 1) % len(t.pre)
		t.preN = min(t.preN+1, len(t.pre))
		return
	}
	if r.Event != t.id {
		t.End()
		t.id = r.Event
		t.cur = &domain.ScoreTrace{Step: 1, Scores: make([]float32, 0, 256)}
		start := (t.preHead - t.preN + len(t.pre)) % len(t.pre)
		for i := 0; i < t.preN; i++ {
			t.cur.Scores = append(t.cur.Scores, t.pre[(start+i)%len(t.pre)])
		}
		t.cur.PreRoll = t.preN
		t.preN = 0
		if r.WatchedCells > 0 {
			t.cur.Threshold = float32(100 * float64(t.minCells) / float64(r.WatchedCells))
		}
	}
	t.acc = max(t.acc, score)
	t.accN++
	if t.accN < t.cur.Step {
		return
	}
	t.cur.Scores = append(t.cur.Scores, t.acc)
	t.acc, t.accN = 0, 0
	if len(t.cur.Scores) >= traceMaxPoints { // halve: one point per twice as many frames
		s := t.cur.Scores
		for i := 0; i < len(s)/2; i++ {
			s[i] = max(s[2*i], s[2*i+1])
		}
		t.cur.Scores = s[:len(s)/2]
		t.cur.PreRoll /= 2
		t.cur.Step *= 2
	}
}

// End hands the running event's trace to Run (when the event ended, or the
// Monitor stopped). It never blocks: a trace is dropped when Run lags.
func (t *Tracer) End() {
	if t.cur == nil {
		return
	}
	if t.accN > 0 {
		t.cur.Scores = append(t.cur.Scores, t.acc)
		t.acc, t.accN = 0, 0
	}
	select {
	case t.jobs <- traceJob{t.id, *t.cur}:
	default:
		t.log.Warn("score trace dropped: the store lags", "event", t.id)
	}
	t.cur, t.id = nil, ""
}

// Close hands over the running event's trace and ends Run once it has
// stored everything; call it when the Monitor has returned.
func (t *Tracer) Close() {
	t.End()
	close(t.jobs)
}

// Run stores the traces until Close. After ctx ends it still stores the
// last ones, each within 2 s.
func (t *Tracer) Run(ctx context.Context) error {
	for j := range t.jobs {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := t.store.SaveTrace(sctx, j.id, j.tr); err != nil {
			t.log.Warn("score trace not stored", "event", j.id, "err", err)
		}
		cancel()
	}
	return nil
}
