//go:build e2e

package stack_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/scripts/devstack/stack"
)

// TestE2ECrash: the validator is killed (SIGKILL) while it works through a
// batch of uploads, good and hostile. versitygw does not deliver an event
// twice and the stack posts none, so the uploads pending at the kill are
// the validator's own start-up sweep's work: once it runs again every
// upload ends in production or in quarantine — never both, never neither —
// with the matching item, and nothing stays in the upload bucket.
func TestE2ECrash(t *testing.T) {
	// One upload at a time: the batch takes long enough to be caught half way.
	s := start(t, stack.Config{NoEdge: true, ValidatorConcurrency: 1})
	ctx := context.Background()
	in := s.Info()
	dev := enrollDevice(t, s, s.Demo.LicenseKey, "crash")

	var bodies [][]byte
	for _, f := range clipFrames(t, filepath.Join(root, stack.PETSClip), 40, 9) { // full size: ~0.2 s each to verify
		bodies = append(bodies, f)
	}
	bad := malformed(t)
	for _, name := range sortedKeys(bad)[:10] {
		bodies = append(bodies, bad[name])
	}
	var (
		mu   sync.Mutex
		keys = map[string]bool{} // key → a good image
		wg   sync.WaitGroup
		work = make(chan int)
	)
	for range 6 {
		wg.Go(func() {
			for i := range work {
				key, err := dev.upload(ctx, bodies[i], 1)
				if err != nil {
					t.Errorf("upload %d: %v", i, err)
					continue
				}
				mu.Lock()
				keys[key] = i < 40
				mu.Unlock()
			}
		})
	}
	for i := range bodies {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Kill it half way through.
	var pending, done int
	waitFor(t, "the validator half way through the batch", 2*time.Minute, func() (bool, error) {
		up, err := objects(ctx, s, in.UploadBucket, "uploads/")
		if err != nil {
			return false, err
		}
		prod, err := objects(ctx, s, in.ProductionBucket, "images/")
		pending, done = len(up), len(prod)
		return done >= 3 && pending >= 10, err
	})
	pid := s.ValidatorPID()
	s.KillValidator()
	t.Logf("SIGKILL to the validator (pid %d) with %d of %d uploads pending, %d verified", pid, pending, len(keys), done)
	time.Sleep(time.Second)
	sweptBefore, err := s.Swept()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StartValidator(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every upload handled after the restart", 3*time.Minute, func() (bool, error) {
		up, err := objects(ctx, s, in.UploadBucket, "uploads/")
		return len(up) == 0, err
	})
	// The sweep logs its count when it ends, just after its last upload.
	var swept int
	waitFor(t, "the validator's sweep to report the uploads it recovered", time.Minute, func() (bool, error) {
		n, err := s.Swept()
		swept = n - sweptBefore
		return swept > 0, err
	})

	prod, err := objects(ctx, s, in.ProductionBucket, "")
	if err != nil {
		t.Fatal(err)
	}
	quar, err := objects(ctx, s, in.UploadBucket, "quarantine/")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := imageRecords(ctx, s, s.Demo.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	rejs, err := rejections(ctx, s, s.Demo.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	items, rejected := map[string]int{}, map[string]int{}
	for _, r := range recs {
		items[r.SourceKey]++
	}
	for _, r := range rejs {
		rejected[r.SourceKey]++
	}
	var accepted, quarantined int
	for key, good := range keys {
		rest := strings.TrimPrefix(key, "uploads/")
		_, img := prod["images/"+rest]
		_, thumb := prod["thumbs/"+rest]
		_, q := quar["quarantine/"+key]
		switch {
		case img && q:
			t.Errorf("%s: in production AND in quarantine", key)
		case !img && !q:
			t.Errorf("%s: neither in production nor in quarantine", key)
		case img:
			accepted++
			if !thumb || items[key] != 1 || rejected[key] != 0 {
				t.Errorf("%s: accepted with thumbnail %v, %d items, %d rejections", key, thumb, items[key], rejected[key])
			}
			if !good {
				t.Errorf("%s: a malformed file was accepted", key)
			}
		default:
			quarantined++
			if rejected[key] != 1 || items[key] != 0 {
				t.Errorf("%s: quarantined with %d rejections, %d items", key, rejected[key], items[key])
			}
			if good {
				t.Errorf("%s: a good image was quarantined", key)
			}
		}
	}
	if len(prod) != 2*accepted || len(quar) != quarantined {
		t.Errorf("production holds %d objects for %d accepted, quarantine %d for %d", len(prod), accepted, len(quar), quarantined)
	}
	t.Logf("after the restart: %d accepted, %d quarantined; the validator's sweep handled %d of the %d pending at the kill", accepted, quarantined, swept, pending)
}
