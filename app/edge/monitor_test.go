package edge

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"vigil/adapters/synthetic"
	"vigil/domain"
	"vigil/ports"
	"vigil/vision"
)

// finite stops a source after n frames.
type finite struct {
	ports.FrameSource
	n int
}

func (f *finite) Next(ctx context.Context) (vision.Frame, error) {
	if f.n == 0 {
		return vision.Frame{}, io.EOF
	}
	f.n--
	return f.FrameSource.Next(ctx)
}

// fakeClock advances by step on every call, so summaries come per frame count.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(step); return t }
}

func TestMonitorSeesTheFigureAndTheLight(t *testing.T) {
	scene, err := synthetic.New(synthetic.Config{Width: 640, Height: 480, FPS: 10, Seed: 1, Cycle: 50, LightEvery: 80})
	if err != nil {
		t.Fatal(err)
	}
	var sums []Summary
	m, err := NewMonitor(&finite{scene, 120}, MonitorConfig{
		Motion: domain.DefaultMotionSettings(), Every: time.Second, Now: fakeClock(50 * time.Millisecond),
		Report: func(s Summary) { sums = append(sums, s) },
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var frames, motion, light int
	for _, s := range sums {
		frames += s.Frames
		motion += s.MotionFrames
		light += s.LightFrames
		if s.Analysis != "320x240" {
			t.Fatalf("analysis size %s, want 320x240", s.Analysis)
		}
	}
	if frames != 120 {
		t.Errorf("%d frames summarised, want 120", frames)
	}
	// The figure walks in frames 0-19, 50-69, 100-119; the light switches on
	// at frame 80 (and off again at 110): two light frames, and motion only
	// while the figure is in view.
	if motion < 30 || motion > 60 {
		t.Errorf("%d motion frames, want about 57 (figure visible)", motion)
	}
	if light < 1 || light > 3 {
		t.Errorf("%d light frames, want 2", light)
	}
}

func TestMonitorRejectsBadSettings(t *testing.T) {
	_, err := NewMonitor(&finite{}, MonitorConfig{Motion: domain.MotionSettings{Sensitivity: 0}}, slog.New(slog.DiscardHandler))
	if domain.KindOf(err) != domain.Invalid {
		t.Fatalf("error %v, want invalid", err)
	}
	_, err = NewMonitor(&finite{}, MonitorConfig{Motion: domain.DefaultMotionSettings(),
		Regions: []vision.Region{{Points: []vision.Point{{X: 0, Y: 0}}}}}, slog.New(slog.DiscardHandler))
	if domain.KindOf(err) != domain.Invalid {
		t.Fatalf("error %v, want invalid", err)
	}
}

// startEvent starts an event on m as the Run loop does, from src's frame.
func startEvent(t *testing.T, m *Monitor) {
	t.Helper()
	if _, err := m.src.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := &analyser{prev: vision.NewFrame(32, 24)}
	m.record(time.Now(), domain.Started, domain.FrameMotion{Verdict: domain.Motion, Score: 5}, a)
}

// TestEventStartTakesBothFramesOrNone: with one free frame buffer left
// after the first snapshot, the peak is not taken without the last frame
// (it would never be filled, and stored as an empty still).
func TestEventStartTakesBothFramesOrNone(t *testing.T) {
	rec := NewRecorder(nil, nil, RecorderConfig{Stills: 2}, slog.New(slog.DiscardHandler))
	m, err := NewMonitor(&grayTwin{f: vision.NewFrame(32, 24)}, MonitorConfig{Motion: domain.DefaultMotionSettings(), Recorder: rec},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	startEvent(t, m)
	if (m.peak == nil) != (m.last == nil) || (m.peak != nil && m.peak.Empty()) {
		t.Fatalf("peak %v, last %v: want both frames or neither, never an empty one", m.peak, m.last)
	}
	if len(rec.free) != 1 {
		t.Errorf("%d free frame buffers, want the one not used given back", len(rec.free))
	}
}

// TestEndedEventIsClosedAfterAFullQueue: an event's last update that
// finds the Recorder's queue full is sent again once there is room, so the
// event does not stay running.
func TestEndedEventIsClosedAfterAFullQueue(t *testing.T) {
	rec := NewRecorder(nil, nil, RecorderConfig{Queue: 1}, slog.New(slog.DiscardHandler))
	m, err := NewMonitor(&grayTwin{f: vision.NewFrame(32, 24)}, MonitorConfig{Motion: domain.DefaultMotionSettings(), Recorder: rec},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	startEvent(t, m) // its first snapshot fills the queue
	id := m.ev.ID
	m.endEvent()
	if j := <-rec.jobs; j.final || j.kind != domain.FirstSnapshot {
		t.Fatalf("first job %+v, want the first snapshot", j)
	}
	m.resubmit() // as the next frame does
	select {
	case j := <-rec.jobs:
		if !j.final || j.ev.ID != id || j.ev.End.IsZero() {
			t.Fatalf("job %+v, want the event's last update", j)
		}
	default:
		t.Fatal("the ended event's last update was dropped: the event stays running")
	}
}
