package edge

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"vigil/adapters/inmem"
	"vigil/adapters/synthetic"
	"vigil/domain"
	"vigil/vision"
)

// clocked plays a source at 10 frames per simulated second and stops after n.
type clocked struct {
	*synthetic.Scene
	n, i int
	now  time.Time
}

func (c *clocked) Next(ctx context.Context) (vision.Frame, error) {
	if c.i == c.n {
		return vision.Frame{}, io.EOF
	}
	c.i++
	c.now = c.now.Add(100 * time.Millisecond)
	return c.Scene.Next(ctx)
}

func runScene(t *testing.T, cfg synthetic.Config, frames int, mc MonitorConfig) (*inmem.EventStore, *inmem.Alerter) {
	t.Helper()
	scene, err := synthetic.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src := &clocked{Scene: scene, n: frames, now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	store, alerter := inmem.NewEventStore(), &inmem.Alerter{}
	log := slog.New(slog.DiscardHandler)
	rec := NewRecorder(store, []Alert{{Alerter: alerter}}, RecorderConfig{}, log)
	mc.Motion = domain.DefaultMotionSettings()
	mc.Recorder = rec
	mc.Now = func() time.Time { return src.now }
	m, err := NewMonitor(src, mc, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rec.Run(context.Background()) }()
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return store, alerter
}

func TestEventsFromTheSyntheticScene(t *testing.T) {
	// The figure walks in frames 0-39 and 100-139; the light goes up by 40
	// levels at frame 150 and back down at 180.
	store, alerter := runScene(t, synthetic.Config{Width: 640, Height: 480, FPS: 10, Seed: 2, Cycle: 100, LightEvery: 150}, 200, MonitorConfig{})
	events := store.Events()
	if len(events) != 2 {
		for _, e := range events {
			t.Logf("%s %v..%v frames %d", e.ID, e.Start.Format("05.0"), e.End.Format("05.0"), e.Frames)
		}
		t.Fatalf("%d events, want 2 (one per walk, none for the light)", len(events))
	}
	snaps := 0
	for _, ev := range events {
		if ev.Running() || ev.End.Sub(ev.Start) < 2*time.Second || ev.Frames < 20 || ev.BBox.Empty() || ev.PeakScore <= 0 {
			t.Errorf("event %+v: want a closed event of the walk", ev)
		}
		// first and last always; peak too unless it is one of those frames.
		n := len(ev.Snapshots)
		if n < 2 || n > 3 || ev.Snapshots[0].Kind != domain.FirstSnapshot || ev.Snapshots[n-1].Kind != domain.LastSnapshot ||
			(n == 3 && ev.Snapshots[1].Kind != domain.PeakSnapshot) {
			t.Fatalf("event %s snapshots %+v: want first, [peak,] last", ev.ID, ev.Snapshots)
		}
		for i, s := range ev.Snapshots {
			b, ok := store.File(s.Name)
			if !ok || s.Bytes != len(b) {
				t.Fatalf("snapshot %d %+v: file missing or size wrong", i, s)
			}
			img, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds().Dx() != 640 {
				t.Fatalf("snapshot %s: %v (full-size JPEG expected)", s.Name, err)
			}
			if i > 0 && s.Frame <= ev.Snapshots[i-1].Frame {
				t.Errorf("snapshot frames not increasing: %+v", ev.Snapshots)
			}
		}
		snaps += n
	}
	if len(store.Outbox()) != snaps {
		t.Errorf("outbox %v, want the %d snapshots", store.Outbox(), snaps)
	}
	if len(alerter.Alerts()) != 2 {
		t.Errorf("%d alerts, want 2", len(alerter.Alerts()))
	}
}

func TestExcludedRegionAndScheduleSilenceEvents(t *testing.T) {
	// The figure walks across the middle band; excluding it leaves nothing.
	exclude := []vision.Region{{Points: []vision.Point{{X: 0, Y: 0.3}, {X: 1, Y: 0.3}, {X: 1, Y: 0.95}, {X: 0, Y: 0.95}}, Exclude: true}}
	store, _ := runScene(t, synthetic.Config{Width: 320, Height: 240, FPS: 10, Seed: 3, Cycle: 100, LightEvery: 1000}, 100, MonitorConfig{Regions: exclude})
	if n := len(store.Events()); n != 0 {
		t.Errorf("%d events with the walk excluded, want 0", n)
	}
	store, _ = runScene(t, synthetic.Config{Width: 320, Height: 240, FPS: 10, Seed: 3, Cycle: 100, LightEvery: 1000}, 100, MonitorConfig{Schedule: &domain.Schedule{}})
	if n := len(store.Events()); n != 0 {
		t.Errorf("%d events while disarmed, want 0", n)
	}
}

func TestStopClosesTheRunningEvent(t *testing.T) {
	store, _ := runScene(t, synthetic.Config{Width: 320, Height: 240, FPS: 10, Seed: 4, Cycle: 100, LightEvery: 1000}, 25, MonitorConfig{})
	events := store.Events()
	if len(events) != 1 || events[0].Running() || len(events[0].Snapshots) < 2 {
		t.Fatalf("events %+v: want one, closed, with its snapshots", events)
	}
}

func TestRecorderFindsFacesAndAlertsOnThem(t *testing.T) {
	faces, err := vision.NewFaceDetector(vision.FaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store, onMotion, onFace := inmem.NewEventStore(), &inmem.Alerter{}, &inmem.Alerter{}
	rec := NewRecorder(store, []Alert{{Alerter: onMotion}, {Alerter: onFace, OnFace: true}}, RecorderConfig{Faces: faces}, slog.New(slog.DiscardHandler))
	photo, err := os.ReadFile("../../testdata/faces/gocv_ipc_doorway.jpg") // a man at a door, 1280×720
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	ev := domain.Event{ID: "01M8H0DK2R020XJT1W26BFV66G", Start: start, PeakAt: start,
		BBox: domain.Box{X0: 0.5, Y0: 0.45, X1: 0.65, Y1: 1}} // the man's motion box
	still := func() *vision.Still { s := rec.still(); s.SetJPEG(photo); s.Frame = 1; return s }
	rec.submit(recJob{ev: ev, kind: domain.FirstSnapshot, still: still(), alert: true})
	ev.End = start.Add(time.Second)
	rec.submit(recJob{ev: ev, still: still(), faces: true}) // the peak is the first frame: search only
	rec.submit(recJob{ev: ev, final: true})
	rec.close()
	if err := rec.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := store.Events()
	if len(got) != 1 || len(got[0].Faces) != 1 || len(got[0].Snapshots) != 1 {
		t.Fatalf("events %+v: want one with one face and one snapshot", got)
	}
	if f := got[0].Faces[0].Box; f.X0 < 0.5 || f.X1 > 0.65 || f.Y0 < 0.45 {
		t.Errorf("face box %+v outside the padded motion box", f)
	}
	if len(onMotion.Alerts()) != 1 || len(onFace.Alerts()) != 1 || len(onFace.Alerts()[0].Faces) != 1 {
		t.Errorf("alerts: %d on motion, %d on face; want 1 and 1 (with the face)", len(onMotion.Alerts()), len(onFace.Alerts()))
	}
}
