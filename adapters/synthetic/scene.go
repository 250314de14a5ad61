// Package synthetic is a camera that films a made-up scene: a textured
// background with sensor noise, a figure that walks through now and then,
// and an occasional light switch. It lets Vigil run and be tested with no
// camera, and it is deterministic for a given seed.
package synthetic

import (
	"context"
	"fmt"
	"time"

	"vigil/ports"
	"vigil/vision"
)

// Config describes the scene.
type Config struct {
	Width, Height int
	FPS           int
	Seed          uint64
	// Realtime paces frames at FPS; otherwise Next returns at once.
	Realtime bool
	// Cycle is how long one walk of the figure (present then absent) lasts
	// in frames; the figure is visible in the first 40 % of it. Default 10 s.
	Cycle int
	// LightEvery puts a light switch (+40 levels for 3 s) every LightEvery
	// frames; 0 means every 25 s.
	LightEvery int
}

// Scene is a synthetic camera. It is not safe for concurrent use.
type Scene struct {
	cfg   Config
	bg    []byte
	frame vision.Frame
	n     int
	rng   uint64
	next  time.Time
	now   func() time.Time
}

var _ ports.FrameSource = (*Scene)(nil)

// New builds the scene; it starts nothing.
func New(cfg Config) (*Scene, error) {
	if cfg.Width < 16 || cfg.Height < 16 || cfg.Width > 4096 || cfg.Height > 4096 {
		return nil, fmt.Errorf("synthetic: size %dx%d outside 16..4096", cfg.Width, cfg.Height)
	}
	if cfg.FPS < 1 || cfg.FPS > 120 {
		return nil, fmt.Errorf("synthetic: fps %d outside 1..120", cfg.FPS)
	}
	if cfg.Cycle <= 0 {
		cfg.Cycle = 10 * cfg.FPS
	}
	if cfg.LightEvery <= 0 {
		cfg.LightEvery = 25 * cfg.FPS
	}
	s := &Scene{cfg: cfg, frame: vision.NewFrame(cfg.Width, cfg.Height), rng: cfg.Seed*2654435761 + 1, now: time.Now}
	s.bg = make([]byte, cfg.Width*cfg.Height)
	w, h := cfg.Width, cfg.Height
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 70 + 60*y/h // sky-to-ground gradient
			if (x/(w/16+1)+y/(h/12+1))%2 == 0 {
				v += 25 // paving
			}
			v += int(s.rand() % 16) // texture
			s.bg[y*w+x] = byte(v)
		}
	}
	return s, nil
}

func (s *Scene) rand() uint64 { // xorshift64*
	s.rng ^= s.rng >> 12
	s.rng ^= s.rng << 25
	s.rng ^= s.rng >> 27
	return s.rng * 2685821657736338717
}

// FigureVisible reports whether the walking figure is in frame n.
func (s *Scene) FigureVisible(n int) bool { return n%s.cfg.Cycle < s.cfg.Cycle*4/10 }

// LightOn reports whether frame n is inside a light-switch period.
func (s *Scene) LightOn(n int) bool {
	return n >= s.cfg.LightEvery && n%s.cfg.LightEvery < 3*s.cfg.FPS
}

// Hold keeps the current frame's luma; it is encoded only when stored.
func (s *Scene) Hold(st *vision.Still) {
	st.SetGray(s.frame)
	st.Frame = int64(s.n)
}

// Next renders the next frame into the scene's buffer.
func (s *Scene) Next(ctx context.Context) (vision.Frame, error) {
	if err := ctx.Err(); err != nil {
		return vision.Frame{}, err
	}
	if s.cfg.Realtime {
		if s.next.IsZero() {
			s.next = s.now()
		}
		if d := s.next.Sub(s.now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return vision.Frame{}, ctx.Err()
			case <-t.C:
			}
		}
		s.next = s.next.Add(time.Second / time.Duration(s.cfg.FPS))
	}
	s.render(s.n)
	s.n++
	return s.frame, nil
}

func (s *Scene) render(n int) {
	w, h := s.cfg.Width, s.cfg.Height
	light := 0
	if s.LightOn(n) {
		light = 40
	}
	pix := s.frame.Pix
	for i := 0; i < len(pix); i += 8 {
		r := s.rand()
		for j := 0; j < 8 && i+j < len(pix); j++ {
			v := int(s.bg[i+j]) + light + int(r>>(8*j)&7) - 3 // sensor noise ±3
			pix[i+j] = byte(min(255, v))
		}
	}
	if !s.FigureVisible(n) {
		return
	}
	// A person about a third of the frame tall walks left to right.
	t := n % s.cfg.Cycle
	walk := s.cfg.Cycle * 4 / 10
	fw, fh := w/12, h/3
	x0 := -fw + (w+fw)*t/walk
	y0 := h/2 - fh/4 + (t%4)/2 // a little bob
	for y := max(0, y0); y < min(h, y0+fh); y++ {
		for x := max(0, x0); x < min(w, x0+fw); x++ {
			v := 30 + (x-x0)*3 // darker clothes, shaded
			if y-y0 < fh/6 {
				v = 190 // head
			}
			pix[y*w+x] = byte(min(255, v+light))
		}
	}
}
