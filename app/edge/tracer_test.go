package edge

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"vigil/domain"
)

// memTraces is the in-memory twin of ports.ScoreTraces.
type memTraces struct {
	mu sync.Mutex
	m  map[domain.EventID]domain.ScoreTrace
}

func (m *memTraces) SaveTrace(_ context.Context, id domain.EventID, tr domain.ScoreTrace) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[id] = tr
	return nil
}

func (m *memTraces) get(id domain.EventID) (domain.ScoreTrace, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	tr, ok := m.m[id]
	return tr, ok
}

func TestTracer(t *testing.T) {
	store := &memTraces{m: map[domain.EventID]domain.ScoreTrace{}}
	tr := NewTracer(store, slog.New(slog.DiscardHandler))
	tr.SetMotion(domain.MotionSettings{Sensitivity: 5, MinCells: 3})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tr.Run(ctx) }()

	a := domain.NewEventID(time.Unix(1000, 0), [10]byte{1})
	b := domain.NewEventID(time.Unix(2000, 0), [10]byte{2})
	for i := 0; i < 40; i++ { // quiet: the pre-roll keeps the last 30
		tr.OnFrame(FrameReport{Score: float64(i), WatchedCells: 300})
	}
	for i := 0; i < 5; i++ {
		tr.OnFrame(FrameReport{Score: 50, WatchedCells: 300, Event: a})
	}
	for i := 0; i < 3000; i++ { // a long event right after: halved to fit
		tr.OnFrame(FrameReport{Score: float64(i % 100), WatchedCells: 300, Event: b})
	}
	cancel() // Run goes on until Close
	tr.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ta, ok := store.get(a)
	if !ok || ta.PreRoll != 30 || len(ta.Scores) != 35 || ta.Scores[0] != 10 || ta.Scores[34] != 50 || ta.Threshold != 1 || ta.Step != 1 {
		t.Fatalf("trace a: ok=%v %+v", ok, ta)
	}
	tb, ok := store.get(b)
	if !ok || tb.PreRoll != 0 || tb.Step != 4 || len(tb.Scores) != 750 || tb.Scores[0] != 3 {
		t.Fatalf("trace b: ok=%v step %d, %d points, pre %d, first %v", ok, tb.Step, len(tb.Scores), tb.PreRoll, tb.Scores[:1])
	}
}
