package vision_test

import (
	"testing"

	"vigil/benchmarks"
	"vigil/vision"
)

// BenchmarkDiff/impl=<name>/res=<WxH>: the fused kernel with mask, grid and
// bounding box, for every implementation this CPU runs.
func BenchmarkDiff(b *testing.B) {
	for _, k := range vision.Impls() {
		for _, r := range benchmarks.Resolutions {
			b.Run("impl="+k.Name()+"/res="+r.String(), func(b *testing.B) { benchmarks.Diff(b, k, r.W, r.H) })
		}
	}
}

// BenchmarkReadCeiling/res=<WxH>: the cost of only reading the two frames.
func BenchmarkReadCeiling(b *testing.B) {
	for _, r := range benchmarks.Resolutions {
		b.Run("res="+r.String(), func(b *testing.B) { benchmarks.ReadCeiling(b, r.W, r.H) })
	}
}

// BenchmarkReadLoads/impl=<name>/res=<WxH>: reading the two frames with each
// implementation's own load loop, the floor under that implementation.
func BenchmarkReadLoads(b *testing.B) {
	for _, k := range vision.Impls() {
		for _, r := range benchmarks.Resolutions {
			b.Run("impl="+k.Name()+"/res="+r.String(), func(b *testing.B) { benchmarks.ReadLoads(b, k, r.W, r.H) })
		}
	}
}
