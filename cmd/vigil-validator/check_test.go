package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"strings"
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
