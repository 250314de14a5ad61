package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil/domain"
)

// killChildEnv, when set, makes TestDaemonSurvivesSIGKILL the daemon that
// is killed; its value is the data directory.
const killChildEnv = "VIGIL_EDGE_KILL_CHILD"

// TestDaemonSurvivesSIGKILL runs the real daemon (this test binary re-run as
// `vigil-edge run`) on the PETS clip in real time, with one-second events
// so that snapshots are written all the time and uploaded to a fake cloud,
// and kills it with SIGKILL at random moments: 19 times while it records
// and uploads, 3 times while it starts. After each kill it does what the
// next start does (open bbolt, reconcile) and checks:
//   - every snapshot file that was completely renamed into place is listed
//     in its event, and no listed snapshot lacks its file (a whole JPEG);
//   - nothing listed before is lost;
//   - the outbox holds exactly the listed snapshots not yet uploaded, and
//     every snapshot marked uploaded is in the bucket with its bytes.
func TestDaemonSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("kills subprocesses; skipped in -short")
	}
	if err := exec.Command(os.Args[0], "-test.run=^$").Run(); errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("cannot re-run the test binary here (qemu-user without binfmt_misc): %v", err)
	}
	cloud := newCloudAndBucket(t)
	dir := t.TempDir()
	clip, err := filepath.Abs("../../testdata/video/pets09-s2l1_0001-0400.mjpeg")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`{"camera": {"source": %q, "fps": 25},
		"events": {"start_frames": 3, "quiet_gap": "300ms", "cooldown": "0s", "max_length": "1s"},
		"faces": {"enabled": false},
		"cloud": {"url": %q, "device_id": "dev_1"},
		"listen": "127.0.0.1:0"}`, "file:"+clip, cloud.ts.URL)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "device.secret"), []byte(testSecret), 0o600); err != nil {
		t.Fatal(err)
	}

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	const rounds = 22
	seen := map[string]bool{} // snapshots listed after some round
	var adopted int
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDaemonSurvivesSIGKILL$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if round%7 == 6 {
			time.Sleep(time.Duration(5+rng.IntN(60)) * time.Millisecond) // while it opens and reconciles
		} else {
			time.Sleep(time.Duration(400+rng.IntN(1600)) * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: the daemon ended with %v before the kill:\n%s", round, err, out.Bytes())
		}

		renamed := snapshotFiles(t, filepath.Join(dir, "snapshots"))
		store, files := openStore(t, dir)
		before := listedSnapshots(t, store)
		for name := range renamed {
			if _, ok := before[name]; !ok {
				adopted++
			}
		}
		if err := store.Reconcile(context.Background()); err != nil {
			t.Fatalf("round %d: reconcile: %v", round, err)
		}
		listed := listedSnapshots(t, store)
		for name := range renamed {
			if _, ok := listed[name]; !ok {
				t.Errorf("round %d: %s was renamed into place but is not listed", round, name)
			}
		}
		for name := range seen {
			if _, ok := listed[name]; !ok {
				t.Errorf("round %d: %s was listed before and is lost", round, name)
			}
		}
		pending, err := store.Pending(context.Background(), time.Now().Add(365*24*time.Hour), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		queued := map[string]bool{}
		for _, u := range pending {
			queued[u.Name] = true
		}
		cloud.mu.Lock()
		for name, sn := range listed {
			seen[name] = true
			b, err := files.Read(name)
			if err != nil {
				t.Errorf("round %d: listed %s: %v", round, name, err)
				continue
			}
			if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil || len(b) != sn.Bytes {
				t.Errorf("round %d: %s is not a whole JPEG of %d bytes (%d bytes, %v)", round, name, sn.Bytes, len(b), err)
			}
			switch up := !sn.Uploaded.IsZero(); {
			case up && queued[name]:
				t.Errorf("round %d: %s is uploaded and still queued", round, name)
			case !up && !queued[name]:
				t.Errorf("round %d: %s is neither uploaded nor queued", round, name)
			case up && !bytes.Equal(cloud.objects[name], b):
				t.Errorf("round %d: %s is marked uploaded; the bucket has %d of its %d bytes", round, name, len(cloud.objects[name]), len(b))
			}
		}
		cloud.mu.Unlock()
		for name := range queued {
			if _, ok := listed[name]; !ok {
				t.Errorf("round %d: the outbox holds %s, which no event lists", round, name)
			}
		}
		store.Close()
		if t.Failed() {
			t.Fatalf("round %d failed; daemon output:\n%s", round, out.Bytes())
		}
	}
	store, _ := openStore(t, dir)
	events, err := store.Events(context.Background(), "", 1<<20, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := store.OutboxLen(context.Background())
	cloud.mu.Lock()
	objects := len(cloud.objects)
	cloud.mu.Unlock()
	t.Logf("%d kills: %d events, %d snapshots, %d in the bucket, %d queued; recovery adopted %d renamed files the index lacked",
		rounds, len(events), len(seen), objects, n, adopted)
	if len(seen) < rounds || objects == 0 {
		t.Fatalf("only %d snapshots and %d uploads in %d rounds: the daemon barely ran", len(seen), objects, rounds)
	}
}

// killChild runs the daemon until it is killed.
func killChild(t *testing.T, dir string) {
	args := []string{"run", "-config=" + filepath.Join(dir, "config.json"), "-data=" + dir, "-loop"}
	var errb bytes.Buffer
	err := run(context.Background(), args, env(nil), os.Stdout, &errb)
	t.Fatalf("the daemon returned %v before it was killed:\n%s", err, errb.String())
}

// snapshotFiles lists the snapshot files in place (not the temporary ones).
func snapshotFiles(t *testing.T, root string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".jpg") && !strings.HasPrefix(e.Name(), ".") {
			names[e.Name()] = true
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return names
}

// listedSnapshots returns every snapshot the index lists, by name.
func listedSnapshots(t *testing.T, store interface {
	Events(context.Context, domain.EventID, int, time.Time) ([]domain.Event, error)
}) map[string]domain.Snapshot {
	t.Helper()
	listed := map[string]domain.Snapshot{}
	for before := domain.EventID(""); ; {
		evs, err := store.Events(context.Background(), before, 500, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return listed
		}
		for _, ev := range evs {
			for _, sn := range ev.Snapshots {
				listed[sn.Name] = sn
			}
		}
		before = evs[len(evs)-1].ID
	}
}
