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
