package benchmarks

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"vigil/app/edge"
	"vigil/domain"
	"vigil/vision"
)

// Frames 200 and 400 of the same PETS clip as PETSFrame (see
// vision/testdata/jpeg/README.md), so that the pipeline benchmark sees
// motion between frames wherever the binary runs.
var (
	//go:embed pets-200.jpg
	pets200 []byte
	//go:embed pets-400.jpg
	pets400 []byte
)

// PETSFrames are frames 1, 200 and 400 of the PETS 2009 S2.L1 view 1 clip
// (768×576 camera JPEGs), the input of EdgePipeline.
func PETSFrames() [][]byte { return [][]byte{PETSFrame, pets200, pets400} }

// PipelineName is the sub-benchmark name of EdgePipeline on PETSFrames.
const PipelineName = "src=mjpeg/res=768x576"

// clip plays camera JPEGs from memory, decoding luma the way the edge's
// MJPEG sources do, for n frames, 100 ms apart on its own clock.
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

// EdgePipeline is BenchmarkEdgePipeline's body: what the edge does per
// frame of a camera's MJPEG stream, minus the disk — luma decode at 1/4,
// the fused motion kernel, the motion and event rules — on frames played
// in a loop. One op is one frame; it reports frames/s and fails when no
// frame was judged motion.
func EdgePipeline(b *testing.B, frames [][]byte) {
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
		b.Fatal("no motion between the frames")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// WritePipelineTable prints the EdgePipeline samples, if any: median
// µs and frames per second, allocations per frame.
func WritePipelineTable(w io.Writer, samples []Sample) {
	byName := map[string][]float64{}
	allocs := map[string]int64{}
	var names []string
	for _, s := range samples {
		if !strings.HasPrefix(s.Name, "EdgePipeline/") {
			continue
		}
		if _, ok := byName[s.Name]; !ok {
			names = append(names, s.Name)
		}
		byName[s.Name] = append(byName[s.Name], s.NsPerOp)
		allocs[s.Name] = s.Allocs
	}
	if len(names) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "edge pipeline\tresolution\tµs/frame\tframes/s\tallocs/op\truns\t")
	for _, n := range names {
		v := slices.Clone(byName[n])
		slices.Sort(v)
		med := v[len(v)/2]
		if len(v)%2 == 0 {
			med = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.0f\t%d\t%d\t\n", param(n, "src"), param(n, "res"), med/1e3, 1e9/med, allocs[n], len(v))
	}
	tw.Flush()
}
