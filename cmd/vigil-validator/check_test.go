package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func noenv(string) string { return "" }

func TestCheckJSON(t *testing.T) {
	files := []string{
		"../../testdata/faces/gocv_ipc_doorway.jpg",
		"../../testdata/validator/malformed/fuzzdb/lottapixel.jpg",
		"../../testdata/validator/malformed/go/video-001.progressive.truncated.jpeg",
		"../../testdata/nofaces/skimage_chelsea.png",
	}
	var out, errb bytes.Buffer
	// --json after the files, as the usage shows it.
	if err := run(context.Background(), append(append([]string{"check"}, files...), "--json"), noenv, &out, &errb); err != nil {
		t.Fatalf("check: %v (%s)", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d files:\n%s", len(lines), len(files), out.String())
	}
	type face struct {
		X, Y, W, H *int
		Score      *float64
	}
	type result struct {
		File, Verdict, Reason *string
		Width, Height         *int
		Faces                 *[]face
	}
	want := []struct {
		verdict, reason string
		faces           int
	}{{"accepted", "", 1}, {"rejected", "too_many_pixels", 0}, {"rejected", "corrupt", 0}, {"accepted", "", 0}}
	for i, line := range lines {
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		if r.File == nil || r.Verdict == nil || r.Reason == nil || r.Width == nil || r.Height == nil || r.Faces == nil {
			t.Fatalf("line %d misses a field: %s", i, line)
		}
		if *r.File != files[i] || *r.Verdict != want[i].verdict || *r.Reason != want[i].reason || len(*r.Faces) != want[i].faces {
			t.Errorf("line %d: %s, want %+v", i, line, want[i])
		}
		for _, f := range *r.Faces {
			if f.X == nil || f.Y == nil || f.W == nil || f.H == nil || f.Score == nil || *f.W <= 0 || *f.H <= 0 {
				t.Errorf("line %d: bad face in %s", i, line)
			}
		}
	}
	if first := lines[0]; !strings.Contains(first, `"width":1280,"height":720`) {
		t.Errorf("doorway: %s", first)
	}
}

func TestCheckText(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"check", "../../testdata/validator/valid/video-001.interlaced.gif", "../../testdata/validator/valid/basn3p08.png"}, noenv, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "interlaced.gif: rejected: bad_format") || !strings.Contains(got, "basn3p08.png: accepted: 32x32") || strings.Count(got, "\n") != 2 {
		t.Errorf("output:\n%s", got)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"check"}, noenv, &out, &errb); err == nil {
		t.Error("check without files ran")
	}
	if err := run(context.Background(), []string{"check", "--bogus", "x.jpg"}, noenv, &out, &errb); err == nil {
		t.Error("unknown flag accepted")
	}
	if err := run(context.Background(), []string{"check", "--help"}, noenv, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("check --help: %v", err)
	}
	if err := run(context.Background(), []string{"check", "/nonexistent/file.jpg"}, noenv, &out, &errb); err == nil {
		t.Error("an unreadable file passed")
	}
}

// TestCheckPeakRSS runs the built command over every hostile sample in one
// process and reads its peak resident set from the kernel: at most 256 MB,
// with every file rejected for a reason.
func TestCheckPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	var files []string
	err := filepath.WalkDir("../../testdata/validator/malformed", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if n := d.Name(); !strings.HasPrefix(n, "LICENSE") && !strings.HasPrefix(n, "README") && !strings.HasSuffix(n, ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil || len(files) < 20 {
		t.Fatalf("%d hostile files, %v", len(files), err)
	}
	bin := buildValidator(t)
	cmd := exec.Command(bin, append([]string{"check", "--json"}, files...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("check: %v\n%s", err, errb.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no resource usage on this system")
	}
	peak := ru.Maxrss * 1024 // Linux: kilobytes
	t.Logf("peak RSS of check over %d hostile files: %.1f MB", len(files), float64(peak)/1e6)
	if peak > 256<<20 {
		t.Errorf("peak RSS %d bytes, over 256 MB", peak)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d results for %d files", len(lines), len(files))
	}
	for _, l := range lines {
		var r checkResult
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Verdict != "rejected" || r.Reason == "" {
			t.Errorf("%s (%v)", l, err)
		}
	}
}
