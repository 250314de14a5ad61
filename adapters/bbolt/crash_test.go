package bbolt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil/adapters/disk"
	"vigil/domain"
)

// crashEnv, when set, makes TestCrashRecovery the child that records until
// it is killed; its value is the data directory.
const crashEnv = "VIGIL_BBOLT_CRASH_CHILD"

// crashContent is the deterministic content of a snapshot, so the parent
// can tell a complete file from a torn one: a JPEG-like frame of 1 to 48 KiB
// derived from the name.
func crashContent(name string) []byte {
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := h.Sum64()
	r := rand.New(rand.NewPCG(seed, seed>>7))
	b := make([]byte, 1024+int(seed%(47*1024)))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, []byte{0xff, 0xd8})
	copy(b[2:], name)
	copy(b[len(b)-2:], []byte{0xff, 0xd9})
	return b
}

// TestCrashRecovery kills a recording process with SIGKILL at random
// moments (21 times 20–300 ms after it started recording, 7 times within
// 50 ms of its start, while it opens and reconciles), each time reopens
// its data, runs Reconcile and checks the invariants:
// every event whose snapshots were all stored is listed, every listed
// snapshot has its complete file (and every file is listed), and the outbox
// holds exactly the snapshots not uploaded.
func TestCrashRecovery(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("kills subprocesses; skipped in -short")
	}
	// An arm64 test binary run by `go test -exec qemu-aarch64-static`
	// cannot exec itself (no binfmt_misc); the emulator runs on this
	// kernel's system calls anyway, which the native run covers.
	if err := exec.Command(os.Args[0], "-test.run=^$").Run(); errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("cannot re-run the test binary here: %v", err)
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	dir := t.TempDir()
	const rounds = 28                    // 21 while recording, 7 while starting
	var orphans, missing, tmps, torn int // what the kills left for recovery to do
	for round := range rounds {
		cmd := childCommand(dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if round%4 == 3 {
			// Now and then while it starts: opening, sweeping, reconciling.
			time.Sleep(time.Duration(1+rng.IntN(50)) * time.Millisecond)
		} else {
			waitStarted(t, filepath.Join(dir, "log"), cmd.Process.Pid)
			time.Sleep(time.Duration(20+rng.IntN(281)) * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not killed:\n%s", round, err, out.Bytes())
		}

		tmps += countTemps(t, filepath.Join(dir, "snaps"))
		s := openAt(t, dir)
		o, m := countStrays(t, s)
		orphans, missing = orphans+o, missing+m
		if err := s.Reconcile(ctx); err != nil {
			t.Fatalf("round %d: Reconcile: %v", round, err)
		}
		listed := checkInvariants(t, s)
		for name := range listed {
			b, err := s.files.Read(name)
			if err != nil || !bytes.Equal(b, crashContent(name)) {
				torn++
				t.Errorf("round %d: %s is not the file written (%d bytes, %v)", round, name, len(b), err)
			}
		}
		checkLog(t, round, s, filepath.Join(dir, "log"), listed)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			t.Fatalf("round %d failed; child output:\n%s", round, out.Bytes())
		}
	}
	ops := readLog(t, filepath.Join(dir, "log"))
	count := map[string]int{}
	for _, op := range ops {
		count[op[0]]++
	}
	snaps := count["snap"]
	t.Logf("%d kills: %d events, %d snapshots, %d uploads, %d prunes, %d deletions acknowledged; "+
		"recovery indexed %d orphan files, dropped %d entries without a file, removed %d temporary files; %d torn files",
		rounds, count["event"], snaps, count["up"], count["pruned"], count["delete"], orphans, missing, tmps, torn)
	if snaps < rounds {
		t.Fatalf("only %d snapshots stored in %d rounds: the child barely ran", snaps, rounds)
	}
}

// childCommand re-runs the test binary as the crash child.
func childCommand(dir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	return cmd
}

// waitStarted waits until the child with pid wrote its "start" line (it
// has opened the store and reconciled).
func waitStarted(t *testing.T, path string, pid int) {
	t.Helper()
	line := []byte(fmt.Sprintf("start %d\n", pid))
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if b, _ := os.ReadFile(path); bytes.Contains(b, line) {
			return
		}
	}
	t.Fatalf("child %d did not start within 20 s", pid)
}

// crashChild records events until it is killed: each with three
// snapshots, then ends it; the uploader marks some uploaded and fails
// others; now and then it prunes or deletes an event. After each step it
// appends a line to dir/log: "event ID" once SaveEvent returned, "snap
// NAME" once AddSnapshot returned, "up NAME" once Uploaded returned,
// "prune" before Prune and "pruned N…" after, "delete ID" before DeleteEvent.
func crashChild(t *testing.T, dir string) {
	deadline := time.Now().Add(20 * time.Second) // never outlive a parent that died
	logf, err := os.OpenFile(filepath.Join(dir, "log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	note := func(f string, a ...any) {
		if _, err := fmt.Fprintf(logf, f+"\n", a...); err != nil { // one write(2) per line
			t.Fatal(err)
		}
	}
	files, err := disk.Open(filepath.Join(dir, "snaps"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "vigil.db"), files, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	note("start %d", os.Getpid())
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	kinds := []domain.SnapshotKind{domain.FirstSnapshot, domain.PeakSnapshot, domain.LastSnapshot}
	for i := 0; time.Now().Before(deadline); i++ {
		now := time.Now()
		var entropy [10]byte
		binary.BigEndian.PutUint64(entropy[:], rng.Uint64())
		ev := domain.Event{ID: domain.NewEventID(now, entropy), Start: now, PeakAt: now, PeakScore: 5, Frames: 3,
			BBox: domain.Box{X0: 0.2, Y0: 0.2, X1: 0.4, Y1: 0.6}}
		if err := s.SaveEvent(ctx, &ev); err != nil {
			t.Fatal(err)
		}
		note("event %s", ev.ID)
		for k, kind := range kinds {
			snap := domain.Snapshot{Kind: kind, Frame: int64(k), Time: time.Now(), Name: fmt.Sprintf("%s-%d.jpg", ev.ID, k+1)}
			if err := s.AddSnapshot(ctx, &ev, snap, crashContent(snap.Name)); err != nil {
				t.Fatal(err)
			}
			note("snap %s", snap.Name)
		}
		ev.End = time.Now()
		if err := s.SaveEvent(ctx, &ev); err != nil {
			t.Fatal(err)
		}

		ups, err := s.Pending(ctx, time.Now(), 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ups {
			if rng.IntN(3) == 0 {
				if err := s.Failed(ctx, u.Name, time.Now().Add(30*time.Millisecond), "unreachable"); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if err := s.Uploaded(ctx, u.Name, time.Now()); err != nil {
				t.Fatal(err)
			}
			note("up %s", u.Name)
		}
		switch {
		case i%5 == 4:
			note("prune")
			removed, err := s.Prune(ctx, 1<<20, 0)
			if err != nil {
				t.Fatal(err)
			}
			note("pruned %s", strings.Join(removed, " "))
		case i%7 == 6:
			note("delete %s", ev.ID)
			if err := s.DeleteEvent(ctx, ev.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Fatal("the child was not killed within 20 s")
}

func readLog(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var ops [][]string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 {
			ops = append(ops, f)
		}
	}
	if len(b) > 0 && b[len(b)-1] != '\n' && len(ops) > 0 { // a line cut by the kill
		ops = ops[:len(ops)-1]
	}
	return ops
}

// checkLog checks what the child was told against what is stored: every
// acknowledged snapshot is listed, unless its event was deleted or a
// prune may have removed it; every acknowledged upload is recorded.
func checkLog(t *testing.T, round int, s *Store, path string, listed map[string]domain.Snapshot) {
	t.Helper()
	acked := map[string]bool{}              // snapshot names that must be listed
	events := map[domain.EventID][]string{} // acknowledged events and their snapshots
	uploaded := map[string]bool{}
	pruning := false
	endPrune := func() { // a prune was cut short: any acknowledged snapshot may be gone
		if pruning {
			clear(acked)
			clear(events)
		}
		pruning = false
	}
	for _, op := range readLog(t, path) {
		switch op[0] {
		case "start":
			endPrune()
		case "event":
			events[domain.EventID(op[1])] = []string{}
		case "snap":
			id := domain.EventID(op[1][:26])
			acked[op[1]] = true
			events[id] = append(events[id], op[1])
		case "up":
			uploaded[op[1]] = true
		case "prune":
			pruning = true
		case "pruned":
			pruning = false
			for _, name := range op[1:] {
				delete(acked, name)
				id := domain.EventID(name[:26])
				delete(events, id) // may be gone with its last snapshot
			}
		case "delete":
			id := domain.EventID(op[1])
			for _, name := range events[id] {
				delete(acked, name)
			}
			delete(events, id)
		}
	}
	// A prune still running at the kill is settled by its absent "pruned".
	endPrune()
	for name := range acked {
		if _, ok := listed[name]; !ok {
			t.Errorf("round %d: acknowledged snapshot %s is not listed", round, name)
		}
	}
	for id := range events {
		if _, err := s.Event(ctx, id); err != nil {
			t.Errorf("round %d: acknowledged event %s: %v", round, id, err)
		}
	}
	for name := range uploaded {
		if sn, ok := listed[name]; ok && sn.Uploaded.IsZero() {
			t.Errorf("round %d: %s was acknowledged uploaded, is not marked", round, name)
		}
	}
}

// countTemps counts the temporary files a kill left (disk.Open removes them).
func countTemps(t *testing.T, root string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(root, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasPrefix(e.Name(), ".tmp-") {
			n++
		}
		return nil
	})
	return n
}

// countStrays counts, before Reconcile, the files that are not listed and
// the listed snapshots that have no file.
func countStrays(t *testing.T, s *Store) (orphans, missing int) {
	t.Helper()
	files, err := s.files.List()
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, f := range files {
		onDisk[f.Name] = true
	}
	listed := map[string]bool{}
	for before := domain.EventID(""); ; {
		evs, err := s.Events(ctx, before, 500, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			for _, sn := range ev.Snapshots {
				listed[sn.Name] = true
				if !onDisk[sn.Name] {
					missing++
				}
			}
		}
		before = evs[len(evs)-1].ID
	}
	for name := range onDisk {
		if !listed[name] {
			orphans++
		}
	}
	return orphans, missing
}
