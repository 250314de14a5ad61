package edge

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

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

// Current gives the settings in force with the channel that reports the
// next change after them: a watcher looping on it sees every change, the
// last one included, however the updates interleave with its reads.
func TestLiveSettingsCurrent(t *testing.T) {
	ctx := context.Background()
	override := func(s Settings) Settings { s.Camera.Source = "file:/clip.mjpeg"; return s }
	l := NewLiveSettings(DefaultSettings(), override, &memSaver{})
	s, ch := l.Current()
	if s.Camera.Source != "file:/clip.mjpeg" || s.Camera.FPS != DefaultSettings().Camera.FPS {
		t.Fatalf("Current: %+v", s.Camera)
	}
	select {
	case <-ch:
		t.Fatal("closed before any change")
	default:
	}
	if err := l.Update(ctx, func(s *Settings) error { s.Camera.FPS = 7; return nil }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	default:
		t.Fatal("the channel from Current was not closed by the change")
	}
	s, ch2 := l.Current()
	if s.Camera.FPS != 7 || ch2 == ch {
		t.Fatalf("after the change: fps %d, same channel %v", s.Camera.FPS, ch2 == ch)
	}

	const n = 200
	var wg sync.WaitGroup
	seen := make(chan int, 1)
	done := make(chan struct{})
	wg.Go(func() {
		last := 0
		for {
			s, ch := l.Current()
			last = s.Camera.FPS
			select {
			case <-ch:
			case <-done:
				select {
				case <-ch: // a change came too: read it first
					continue
				default:
				}
				if s, _ := l.Current(); s.Camera.FPS != last {
					t.Errorf("watcher missed a change: has fps %d, in force %d", last, s.Camera.FPS)
				}
				seen <- last
				return
			}
		}
	})
	wg.Go(func() {
		for i := range n {
			if err := l.Update(ctx, func(s *Settings) error { s.Camera.FPS = 1 + i%30; return nil }); err != nil {
				t.Error(err)
			}
		}
	})
	time.Sleep(10 * time.Millisecond)
	for s, _ := l.Current(); s.Camera.FPS != 1+(n-1)%30; s, _ = l.Current() {
		time.Sleep(time.Millisecond)
	}
	close(done)
	wg.Wait()
	if got := <-seen; got != 1+(n-1)%30 {
		t.Fatalf("watcher ended on fps %d, want %d", got, 1+(n-1)%30)
	}
}
