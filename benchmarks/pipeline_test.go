package benchmarks

import "testing"

// BenchmarkEdgePipeline/src=mjpeg/res=768x576: what the edge does per
// frame of a PETS camera stream, minus the disk: luma decode at 1/4, the
// fused motion kernel, the motion and event rules. One op is one frame.
// The body is EdgePipeline, which vigil-bench runs too.
func BenchmarkEdgePipeline(b *testing.B) {
	b.Run(PipelineName, func(b *testing.B) { EdgePipeline(b, PETSFrames()) })
}
