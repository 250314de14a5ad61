package benchmarks

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"vigil/app/edge"
	"vigil/domain"
	"vigil/vision"
)

// clip plays camera JPEGs from memory, decoding luma the way the edge's
// MJPEG sources do, for n frames.
type clip struct {
	frames [][]byte
	dec    *vision.LumaDecoder
	frame  vision.Frame
	i, n   int
	now    time.Time
}

func (c *clip) Next(context.Context) (vision.Frame, error) {
	if c.i == c.n {
		return vision.Frame{}, io.EOF
	}
	data := c.frames[c.i%len(c.frames)]
	c.i++
	c.now = c.now.Add(100 * time.Millisecond)
	// 768×576 at 1/4: 192×144, the widest scale not above 320 pixels.
	return c.frame, c.dec.Decode(data, 4, &c.frame)
}

func (c *clip) Hold(s *vision.Still) { s.SetJPEG(c.frames[(c.i-1)%len(c.frames)]) }

// BenchmarkEdgePipeline/src=mjpeg/res=768x576: what the edge does per
// frame of a PETS camera stream, minus the disk: luma decode at 1/4, the
// fused motion kernel, the motion and event rules. One op is one frame.
func BenchmarkEdgePipeline(b *testing.B) {
	var frames [][]byte
	for _, name := range []string{"pets-001.jpg", "pets-200.jpg", "pets-400.jpg"} {
		f, err := os.ReadFile("../vision/testdata/jpeg/" + name)
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, f)
	}
	b.Run("src=mjpeg/res=768x576", func(b *testing.B) {
		src := &clip{frames: frames, dec: vision.NewLumaDecoder(0), n: b.N, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		motion := 0
		m, err := edge.NewMonitor(src, edge.MonitorConfig{
			Motion: domain.DefaultMotionSettings(), Every: time.Hour, Now: func() time.Time { return src.now },
			OnFrame: func(r edge.FrameReport) {
				if r.Verdict == domain.Motion {
					motion++
				}
			},
		}, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		if err := m.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if b.N > 10 && motion == 0 {
			b.Fatal("no motion between PETS frames")
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}
