package edge

import (
	"context"
	"errors"
	"testing"

	"vigil/domain"
	"vigil/vision"
)

// memSaver is the in-memory twin of SettingsSaver.
type memSaver struct {
	saved []Settings
	fail  error
}

func (m *memSaver) Save(s Settings) error {
	if m.fail != nil {
		return m.fail
	}
	m.saved = append(m.saved, s.Clone())
	return nil
}

func TestLiveSettings(t *testing.T) {
	ctx := context.Background()
	saver := &memSaver{}
	override := func(s Settings) Settings { s.Camera.Source = "file:/clip.mjpeg"; return s }
	l := NewLiveSettings(DefaultSettings(), override, saver)
	if l.Effective().Camera.Source != "file:/clip.mjpeg" || l.File().Camera.Source != "synthetic" {
		t.Fatalf("layers: effective %q, file %q", l.Effective().Camera.Source, l.File().Camera.Source)
	}
	changed := l.Changed()

	// A bad change: every problem named, nothing saved, nobody woken.
	err := l.Update(ctx, func(s *Settings) error {
		s.Camera.FPS = 0
		s.Regions = []vision.Region{{Points: []vision.Point{{X: 0, Y: 0}}}}
		return nil
	})
	if domain.KindOf(err) != domain.Invalid || len(saver.saved) != 0 {
		t.Fatalf("bad update: %v, saved %d", err, len(saver.saved))
	}
	select {
	case <-changed:
		t.Fatal("a refused change woke the watchers")
	default:
	}
	// A failed save changes nothing.
	saver.fail = errors.New("disk full")
	if err := l.Update(ctx, func(s *Settings) error { s.Camera.FPS = 10; return nil }); err == nil || l.File().Camera.FPS != 15 {
		t.Fatalf("failed save: %v, fps %d", err, l.File().Camera.FPS)
	}
	saver.fail = nil
	// A good change is saved (without the override) and wakes the watchers.
	region := vision.Region{Points: []vision.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 1, Y: 0.3}}}
	if err := l.Update(ctx, func(s *Settings) error { s.Regions = []vision.Region{region}; return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("watchers not woken")
	}
	if len(saver.saved) != 1 || saver.saved[0].Camera.Source != "synthetic" || len(saver.saved[0].Regions) != 1 {
		t.Fatalf("saved %+v", saver.saved)
	}
	// Copies are deep: editing one does not change the settings.
	f := l.File()
	f.Regions[0].Points[0].X = 0.5
	if l.File().Regions[0].Points[0].X != 0 {
		t.Fatal("File returned shared memory")
	}
	if l.Changed() == changed {
		t.Fatal("Changed did not renew")
	}
}
