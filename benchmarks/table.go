package benchmarks

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Sample is one benchmark measurement (one line of `go test -bench` output).
type Sample struct {
	Name    string // e.g. "Diff/impl=avx2/res=640x480" (no "Benchmark", no -N)
	NsPerOp float64
	Bytes   int64 // per op, from b.SetBytes
	Allocs  int64
}

// ParseGoBench reads `go test -bench` output and returns its samples.
func ParseGoBench(r io.Reader) ([]Sample, error) {
	var out []Sample
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		s := Sample{Name: name}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				s.NsPerOp = v
			case "MB/s":
				if s.NsPerOp > 0 {
					s.Bytes = int64(v*s.NsPerOp/1e3 + 0.5)
				}
			case "allocs/op":
				s.Allocs = int64(v)
			}
		}
		if s.NsPerOp > 0 {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

// param returns the value of key=value in a benchmark name.
func param(name, key string) string {
	for _, p := range strings.Split(name, "/") {
		if v, ok := strings.CutPrefix(p, key+"="); ok {
			return v
		}
	}
	return ""
}

// WriteTable prints the kernel table: per implementation and resolution the
// median µs per frame, GB/s, the ratio to the read ceiling (the fastest load
// loop of this CPU), the ratio to the implementation's own load loop (when
// measured) and the speed-up over the generic Go loop, all from the same run.
func WriteTable(w io.Writer, samples []Sample) {
	type key struct{ bench, impl, res string }
	times := map[key][]float64{}
	meta := map[key]Sample{}
	var order []key
	for _, s := range samples {
		k := key{strings.SplitN(s.Name, "/", 2)[0], param(s.Name, "impl") + param(s.Name, "scale"), param(s.Name, "res")}
		if _, seen := times[k]; !seen {
			order = append(order, k)
		}
		times[k] = append(times[k], s.NsPerOp)
		meta[k] = s
	}
	median := func(k key) float64 {
		v := slices.Clone(times[k])
		slices.Sort(v)
		if len(v) == 0 {
			return 0
		}
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	hasDiff := false
	for _, k := range order {
		hasDiff = hasDiff || k.bench == "Diff"
	}
	if !hasDiff {
		tw = tabwriter.NewWriter(io.Discard, 0, 0, 2, ' ', 0)
	}
	fmt.Fprintln(tw, "kernel\tresolution\tµs/frame\tGB/s\t× ceiling\t× own loads\t× faster than generic\tallocs/op\truns\t")
	for _, k := range order {
		if k.bench != "Diff" {
			continue
		}
		ns := median(k)
		gb := float64(meta[k].Bytes) / ns
		ceil, gen := median(key{"ReadCeiling", "", k.res}), median(key{"Diff", "generic", k.res})
		own := median(key{"ReadLoads", k.impl, k.res})
		ratio, ownRatio, speed := "-", "-", "-"
		if ceil > 0 {
			ratio = fmt.Sprintf("%.2f", ns/ceil)
		}
		if own > 0 {
			ownRatio = fmt.Sprintf("%.2f", ns/own)
		}
		if gen > 0 {
			speed = fmt.Sprintf("%.1f", gen/ns)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.2f\t%s\t%s\t%s\t%d\t%d\t\n", k.impl, k.res, ns/1e3, gb, ratio, ownRatio, speed, meta[k].Allocs, len(times[k]))
	}
	for _, k := range order {
		if k.bench == "ReadCeiling" {
			ns := median(k)
			fmt.Fprintf(tw, "read ceiling\t%s\t%.1f\t%.2f\t1.00\t-\t-\t%d\t%d\t\n", k.res, ns/1e3, float64(meta[k].Bytes)/ns, meta[k].Allocs, len(times[k]))
		}
	}
	tw.Flush()
	writeJPEGTable(w, order, median, func(k key) Sample { return meta[k] })
}

// writeJPEGTable prints the luma decoder's figures against image/jpeg's
// full decode of the same frames, when the samples have them.
func writeJPEGTable[K comparable](w io.Writer, order []K, median func(K) float64, meta func(K) Sample) {
	type row struct {
		scale, res string
		ns         float64
		allocs     int64
	}
	var rows []row
	std := map[string]float64{}
	for _, k := range order {
		s := meta(k)
		bench := strings.SplitN(s.Name, "/", 2)[0]
		switch bench {
		case "LumaJPEG":
			rows = append(rows, row{param(s.Name, "scale"), param(s.Name, "res"), median(k), s.Allocs})
		case "StdJPEG":
			std[param(s.Name, "res")] = median(k)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "luma JPEG\tresolution\tms/frame\t× faster than image/jpeg\tallocs/op\t")
	for _, r := range rows {
		speed := "-"
		if s := std[r.res]; s > 0 {
			speed = fmt.Sprintf("%.1f", s/r.ns)
		}
		fmt.Fprintf(tw, "1/%s\t%s\t%.2f\t%s\t%d\t\n", r.scale, r.res, r.ns/1e6, speed, r.allocs)
	}
	for res, ns := range std {
		fmt.Fprintf(tw, "image/jpeg\t%s\t%.2f\t1.0\t-\t\n", res, ns/1e6)
	}
	tw.Flush()
}
