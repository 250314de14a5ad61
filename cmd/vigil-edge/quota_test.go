package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDaemonQuota runs the daemon on the PETS clip in real time with
// one-second events and a disk quota smaller than what it records, while
// the bucket takes only each event's first snapshot (the others fail and
// stay queued). Capture must go on to the end, the snapshots must stay
// within the quota, and retention must delete uploaded snapshots only:
// every snapshot that was not uploaded is still there.
func TestDaemonQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for seconds; skipped in -short")
	}
	cloud := newCloudAndBucket(t)
	cloud.refuse = func(name string) bool { return !strings.HasSuffix(name, "-1.jpg") }
	dir := t.TempDir()
	clip, err := filepath.Abs("../../testdata/video/pets09-s2l1_0001-0400.mjpeg")
	if err != nil {
		t.Fatal(err)
	}
	const quota = 1 << 20
	cfg := fmt.Sprintf(`{"camera": {"source": %q, "fps": 25},
		"events": {"start_frames": 3, "quiet_gap": "300ms", "cooldown": "0s", "max_length": "1s"},
		"faces": {"enabled": false},
		"retention": {"quota_bytes": %d, "min_free_bytes": 0},
		"cloud": {"url": %q, "device_id": "dev_1"},
		"listen": "127.0.0.1:0"}`, "file:"+clip, quota, cloud.ts.URL)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "device.secret"), []byte(testSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	const runFor = 8 * time.Second
	var out, errb bytes.Buffer
	started := time.Now()
	err = run(context.Background(), []string{"run", "-config=" + filepath.Join(dir, "config.json"), "-data=" + dir, "-loop",
		"-duration=" + runFor.String()}, env(nil), &out, &errb)
	ended := time.Now()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}

	store, files := openStore(t, dir)
	listed := listedSnapshots(t, store)
	used, err := files.Usage()
	if err != nil {
		t.Fatal(err)
	}
	var largest, uploadedLeft int64
	var newest time.Time
	for _, sn := range listed {
		largest = max(largest, int64(sn.Bytes))
		if !sn.Uploaded.IsZero() {
			uploadedLeft++
		}
	}
	events, err := store.Events(context.Background(), "", 1, time.Time{})
	if err != nil || len(events) == 0 {
		t.Fatalf("no events: %v", err)
	}
	newest = events[0].Start

	cloud.mu.Lock()
	defer cloud.mu.Unlock()
	var pruned, lost int
	for name := range cloud.objects {
		if _, ok := listed[name]; !ok {
			pruned++
		}
	}
	for name := range cloud.granted {
		_, uploaded := cloud.objects[name]
		if _, ok := listed[name]; !ok && !uploaded {
			lost++
			t.Errorf("%s was never uploaded and is gone", name)
		}
	}
	t.Logf("%d snapshots listed (%d uploaded), %d bytes on disk of a %d quota; %d uploaded snapshots pruned; newest event %v before the end",
		len(listed), uploadedLeft, used, quota, pruned, ended.Sub(newest).Round(time.Millisecond))
	// The last prune may be a snapshot or two behind the last write.
	if used > quota+2*largest {
		t.Errorf("%d bytes on disk, quota %d", used, quota)
	}
	if pruned == 0 {
		t.Errorf("nothing pruned: the quota was never reached (%d bytes used)", used)
	}
	if ended.Sub(newest) > 2500*time.Millisecond || newest.Before(started) {
		t.Errorf("the newest event started %v before the end: capture stopped", ended.Sub(newest))
	}
}
