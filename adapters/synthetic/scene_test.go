package synthetic

import (
	"context"
	"testing"
	"time"
)

func TestSceneIsDeterministicAndMoves(t *testing.T) {
	cfg := Config{Width: 160, Height: 120, FPS: 10, Seed: 3}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(cfg)
	ctx := context.Background()
	var prev []byte
	for n := 0; n < 12; n++ {
		fa, _ := a.Next(ctx)
		fb, _ := b.Next(ctx)
		if string(fa.Pix) != string(fb.Pix) {
			t.Fatalf("frame %d differs between two scenes with one seed", n)
		}
		if prev != nil && string(prev) == string(fa.Pix) {
			t.Fatalf("frame %d equals the previous one: no noise, no motion", n)
		}
		prev = append(prev[:0], fa.Pix...)
	}
	if !a.FigureVisible(1) || a.FigureVisible(50) || !a.LightOn(250) || a.LightOn(10) {
		t.Error("figure/light schedule wrong")
	}
}

func TestSceneRealtimeHonoursContext(t *testing.T) {
	s, err := New(Config{Width: 32, Height: 32, FPS: 1, Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); err != nil { // the first frame comes at once
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.Next(ctx); err == nil {
		t.Fatal("second frame at 1 fps arrived before the context ended")
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("Next ignored the context")
	}
}

func TestSceneRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{Width: 8, Height: 100, FPS: 5}, {Width: 100, Height: 100}, {Width: 5000, Height: 100, FPS: 5}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) succeeded", c)
		}
	}
}
