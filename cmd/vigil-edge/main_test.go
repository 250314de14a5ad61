package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/adapters/bbolt"
	"vigil/adapters/disk"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"--help"}, env(nil), &out, &errb)
	if err != flag.ErrHelp || exitCode(err) != 0 || !strings.Contains(errb.String(), "-sensitivity") {
		t.Fatalf("--help: %v, %q", err, errb.String())
	}
}

func TestRunsOnSyntheticScene(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-realtime=false", "-duration=2500ms", "-kernel=swar", "-listen=127.0.0.1:0", "-data=" + t.TempDir()}, env(nil), &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	// A first run (`make run` on a fresh checkout): the setup code first,
	// then the figures.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 3 || !setupCodeLine.MatchString(lines[0]) {
		t.Fatalf("want the setup code on the first line, got %q", out.String())
	}
	if !strings.Contains(lines[1], "fps") || !strings.Contains(lines[1], "[swar 320x240]") {
		t.Fatalf("want per-second figures, got %q", out.String())
	}
}

func TestKernelFromEnvironmentAndList(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-list-kernels"}, env(map[string]string{"VIGIL_KERNEL": "generic"}), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "* generic") || !strings.Contains(out.String(), "  swar") {
		t.Fatalf("list: %q", out.String())
	}
	t.Cleanup(func() { run(context.Background(), []string{"-list-kernels"}, env(nil), &out, &errb) })
}

func TestBadInputIsAClearError(t *testing.T) {
	for _, args := range [][]string{{"-kernel=mmx"}, {"-size=big"}, {"-sensitivity=11"}, {"-source=/dev/null"}, {"-size=4x4"}, {"extra"}} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append(args, "-duration=1s", "-data="+t.TempDir()), env(nil), &out, &errb)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("%v: error %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
}

func TestRunsOnAnMJPEGClip(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir()
	err := run(context.Background(), []string{"-source=file:../../testdata/video/tree-wind-hand.mjpeg", "-realtime=false", "-listen=127.0.0.1:0", "-data=" + dir}, env(nil), &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	// 68 frames as fast as possible: one summary at the end of the clip.
	if !strings.Contains(out.String(), "320x240]") {
		t.Fatalf("want figures on 320x240 analysis frames, got %q\n%s", out.String(), errb.String())
	}
	// The motion in the clip made an event, stored with its snapshots and
	// queued for upload; the event was closed when the clip ended.
	store, files := openStore(t, dir)
	events, err := store.Events(context.Background(), "", 10, time.Time{})
	if err != nil || len(events) == 0 {
		t.Fatalf("events %v, %v: want the clip's", events, err)
	}
	ev := events[0]
	if ev.Running() || len(ev.Snapshots) < 2 {
		t.Fatalf("event %+v: want a closed event with first and last snapshots", ev)
	}
	for _, sn := range ev.Snapshots {
		b, err := files.Read(sn.Name)
		if err != nil || len(b) != sn.Bytes || b[0] != 0xFF || b[1] != 0xD8 {
			t.Fatalf("snapshot %s: %d bytes, %v", sn.Name, len(b), err)
		}
	}
	if n, _ := store.OutboxLen(context.Background()); n < len(ev.Snapshots) {
		t.Errorf("outbox holds %d, want every snapshot", n)
	}
}

func TestAnalyzePrintsOneObjectPerFrameAndASummary(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"analyze", "-source=file:../../testdata/video/tree-wind-hand.mjpeg", "-fps=10"}, env(nil), &out, &errb)
	if err != nil {
		t.Fatalf("analyze: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 69 {
		t.Fatalf("%d lines, want 68 frames and a summary", len(lines))
	}
	var f struct {
		Frame        int64    `json:"frame"`
		Motion       *bool    `json:"motion"`
		Score        *float64 `json:"score"`
		ChangedCells *int     `json:"changed_cells"`
		Event        *string  `json:"event"`
	}
	if err := json.Unmarshal([]byte(lines[67]), &f); err != nil || f.Frame != 68 || f.Motion == nil || f.Score == nil || f.ChangedCells == nil {
		t.Fatalf("frame line %q: %v", lines[67], err)
	}
	var s struct {
		Frames int64 `json:"frames"`
		Events []struct {
			ID         string `json:"id"`
			FirstFrame int64  `json:"first_frame"`
			LastFrame  int64  `json:"last_frame"`
		} `json:"events"`
		FPS    float64  `json:"frames_per_second"`
		Allocs *float64 `json:"allocs_per_frame"`
	}
	if err := json.Unmarshal([]byte(lines[68]), &s); err != nil || s.Frames != 68 || s.FPS <= 0 || s.Allocs == nil {
		t.Fatalf("summary %q: %v", lines[68], err)
	}
	// The hand is in frames 55-68: some event must cover it.
	if len(s.Events) == 0 || s.Events[len(s.Events)-1].LastFrame != 68 {
		t.Fatalf("events %+v: want one running at the end of the clip", s.Events)
	}
	if err := run(context.Background(), []string{"analyze"}, env(nil), &out, &errb); exitCode(err) != 2 {
		t.Errorf("analyze on the endless synthetic source without -frames: %v", err)
	}
}

// openStore opens the daemon's store in dir (after the daemon stopped).
func openStore(t *testing.T, dir string) (*bbolt.Store, *disk.Dir) {
	t.Helper()
	files, err := disk.Open(filepath.Join(dir, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := bbolt.Open(filepath.Join(dir, "vigil.db"), files, bbolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, files
}
