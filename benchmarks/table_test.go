package benchmarks

import (
	"strings"
	"testing"
)

const sampleOutput = `goos: linux
BenchmarkDiff/impl=generic/res=640x480-2   500   2000000 ns/op   307.20 MB/s   0 B/op   0 allocs/op
BenchmarkDiff/impl=avx2/res=640x480-2   100000   10000 ns/op   61440.00 MB/s   0 B/op   0 allocs/op
BenchmarkDiff/impl=avx2/res=640x480-2   100000   12000 ns/op   51200.00 MB/s   0 B/op   0 allocs/op
BenchmarkDiff/impl=avx2/res=640x480-2   100000   99000 ns/op   6206.06 MB/s   0 B/op   0 allocs/op
BenchmarkReadCeiling/res=640x480-2   100000   8000 ns/op   76800.00 MB/s   0 B/op   0 allocs/op
BenchmarkReadLoads/impl=avx2/res=640x480-2   100000   9600 ns/op   64000.00 MB/s   0 B/op   0 allocs/op
PASS
`

func TestTableUsesMediansAndRatios(t *testing.T) {
	s, err := ParseGoBench(strings.NewReader(sampleOutput))
	if err != nil || len(s) != 6 || s[1].Bytes != 614400 {
		t.Fatalf("parsed %+v, %v", s, err)
	}
	var b strings.Builder
	WriteTable(&b, s)
	out := b.String()
	// avx2 median 12 µs: 1.50× the 8 µs ceiling, 1.25× its own 9.6 µs loads,
	// 166.7× faster than 2 ms; generic has no loads of its own measured.
	for _, want := range []string{"avx2  640x480  12.0  51.20  1.50  1.25  166.7", "generic  640x480  2000.0  0.31  250.00  -", "generic  640x480  2000.0", "ceiling  640x480  8.0"} {
		if !strings.Contains(strings.Join(strings.Fields(out), "  "), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
