package validator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"vigil/adapters/inmem"
	"vigil/app/validator"
	"vigil/domain"
)

// Uploads no event announced are handled by the sweep once old enough;
// failures wait for the next sweep; other prefixes are not listed.
func TestSweepHandlesForgottenUploads(t *testing.T) {
	e := newEnv(t)
	clock := now.Add(-time.Minute) // the pipeline's clock is now
	e.uploads.Now = func() time.Time { return clock }
	old, young, bad := uploadKey(1), uploadKey(2), uploadKey(3)
	e.uploads.Put(old, file(t, "../../testdata/faces/obama.jpg"))
	e.uploads.Put(bad, []byte("junk"))
	e.uploads.Put("quarantine/elsewhere.jpg", []byte("junk"))
	clock = now.Add(-10 * time.Second)
	e.uploads.Put(young, file(t, "../../testdata/faces/obama.jpg"))

	s, err := validator.NewSweeper(e.p, e.uploads, 0, 30*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Sweep(context.Background())
	if err != nil || st != (validator.SweepStats{Seen: 3, Handled: 2}) {
		t.Fatalf("sweep: %+v, %v", st, err)
	}
	if len(e.dir.Images()) != 1 || len(e.dir.Rejections()) != 1 {
		t.Fatalf("%d images, %d rejections", len(e.dir.Images()), len(e.dir.Rejections()))
	}
	if keys := strings.Join(e.uploads.Keys(), " "); !strings.Contains(keys, young) || strings.Contains(keys, old+" ") {
		t.Errorf("uploads left: %s", keys)
	}

	// The store fails: counted, left for the next sweep, which takes it.
	e.uploads.Fail = func(op, _ string) error {
		if op == "read" {
			return domain.E("s3", domain.Unavailable, errors.New("down"))
		}
		return nil
	}
	s2, _ := validator.NewSweeper(e.p, e.uploads, 0, 0, nil)
	if st, err := s2.Sweep(context.Background()); err != nil || st.Failed != 1 || st.Handled != 0 {
		t.Fatalf("sweep while down: %+v, %v", st, err)
	}
	e.uploads.Fail = nil
	if st, err := s2.Sweep(context.Background()); err != nil || st.Handled != 1 || len(e.dir.Images()) != 2 {
		t.Fatalf("sweep after: %+v, %v, %d images", st, err, len(e.dir.Images()))
	}

	// A listing failure is the sweep's error; Run goes on until ctx ends.
	e.uploads.Fail = func(op, _ string) error { return domain.E("s3", domain.Unavailable, errors.New("down")) }
	if _, err := s2.Sweep(context.Background()); err == nil {
		t.Error("a failed listing is no error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	s3, _ := validator.NewSweeper(e.p, e.uploads, 5*time.Millisecond, 0, nil)
	if err := s3.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, err := validator.NewSweeper(e.p, e.uploads, -time.Second, 0, nil); err == nil {
		t.Error("a negative interval")
	}
}

// hangingUploads is an upload bucket whose Size of one key hangs until
// the caller's context ends, as a stuck connection would.
type hangingUploads struct {
	*inmem.Bucket
	hang string
}

func (h hangingUploads) Size(ctx context.Context, key string) (int64, error) {
	if key == h.hang {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return h.Bucket.Size(ctx, key)
}

// A store call that hangs fails its upload after the handle timeout; the
// sweep goes on with the next upload instead of waiting for ever.
func TestSweepBoundsEachUpload(t *testing.T) {
	e := newEnv(t)
	e.uploads.Now = func() time.Time { return now.Add(-time.Minute) }
	stuck, fine := uploadKey(1), uploadKey(2)
	e.uploads.Put(stuck, file(t, "../../testdata/faces/obama.jpg"))
	e.uploads.Put(fine, file(t, "../../testdata/faces/obama.jpg"))
	p, err := validator.NewPipeline(validator.Stores{
		Uploads: hangingUploads{e.uploads, stuck}, Quarantine: &inmem.Quarantine{From: e.uploads, To: e.uploads},
		Production: e.prod, Directory: e.dir, Index: e.dir,
	}, nil, domain.VerifyLimits{}, func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := validator.NewSweeper(p, e.uploads, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.HandleTimeout = time.Second
	type result struct {
		st  validator.SweepStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := s.Sweep(context.Background())
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.st != (validator.SweepStats{Seen: 2, Handled: 1, Failed: 1}) {
			t.Fatalf("sweep: %+v, %v", r.st, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sweep hangs on a stuck store call")
	}
	if keys := e.uploads.Keys(); len(keys) != 1 || keys[0] != stuck || len(e.dir.Images()) != 1 {
		t.Errorf("uploads left %v, %d images", keys, len(e.dir.Images()))
	}
}
