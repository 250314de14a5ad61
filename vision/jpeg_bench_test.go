package vision_test

import (
	"fmt"
	"sync"
	"testing"

	"vigil/benchmarks"
)

// jpegBenchFrames are the inputs of the JPEG benchmarks, made once from a
// PETS 2009 frame (see benchmarks.JPEGFrames).
var jpegBenchFrames = sync.OnceValues(func() ([]benchmarks.JPEGFrame, error) {
	return benchmarks.JPEGFrames(benchmarks.PETSFrame)
})

// BenchmarkLumaJPEG/scale=<1|2|4|8>/res=<WxH>: LumaDecoder, luma only.
func BenchmarkLumaJPEG(b *testing.B) {
	frames, err := jpegBenchFrames()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range benchmarks.JPEGScales {
		for _, f := range frames {
			b.Run(fmt.Sprintf("scale=%d/res=%s", s, f.Res), func(b *testing.B) { benchmarks.LumaJPEG(b, f.Data, s) })
		}
	}
}

// BenchmarkStdJPEG/res=<WxH>: image/jpeg's full decode of the same frames.
func BenchmarkStdJPEG(b *testing.B) {
	frames, err := jpegBenchFrames()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range frames {
		b.Run("res="+f.Res.String(), func(b *testing.B) { benchmarks.StdJPEG(b, f.Data) })
	}
}
