package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/adapters/inmem"
	"vigil/domain"
)

// upClock is a clock the test moves, safe for concurrent use.
type upClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *upClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *upClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var upT0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// queued stores n snapshots of one event in a new in-memory store.
func queued(t *testing.T, n int) (*inmem.EventStore, []string) {
	t.Helper()
	store := inmem.NewEventStore()
	ev := domain.Event{ID: domain.NewEventID(upT0, [10]byte{1, 2, 3}), Start: upT0}
	var names []string
	for i := 1; i <= n; i++ {
		snap := domain.Snapshot{Kind: domain.PeakSnapshot, Name: domain.SnapshotName(ev.ID, i), Time: upT0}
		if err := store.AddSnapshot(context.Background(), &ev, snap, snapBytes(snap.Name)); err != nil {
			t.Fatal(err)
		}
		names = append(names, snap.Name)
	}
	return store, names
}

func snapBytes(name string) []byte {
	return append(append([]byte{0xff, 0xd8}, strings.Repeat(name, 3)...), 0xff, 0xd9)
}

// running runs u until the test ends (or stop is called) and returns stop,
// which waits for Run to return and reports how long that took.
func running(t *testing.T, u *Uploader) (stop func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return within 5 s of the end of its context")
			}
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5 s: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func outboxLen(s *inmem.EventStore) int {
	n, _ := s.OutboxLen(context.Background())
	return n
}

// entry is the outbox entry of name, due or not.
func entry(t *testing.T, s *inmem.EventStore, name string) (domain.Upload, bool) {
	t.Helper()
	ups, err := s.Pending(context.Background(), upT0.Add(1000*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		if u.Name == name {
			return u, true
		}
	}
	return domain.Upload{}, false
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func noJitter(d time.Duration) time.Duration { return d }

func TestUploaderSendsEverySnapshotOnce(t *testing.T) {
	store, names := queued(t, 7)
	cloud := &inmem.Cloud{}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 10 * time.Millisecond}, quiet())
	running(t, u)
	eventually(t, "the outbox empties", func() bool { return outboxLen(store) == 0 && u.Status().Uploaded == len(names) })

	objects, puts := cloud.Objects(), cloud.Puts()
	for _, n := range names {
		if !bytes.Equal(objects[inmem.Key(n)], snapBytes(n)) || puts[inmem.Key(n)] != 1 {
			t.Errorf("%s: %d bytes stored in %d PUTs, want its %d bytes once", n, len(objects[inmem.Key(n)]), puts[inmem.Key(n)], len(snapBytes(n)))
		}
	}
	if len(objects) != len(names) || cloud.Grants() != len(names) {
		t.Fatalf("%d objects from %d grants, want %d of each", len(objects), cloud.Grants(), len(names))
	}
	ev := store.Events()[0]
	for _, sn := range ev.Snapshots {
		if sn.Uploaded.IsZero() {
			t.Errorf("snapshot %s not marked uploaded", sn.Name)
		}
	}
	st := u.Status()
	if st.Uploaded != len(names) || st.Failures != 0 || st.LastError != "" || st.LastUpload.IsZero() {
		t.Fatalf("status %+v", st)
	}
}

// Failed attempts come back after Base, 2 Base, 4 Base, ... up to Limit;
// a target that is down holds every upload off for as long.
func TestUploaderBacksOff(t *testing.T) {
	store, names := queued(t, 2)
	clock := &upClock{t: upT0}
	var down atomic.Bool
	down.Store(true)
	cloud := &inmem.Cloud{Now: clock.Now, BeforeGrant: func(context.Context, domain.Upload) error {
		if down.Load() {
			return domain.E("cloud", domain.Unavailable, errors.New("503 Service Unavailable"))
		}
		return nil
	}}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 5 * time.Millisecond, Workers: 1, Base: 2 * time.Second,
		Limit: 10 * time.Second, Now: clock.Now, Jitter: noJitter}, quiet())
	running(t, u)

	// The first attempt fails: that entry is due again in 2 s, and the
	// cloud being down holds the other off as long (it is not tried).
	now := upT0
	eventually(t, "a first failure", func() bool { return u.Status().Failures == 1 })
	time.Sleep(30 * time.Millisecond) // several polls: nothing more happens while the clock stands
	first, _ := entry(t, store, names[0])
	other, _ := entry(t, store, names[1])
	st := u.Status()
	if st.Failures != 1 || first.Attempts != 1 || !first.Due.Equal(now.Add(2*time.Second)) || other.Attempts != 0 ||
		!st.HeldUntil.Equal(now.Add(2*time.Second)) || !strings.Contains(first.LastError, "503") || !strings.Contains(st.LastError, "503") ||
		!st.LastErrorAt.Equal(now) {
		t.Fatalf("after the first failure: entry %+v, other %+v, status %+v", first, other, st)
	}

	// Each further failure doubles the wait, up to the limit: 2, 4, 8, 10, 10 s
	// for names[0] (names[1] fails alongside, from its own count).
	wants := []time.Duration{4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, want := range wants {
		e, _ := entry(t, store, names[0])
		now = e.Due
		clock.Set(now)
		u.Wake()
		eventually(t, fmt.Sprintf("attempt %d", i+2), func() bool { e, _ := entry(t, store, names[0]); return e.Attempts == i+2 })
		e, _ = entry(t, store, names[0])
		if !e.Due.Equal(now.Add(want)) {
			t.Fatalf("after %d failures due %v, want now + %v", e.Attempts, e.Due.Sub(now), want)
		}
	}

	// Back up: both go at the next poll once due, and the hold is lifted.
	down.Store(false)
	clock.Set(now.Add(time.Minute))
	eventually(t, "the outbox empties", func() bool { return outboxLen(store) == 0 && u.Status().Uploaded == 2 })
	if st := u.Status(); st.Uploaded != 2 || !st.HeldUntil.IsZero() {
		t.Fatalf("status after recovery %+v", st)
	}
}

// A refusal that is the snapshot's own (an Invalid grant, an expired URL)
// delays that snapshot only; the others go on.
func TestUploaderItemFailuresDoNotHold(t *testing.T) {
	store, names := queued(t, 4)
	clock := &upClock{t: upT0}
	cloud := &inmem.Cloud{Now: clock.Now, BeforeGrant: func(_ context.Context, up domain.Upload) error {
		if up.Name == names[1] {
			return domain.E("cloud", domain.Invalid, errors.New("400 Bad Request: too big"))
		}
		return nil
	}, BeforePut: func(_ context.Context, g domain.UploadGrant) error {
		if g.Key == inmem.Key(names[2]) {
			return domain.E("s3", domain.Unauthorized, errors.New("403 Forbidden: AccessDenied: Request has expired"))
		}
		return nil
	}}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 5 * time.Millisecond, Now: clock.Now, Jitter: noJitter}, quiet())
	running(t, u)
	eventually(t, "two uploads and two failures", func() bool { st := u.Status(); return st.Uploaded == 2 && st.Failures == 2 })
	if st := u.Status(); !st.HeldUntil.IsZero() {
		t.Fatalf("held by a snapshot's own failure: %+v", st)
	}
	if got := store.Outbox(); len(got) != 2 || got[0] != names[1] || got[1] != names[2] {
		t.Fatalf("outbox %v, want the two refused", got)
	}
}

// Every attempt asks for a new grant: an expired one is never used again.
func TestUploaderNeverReusesAGrant(t *testing.T) {
	store, names := queued(t, 1)
	clock := &upClock{t: upT0}
	var urls []string
	var mu sync.Mutex
	cloud := &inmem.Cloud{Now: clock.Now, Lifetime: time.Minute}
	cloud.BeforePut = func(_ context.Context, g domain.UploadGrant) error {
		mu.Lock()
		defer mu.Unlock()
		urls = append(urls, g.URL)
		if len(urls) == 1 {
			clock.Set(upT0.Add(2 * time.Minute)) // the PUT is slow: the grant expires meanwhile
		}
		return nil
	}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 5 * time.Millisecond, Now: clock.Now, Jitter: noJitter}, quiet())
	running(t, u)
	eventually(t, "a failure", func() bool { return u.Status().Failures == 1 })
	if e, _ := entry(t, store, names[0]); e.Attempts != 1 || !strings.Contains(e.LastError, "expired") {
		t.Fatalf("entry after the expired grant %+v", e)
	}
	clock.Set(upT0.Add(time.Hour))
	eventually(t, "the upload", func() bool { return outboxLen(store) == 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(urls) != 2 || urls[0] == urls[1] || cloud.Grants() != 2 {
		t.Fatalf("PUTs with %v from %d grants: want two different grants", urls, cloud.Grants())
	}
}

// A snapshot whose file retention deleted leaves the queue at once, without
// a grant; one deleted during its PUT counts as sent.
func TestUploaderDropsDeletedSnapshots(t *testing.T) {
	store, names := queued(t, 3)
	gone := names[0] // its file is gone, its entries not yet (retention's window)
	files := readerFunc(func(name string) ([]byte, error) {
		if name == gone {
			return nil, domain.E("disk: read "+name, domain.NotFound, errors.New("no such file"))
		}
		return store.Read(name)
	})
	var granted sync.Map
	cloud := &inmem.Cloud{BeforeGrant: func(_ context.Context, up domain.Upload) error {
		granted.Store(up.Name, true)
		return nil
	}, BeforePut: func(_ context.Context, g domain.UploadGrant) error {
		if g.Key == inmem.Key(names[1]) {
			store.DeleteSnapshot(names[1]) // retention, during the PUT
		}
		return nil
	}}
	u := NewUploader(store, files, cloud, cloud, UploaderConfig{Poll: 5 * time.Millisecond}, quiet())
	running(t, u)
	eventually(t, "the outbox empties", func() bool { st := u.Status(); return outboxLen(store) == 0 && st.Uploaded+st.Dropped == 3 })
	if _, ok := granted.Load(gone); ok {
		t.Fatal("a grant was asked for a deleted snapshot")
	}
	if st := u.Status(); st.Dropped != 1 || st.Uploaded != 2 || st.Failures != 0 {
		t.Fatalf("status %+v, want 1 dropped, 2 uploaded, no failure", st)
	}
}

type readerFunc func(name string) ([]byte, error)

func (f readerFunc) Read(name string) ([]byte, error) { return f(name) }

// The cloud answering Conflict has the object already: done, nothing sent.
func TestUploaderConflictMeansReceived(t *testing.T) {
	store, _ := queued(t, 2)
	cloud := &inmem.Cloud{BeforeGrant: func(context.Context, domain.Upload) error {
		return domain.E("cloudapi: grant", domain.Conflict, errors.New("409 Conflict: received already"))
	}}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 5 * time.Millisecond}, quiet())
	running(t, u)
	eventually(t, "the outbox empties", func() bool { return outboxLen(store) == 0 && u.Status().Uploaded == 2 })
	if st := u.Status(); st.Uploaded != 2 || st.Failures != 0 || len(cloud.Puts()) != 0 {
		t.Fatalf("status %+v, puts %v", st, cloud.Puts())
	}
}

func TestUploaderBoundsConcurrency(t *testing.T) {
	const workers = 3
	store, names := queued(t, 10)
	var inFlight, most atomic.Int32
	release := make(chan struct{})
	cloud := &inmem.Cloud{BeforePut: func(ctx context.Context, _ domain.UploadGrant) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 2 * time.Millisecond, Workers: workers, Batch: 4}, quiet())
	running(t, u)
	eventually(t, "all workers busy", func() bool { return inFlight.Load() == workers })
	time.Sleep(30 * time.Millisecond) // polls and wakes start no more
	u.Wake()
	time.Sleep(10 * time.Millisecond)
	if n := most.Load(); n != workers {
		t.Fatalf("%d uploads at once, want %d", n, workers)
	}
	close(release)
	eventually(t, "the outbox empties", func() bool { return outboxLen(store) == 0 })
	if m, puts := most.Load(), cloud.Puts(); m != workers || len(puts) != len(names) {
		t.Fatalf("at most %d at once (want %d), %d objects (want %d)", m, workers, len(puts), len(names))
	}
	for k, n := range cloud.Puts() {
		if n != 1 {
			t.Errorf("%s put %d times", k, n)
		}
	}
}

// The end of Run's context cancels the PUTs in flight and leaves their
// entries as they were: no failure recorded, nothing lost.
func TestUploaderShutdownLeavesItemsQueued(t *testing.T) {
	store, names := queued(t, 5)
	var inFlight atomic.Int32
	cloud := &inmem.Cloud{BeforePut: func(ctx context.Context, _ domain.UploadGrant) error {
		inFlight.Add(1)
		<-ctx.Done() // the store never answers
		return fmt.Errorf("put: %w", ctx.Err())
	}}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 5 * time.Millisecond}, quiet())
	stop := running(t, u)
	eventually(t, "two PUTs in flight", func() bool { return inFlight.Load() == 2 })
	if took := stop(); took > time.Second {
		t.Fatalf("Run took %v to return", took)
	}
	if got := store.Outbox(); len(got) != len(names) {
		t.Fatalf("outbox %v after the shutdown, want all %d", got, len(names))
	}
	for _, n := range names {
		if e, _ := entry(t, store, n); e.Attempts != 0 || e.LastError != "" || !e.Due.IsZero() {
			t.Fatalf("entry changed by the shutdown: %+v", e)
		}
	}
	if st := u.Status(); st.Failures != 0 || st.Uploaded != 0 {
		t.Fatalf("status %+v", st)
	}
}

// A new snapshot goes out at once, not at the next poll.
func TestUploaderWakesOnNewSnapshots(t *testing.T) {
	store := inmem.NewEventStore()
	cloud := &inmem.Cloud{}
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: time.Hour}, quiet())
	running(t, u)
	time.Sleep(20 * time.Millisecond) // the first look at the outbox found nothing
	rec := WakeOnSnapshot(store, u)
	ev := domain.Event{ID: domain.NewEventID(upT0, [10]byte{9}), Start: upT0}
	snap := domain.Snapshot{Kind: domain.FirstSnapshot, Name: domain.SnapshotName(ev.ID, 1)}
	start := time.Now()
	if err := rec.AddSnapshot(context.Background(), &ev, snap, snapBytes(snap.Name)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the upload", func() bool { return outboxLen(store) == 0 })
	t.Logf("uploaded %v after it was stored", time.Since(start))
	if err := rec.SaveEvent(context.Background(), &ev); err != nil { // the rest of the store is the store's
		t.Fatal(err)
	}

	// Wake never blocks, running or not.
	idle := NewUploader(store, store, cloud, cloud, UploaderConfig{}, quiet())
	for range 1000 {
		idle.Wake()
	}
}

// A failing outbox (a broken disk) is logged and retried; Run goes on.
func TestUploaderSurvivesOutboxErrors(t *testing.T) {
	store, _ := queued(t, 2)
	store.SetFail(errors.New("disk on fire"))
	cloud := &inmem.Cloud{}
	var logged strings.Builder
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logged.Write(p)
	}), nil))
	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 2 * time.Millisecond}, log)
	running(t, u)
	eventually(t, "failures", func() bool { return u.Status().Failures >= 5 })
	if st := u.Status(); !strings.Contains(st.LastError, "disk on fire") {
		t.Fatalf("status %+v", st)
	}
	logMu.Lock()
	lines := strings.Count(logged.String(), "upload failed")
	logMu.Unlock()
	if lines != 1 {
		t.Fatalf("%d failure lines logged within a minute, want 1:\n%s", lines, logged.String())
	}
	store.SetFail(nil)
	eventually(t, "the outbox empties", func() bool { return outboxLen(store) == 0 })
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestHalfJitter(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 2, 3, time.Second, 10 * time.Minute} {
		lo, hi := d, time.Duration(0)
		for range 2000 {
			j := halfJitter(d)
			lo, hi = min(lo, j), max(hi, j)
		}
		if lo < d/2 || hi > d {
			t.Errorf("halfJitter(%v) in [%v, %v], want within [%v, %v]", d, lo, hi, d/2, d)
		}
		if d >= time.Second && (hi-lo) < d/4 {
			t.Errorf("halfJitter(%v) spread only [%v, %v]", d, lo, hi)
		}
	}
}
