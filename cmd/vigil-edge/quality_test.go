package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"vigil/vision"
)

// The motion-quality figures of the edge issue, with default settings, on
// the real clips, through the analyze command a user tunes with. Each runs
// for every kernel this machine has: the verdicts must not depend on it.

type analyzed struct {
	motion []bool // by frame, 0-based
	Events []struct {
		ID         string `json:"id"`
		FirstFrame int    `json:"first_frame"`
		LastFrame  int    `json:"last_frame"`
	} `json:"events"`
}

func analyzeClip(t *testing.T, clip, kernel string) analyzed {
	t.Helper()
	var out, errb bytes.Buffer
	args := []string{"analyze", "-source=file:../../testdata/video/" + clip, "-kernel=" + kernel}
	if err := run(context.Background(), args, env(nil), &out, &errb); err != nil {
		t.Fatalf("analyze %s: %v\n%s", clip, err, errb.String())
	}
	var a analyzed
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var f struct {
			Frame  int    `json:"frame"`
			Motion bool   `json:"motion"`
			Events *[]any `json:"events"`
		}
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if f.Events != nil {
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if f.Frame != len(a.motion)+1 {
			t.Fatalf("frame %d after %d frames", f.Frame, len(a.motion))
		}
		a.motion = append(a.motion, f.Motion)
	}
	return a
}

func availableKernels() []string {
	var names []string
	for _, k := range vision.Impls() {
		names = append(names, k.Name())
	}
	return names
}

// Leaves in the wind behind a window for 53 frames, then a hand: no event
// before frame 54, one that starts by frame 58.
func TestQualityTreeWindHand(t *testing.T) {
	for _, k := range availableKernels() {
		t.Run(k, func(t *testing.T) {
			a := analyzeClip(t, "tree-wind-hand.mjpeg", k)
			if len(a.motion) != 68 {
				t.Fatalf("%d frames, want 68", len(a.motion))
			}
			if len(a.Events) == 0 {
				t.Fatalf("no event; motion by frame: %s", motionString(a.motion))
			}
			first := a.Events[0].FirstFrame
			if first < 54 || first > 58 {
				t.Errorf("first event starts at frame %d, want 54..58; motion by frame: %s", first, motionString(a.motion))
			}
			t.Logf("event starts at frame %d; motion by frame: %s", first, motionString(a.motion))
		})
	}
}

// Two to eight people walk through every frame of the PETS clip: motion in
// at least 97 % of the frames after the first five (the analysis needs
// three frames, and an event three motion frames).
func TestQualityPETS(t *testing.T) {
	for _, k := range availableKernels() {
		t.Run(k, func(t *testing.T) {
			a := analyzeClip(t, "pets09-s2l1_0001-0400.mjpeg", k)
			if len(a.motion) != 400 {
				t.Fatalf("%d frames, want 400", len(a.motion))
			}
			var n, quiet int
			var missed []int
			for i, m := range a.motion[5:] {
				n++
				if !m {
					quiet++
					missed = append(missed, i+6)
				}
			}
			share := 100 * float64(n-quiet) / float64(n)
			if share < 97 {
				t.Errorf("motion in %.1f %% of frames 6..400, want ≥ 97 %%; quiet frames %v", share, missed)
			}
			t.Logf("motion in %.2f %% of frames 6..400; quiet frames %v; events %d", share, missed, len(a.Events))
		})
	}
}

func motionString(m []bool) string {
	var b bytes.Buffer
	for i, v := range m {
		if i%10 == 0 {
			fmt.Fprintf(&b, " %d:", i+1)
		}
		if v {
			b.WriteByte('M')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// analyze -config judges the clip with the file's motion settings and
// regions: a region away from the hand hides it.
func TestAnalyzeUsesTheConfig(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/config.json"
	for _, c := range []struct {
		config string
		events int
		first  int // the first event's first frame
	}{
		{`{}`, 1, 55},
		{`{"regions": [{"points": [[0, 0], [0.2, 0], [0.2, 0.2]]}]}`, 0, 0},
		{`{"motion": {"sensitivity": 1}}`, 1, 62}, // only once the hand is large
	} {
		if err := os.WriteFile(path, []byte(c.config), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"analyze", "-source=file:../../testdata/video/tree-wind-hand.mjpeg", "-config=" + path}, env(nil), &out, &errb)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.config, err, errb.String())
		}
		lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
		var sum struct {
			Events []struct {
				FirstFrame int `json:"first_frame"`
			}
		}
		err = json.Unmarshal(lines[len(lines)-1], &sum)
		if err != nil || len(sum.Events) != c.events || c.events > 0 && sum.Events[0].FirstFrame != c.first {
			t.Errorf("%s: summary %s (%v), want %d events, the first from frame %d", c.config, lines[len(lines)-1], err, c.events, c.first)
		}
	}
	if err := os.WriteFile(path, []byte(`{"motion": {"sensitivity": 22}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"analyze", "-source=file:../../testdata/video/tree-wind-hand.mjpeg", "-config=" + path}, env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "sensitivity 22") {
		t.Errorf("a bad config: %v", err)
	}
}
