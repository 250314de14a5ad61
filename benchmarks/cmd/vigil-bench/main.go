// Command vigil-bench runs Vigil's kernel benchmarks on the machine it is
// copied to (build it with `make bench-arm64` for a Raspberry Pi) and prints
// the same table as `make bench`, with the CPU model and the kernel chosen,
// then the edge pipeline (BenchmarkEdgePipeline on the embedded PETS
// frames: luma decode, motion kernel and rules per frame).
//
//	vigil-bench [-count 5] [-benchtime 500ms] [-res 640x480,...] [-kernels neon,swar] [-pipeline=false]
//	vigil-bench -parse bench.txt   # format `go test -bench` output
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/cpuid/v2"

	"vigil/benchmarks"
	"vigil/vision"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "vigil-bench:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigil-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	count := fs.Int("count", 5, "runs of each benchmark (the table shows medians)")
	benchtime := fs.Duration("benchtime", 500*time.Millisecond, "time per run")
	resList := fs.String("res", "", "resolutions, e.g. 320x240,640x480 (default: all)")
	kernels := fs.String("kernels", "", "kernels to measure (default: all this CPU runs)")
	jpegToo := fs.Bool("jpeg", true, "also measure the luma JPEG decoder against image/jpeg (on an embedded PETS frame)")
	pipeline := fs.Bool("pipeline", true, "also measure the edge pipeline (luma decode at 1/4 + motion + rules) on embedded PETS frames")
	parse := fs.String("parse", "", "format this `go test -bench` output file instead of measuring (- for stdin)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *parse != "" {
		var r io.Reader = os.Stdin
		if *parse != "-" {
			f, err := os.Open(*parse)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		samples, err := benchmarks.ParseGoBench(r)
		if err != nil {
			return err
		}
		benchmarks.WriteTable(stdout, samples)
		benchmarks.WritePipelineTable(stdout, samples)
		return nil
	}

	testing.Init()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		return err
	}
	var impls []*vision.Impl
	for _, k := range vision.Impls() {
		if *kernels == "" || slices.Contains(strings.Split(*kernels, ","), k.Name()) {
			impls = append(impls, k)
		}
	}
	if len(impls) == 0 {
		return fmt.Errorf("no kernel matches %q (have %v)", *kernels, vision.Impls())
	}
	if !slices.Contains(impls, vision.Impls()[0]) && *kernels != "" {
		impls = append([]*vision.Impl{vision.Impls()[0]}, impls...) // generic anchors the speed-up column
	}
	var resolutions []benchmarks.Res
	for _, r := range benchmarks.Resolutions {
		if *resList == "" || slices.Contains(strings.Split(*resList, ","), r.String()) {
			resolutions = append(resolutions, r)
		}
	}

	fmt.Fprintf(stdout, "vigil-bench  %s/%s  %s  %d CPUs\n", runtime.GOOS, runtime.GOARCH, runtime.Version(), runtime.NumCPU())
	fmt.Fprintf(stdout, "cpu: %s\n", cpuModel())
	fmt.Fprintf(stdout, "kernels: %v  chosen: %s\n\n", vision.Impls(), vision.Active())

	var samples []benchmarks.Sample
	add := func(name string, fn func(*testing.B)) {
		for range *count {
			r := testing.Benchmark(fn)
			if r.N == 0 {
				fmt.Fprintf(stderr, "%s: failed\n", name)
				return
			}
			samples = append(samples, benchmarks.Sample{Name: name, NsPerOp: float64(r.T.Nanoseconds()) / float64(r.N),
				Bytes: r.Bytes, Allocs: r.AllocsPerOp()})
		}
		fmt.Fprintf(stderr, ".")
	}
	// Interleave per resolution so kernel and ceiling share the machine's state.
	for _, res := range resolutions {
		add("ReadCeiling/res="+res.String(), func(b *testing.B) { benchmarks.ReadCeiling(b, res.W, res.H) })
		for _, k := range impls {
			add("Diff/impl="+k.Name()+"/res="+res.String(), func(b *testing.B) { benchmarks.Diff(b, k, res.W, res.H) })
			add("ReadLoads/impl="+k.Name()+"/res="+res.String(), func(b *testing.B) { benchmarks.ReadLoads(b, k, res.W, res.H) })
		}
	}
	if *jpegToo {
		frames, err := benchmarks.JPEGFrames(benchmarks.PETSFrame)
		if err != nil {
			return err
		}
		for _, f := range frames {
			add("StdJPEG/res="+f.Res.String(), func(b *testing.B) { benchmarks.StdJPEG(b, f.Data) })
			for _, sc := range benchmarks.JPEGScales {
				add(fmt.Sprintf("LumaJPEG/scale=%d/res=%s", sc, f.Res), func(b *testing.B) { benchmarks.LumaJPEG(b, f.Data, sc) })
			}
		}
	}
	if *pipeline {
		frames := benchmarks.PETSFrames()
		add("EdgePipeline/"+benchmarks.PipelineName, func(b *testing.B) { benchmarks.EdgePipeline(b, frames) })
	}
	fmt.Fprintln(stderr)
	benchmarks.WriteTable(stdout, samples)
	benchmarks.WritePipelineTable(stdout, samples)
	return nil
}

// cpuModel names the processor: cpuid's brand string on x86, the board and
// the core part numbers from the kernel on arm64.
func cpuModel() string {
	var parts []string
	if b := cpuid.CPU.BrandName; b != "" {
		parts = append(parts, b)
	}
	if b, err := os.ReadFile("/proc/device-tree/model"); err == nil {
		parts = append(parts, strings.TrimRight(string(b), "\x00\n"))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		seen := map[string]bool{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if ok && (k == "model name" || k == "CPU part" || k == "CPU implementer") && !seen[k+v] {
				seen[k+v] = true
				if k != "model name" || len(parts) == 0 {
					parts = append(parts, k+" "+v)
				}
			}
		}
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return strings.Join(parts, "; ")
}
