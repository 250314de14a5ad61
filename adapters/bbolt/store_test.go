package bbolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"vigil/adapters/disk"
	"vigil/adapters/storetest"
	"vigil/domain"
)

var (
	ctx   = context.Background()
	t0    = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	clock = func() time.Time { return t0.Add(time.Hour) }
)

// openAt opens the store kept in dir (snapshots in dir/snaps); Close runs
// at the end of the test.
func openAt(t *testing.T, dir string) *Store {
	t.Helper()
	files, err := disk.Open(filepath.Join(dir, "snaps"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "vigil.db"), files, Options{Timeout: 200 * time.Millisecond, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func subject(t *testing.T, dir string) storetest.Subject {
	s := openAt(t, dir)
	return storetest.Subject{
		Store:  s,
		Event:  s.Event,
		File:   s.files.Read,
		Outbox: func(context.Context) ([]string, error) { return outboxNames(t, s), nil },
		Reopen: func(t *testing.T) storetest.Subject {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return subject(t, dir)
		},
	}
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Subject { return subject(t, t.TempDir()) })
}

// outboxNames reads the whole outbox, due or not, in order, and checks
// that outbox_names matches it.
func outboxNames(t *testing.T, s *Store) []string {
	t.Helper()
	var names []string
	err := s.db.View(func(tx *bolt.Tx) error {
		byName := tx.Bucket(bucketOutboxNames)
		if err := tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			u, err := decodeUpload(v)
			if err != nil {
				return err
			}
			if !bytes.Equal(byName.Get([]byte(u.Name)), k) {
				return fmt.Errorf("outbox_names[%s] = %x, want %x", u.Name, byName.Get([]byte(u.Name)), k)
			}
			names = append(names, u.Name)
			return nil
		}); err != nil {
			return err
		}
		if n := byName.Stats().KeyN; n != len(names) {
			return fmt.Errorf("outbox_names holds %d, outbox %d", n, len(names))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func newEvent(at time.Time, i int) domain.Event {
	return domain.Event{ID: domain.NewEventID(at, [10]byte{byte(i), byte(i >> 8), 1}), Start: at, PeakAt: at, PeakScore: 10,
		BBox: domain.Box{X0: 0.1, Y0: 0.1, X1: 0.5, Y1: 0.5}, Frames: 3}
}

// recordEvent saves an event (ended when end is set) with n snapshots of size bytes.
func recordEvent(t *testing.T, s *Store, at time.Time, i, n, size int, end bool) domain.Event {
	t.Helper()
	ev := newEvent(at, i)
	if err := s.SaveEvent(ctx, &ev); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= n; k++ {
		snap := domain.Snapshot{Kind: domain.PeakSnapshot, Frame: int64(k), Time: at.Add(time.Duration(k) * time.Second),
			Name: fmt.Sprintf("%s-%d.jpg", ev.ID, k)}
		if err := s.AddSnapshot(ctx, &ev, snap, bytes.Repeat([]byte{byte(k)}, size)); err != nil {
			t.Fatal(err)
		}
	}
	if end {
		ev.End = at.Add(time.Minute)
		if err := s.SaveEvent(ctx, &ev); err != nil {
			t.Fatal(err)
		}
	}
	return ev
}

func ids(evs []domain.Event) []domain.EventID {
	var out []domain.EventID
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestEventsPagesNewestFirstAndByDay(t *testing.T) {
	s := openAt(t, t.TempDir())
	var all []domain.EventID // newest first
	// 8 events a day on 3 days, 3 hours apart from 01:00 UTC.
	for d := range 3 {
		for h := range 8 {
			ev := recordEvent(t, s, time.Date(2026, 11, 26+d, 1+3*h, 0, 0, 0, time.UTC), d*10+h, 0, 0, true)
			all = append([]domain.EventID{ev.ID}, all...)
		}
	}
	var got []domain.EventID
	var before domain.EventID
	for page := 0; ; page++ {
		evs, err := s.Events(ctx, before, 10, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		if len(evs) > 10 || page > 3 {
			t.Fatalf("page %d holds %d", page, len(evs))
		}
		got = append(got, ids(evs)...)
		before = evs[len(evs)-1].ID
	}
	if !slices.Equal(got, all) {
		t.Fatalf("pages gave %v\nwant %v", got, all)
	}

	day, err := s.Events(ctx, "", 100, time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(ids(day), all[8:16]) {
		t.Fatalf("27 Nov (UTC) = %v, %v; want %v", ids(day), err, all[8:16])
	}
	// The day is the caller's: in UTC+10 the 27th runs from 26th 14:00 UTC
	// to 27th 14:00 UTC, holding the 26th's 16:00, 19:00, 22:00 and the
	// 27th's 01:00 to 13:00.
	east := time.FixedZone("UTC+10", 10*3600)
	day, err = s.Events(ctx, "", 100, time.Date(2026, 11, 27, 9, 0, 0, 0, east))
	if err != nil || !slices.Equal(ids(day), all[11:19]) {
		t.Fatalf("27 Nov (UTC+10) = %v, %v; want %v", ids(day), err, all[11:19])
	}
	// Paging within a day.
	day, err = s.Events(ctx, all[9], 3, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(ids(day), all[10:13]) {
		t.Fatalf("27 Nov after %s = %v, %v", all[9], ids(day), err)
	}
	// Paging past the day's end from a later cursor.
	day, err = s.Events(ctx, all[0], 100, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	if err != nil || !slices.Equal(ids(day), all[16:]) {
		t.Fatalf("26 Nov before %s = %v, %v", all[0], ids(day), err)
	}
	if day, err := s.Events(ctx, "", 10, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(day) != 0 {
		t.Fatalf("empty day = %v, %v", day, err)
	}
	if _, err := s.Events(ctx, "", 0, time.Time{}); domain.KindOf(err) != domain.Invalid {
		t.Errorf("limit 0: %v", err)
	}
	if _, err := s.Events(ctx, "../x", 10, time.Time{}); domain.KindOf(err) != domain.Invalid {
		t.Errorf("bad cursor: %v", err)
	}
	if _, err := s.Event(ctx, "nope"); domain.KindOf(err) != domain.Invalid {
		t.Errorf("Event(bad id): %v", err)
	}
}

func TestOutboxDueTimesUploadedFailed(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	ev := recordEvent(t, s, t0, 1, 3, 100, true)
	n1, n2, n3 := ev.Snapshots[0].Name, ev.Snapshots[1].Name, ev.Snapshots[2].Name
	now := clock()

	ups, err := s.Pending(ctx, now, 10)
	if err != nil || len(ups) != 3 {
		t.Fatalf("Pending = %+v, %v", ups, err)
	}
	want := Upload{Name: n1, Event: ev.ID, Bytes: 100, Queued: now}
	if ups[0] != want || ups[1].Name != n2 || ups[2].Name != n3 {
		t.Fatalf("Pending = %+v\nfirst want %+v", ups, want)
	}

	// n1 fails: back in a minute.
	if err := s.Failed(ctx, n1, now.Add(time.Minute), "grant: 503"); err != nil {
		t.Fatal(err)
	}
	if ups, _ := s.Pending(ctx, now, 10); len(ups) != 2 || ups[0].Name != n2 {
		t.Fatalf("Pending right after the failure = %+v", ups)
	}
	if ups, _ := s.Pending(ctx, now, 1); len(ups) != 1 || ups[0].Name != n2 {
		t.Fatalf("Pending limit 1 = %+v", ups)
	}
	ups, _ = s.Pending(ctx, now.Add(time.Minute), 10)
	if len(ups) != 3 || ups[0].Name != n1 || ups[0].Attempts != 1 || ups[0].LastError != "grant: 503" ||
		!ups[0].Due.Equal(now.Add(time.Minute)) {
		t.Fatalf("Pending when due again = %+v", ups)
	}
	if err := s.Failed(ctx, n1, now.Add(2*time.Minute), strings.Repeat("x", 5000)); err != nil {
		t.Fatal(err)
	}

	// n2 arrives.
	at := now.Add(3 * time.Second)
	if err := s.Uploaded(ctx, n2, at); err != nil {
		t.Fatal(err)
	}
	if err := s.Uploaded(ctx, n2, at.Add(time.Hour)); err != nil {
		t.Fatalf("Uploaded twice: %v", err)
	}
	if got, _ := s.Event(ctx, ev.ID); !got.Snapshots[1].Uploaded.Equal(at) || !got.Snapshots[0].Uploaded.IsZero() {
		t.Fatalf("snapshots after upload %+v", got.Snapshots)
	}
	if n, err := s.OutboxLen(ctx); err != nil || n != 2 {
		t.Fatalf("OutboxLen = %d, %v", n, err)
	}
	if err := s.Failed(ctx, n2, now, "late"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Failed after Uploaded: %v", err)
	}
	other := newEvent(t0, 99)
	if err := s.Uploaded(ctx, string(other.ID)+"-1.jpg", at); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Uploaded of an unknown snapshot: %v", err)
	}
	if err := s.Uploaded(ctx, "../x.jpg", at); domain.KindOf(err) != domain.Invalid {
		t.Errorf("Uploaded of a bad name: %v", err)
	}
	if _, err := s.Pending(ctx, now, 0); domain.KindOf(err) != domain.Invalid {
		t.Errorf("Pending limit 0: %v", err)
	}

	// All of it survives a restart.
	s.Close()
	s = openAt(t, dir)
	ups, _ = s.Pending(ctx, now.Add(2*time.Minute), 10)
	if len(ups) != 2 || ups[0].Name != n1 || ups[0].Attempts != 2 || len(ups[0].LastError) != domain.MaxReason || ups[1].Name != n3 {
		t.Fatalf("Pending after reopening = %+v", ups)
	}
	if got, _ := s.Event(ctx, ev.ID); !got.Snapshots[1].Uploaded.Equal(at) {
		t.Fatalf("uploaded time lost: %+v", got.Snapshots)
	}
}

func TestPruneUploadedFirstOldestFirst(t *testing.T) {
	s := openAt(t, t.TempDir())
	var evs []domain.Event
	for i := range 4 { // e0 oldest … e3 newest, two 1000-byte snapshots each
		evs = append(evs, recordEvent(t, s, t0.Add(time.Duration(i)*time.Hour), i, 2, 1000, i != 2))
	}
	name := func(e, k int) string { return evs[e].Snapshots[k].Name }
	for _, n := range []string{name(3, 0), name(2, 1), name(1, 1), name(3, 1)} {
		if err := s.Uploaded(ctx, n, clock()); err != nil {
			t.Fatal(err)
		}
	}

	if removed, err := s.Prune(ctx, 8000, 0); err != nil || len(removed) != 0 {
		t.Fatalf("Prune within the quota removed %v, %v", removed, err)
	}
	if removed, err := s.Prune(ctx, 0, 0); err != nil || len(removed) != 0 {
		t.Fatalf("Prune without limits removed %v, %v", removed, err)
	}

	// 8000 bytes, quota 4500: the four uploaded ones go, oldest first.
	removed, err := s.Prune(ctx, 4500, 0)
	want := []string{name(1, 1), name(2, 1), name(3, 0), name(3, 1)}
	if err != nil || !slices.Equal(removed, want) {
		t.Fatalf("Prune removed %v, %v\nwant %v", removed, err, want)
	}
	if u, _ := s.files.Usage(); u != 4000 {
		t.Fatalf("usage %d after Prune", u)
	}
	// e3 is ended and empty: gone. e2 runs: kept, empty.
	if _, err := s.Event(ctx, evs[3].ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("emptied ended event: %v", err)
	}
	if e2, err := s.Event(ctx, evs[2].ID); err != nil || len(e2.Snapshots) != 1 {
		t.Fatalf("running event %+v, %v", e2, err)
	}
	if got := outboxNames(t, s); !slices.Equal(got, []string{name(0, 0), name(0, 1), name(1, 0), name(2, 0)}) {
		t.Fatalf("outbox %v", got)
	}

	// Only un-uploaded ones are left: the oldest go, with their outbox entries.
	removed, err = s.Prune(ctx, 1500, 0)
	want = []string{name(0, 0), name(0, 1), name(1, 0)}
	if err != nil || !slices.Equal(removed, want) {
		t.Fatalf("Prune removed %v, %v\nwant %v", removed, err, want)
	}
	if got := outboxNames(t, s); !slices.Equal(got, []string{name(2, 0)}) {
		t.Fatalf("outbox %v", got)
	}
	for _, n := range want {
		if _, err := s.files.Read(n); domain.KindOf(err) != domain.NotFound {
			t.Fatalf("%s still on disk: %v", n, err)
		}
	}
	left, _ := s.Events(ctx, "", 10, time.Time{})
	if !slices.Equal(ids(left), []domain.EventID{evs[2].ID}) {
		t.Fatalf("events left %v", ids(left))
	}

	// Capture goes on.
	recordEvent(t, s, t0.Add(5*time.Hour), 5, 1, 1000, true)
}

// A snapshot the cloud rejected (uploaded, then quarantined there) has no
// copy in the cloud: it is not pruned as a safely uploaded one.
func TestPruneRejectedIsNotSafe(t *testing.T) {
	s := openAt(t, t.TempDir())
	older := recordEvent(t, s, t0, 0, 1, 1000, true)
	newer := recordEvent(t, s, t0.Add(time.Hour), 1, 1, 1000, true)
	rejected, uploaded := older.Snapshots[0].Name, newer.Snapshots[0].Name
	for _, n := range []string{rejected, uploaded} {
		if err := s.Uploaded(ctx, n, clock()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkRejected(ctx, rejected, clock(), "trailing_data"); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Prune(ctx, 1500, 0)
	if err != nil || !slices.Equal(removed, []string{uploaded}) {
		t.Fatalf("Prune removed %v, %v; want only the safely uploaded %s", removed, err, uploaded)
	}
	// Once no safe one is left, the rejected one goes like an un-uploaded one.
	removed, err = s.Prune(ctx, 500, 0)
	if err != nil || !slices.Equal(removed, []string{rejected}) {
		t.Fatalf("Prune removed %v, %v; want %s", removed, err, rejected)
	}
}

// Pruning or deleting an event removes its score trace with it; Reconcile
// drops traces whose event is gone; SaveTrace keeps none for an unknown
// event.
func TestTracesGoWithTheirEvents(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	var evs []domain.Event
	for i := range 3 {
		ev := recordEvent(t, s, t0.Add(time.Duration(i)*time.Hour), i, 1, 1000, true)
		if err := s.SaveTrace(ctx, ev.ID, domain.ScoreTrace{Step: 1, Scores: make([]float32, 100)}); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	hasTrace := func(id domain.EventID) bool {
		t.Helper()
		_, ok, err := s.Trace(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	removed, err := s.Prune(ctx, 1500, 0) // e0 and e1 go
	if err != nil || len(removed) != 2 {
		t.Fatalf("Prune removed %v, %v", removed, err)
	}
	for i, want := range []bool{false, false, true} {
		if _, err := s.Event(ctx, evs[i].ID); (err == nil) != want {
			t.Fatalf("event %d after Prune: %v", i, err)
		}
		if got := hasTrace(evs[i].ID); got != want {
			t.Errorf("event %d kept=%v, its trace kept=%v", i, want, got)
		}
	}
	if err := s.DeleteEvent(ctx, evs[2].ID); err != nil {
		t.Fatal(err)
	}
	if hasTrace(evs[2].ID) {
		t.Error("a deleted event's trace is kept")
	}

	unknown := domain.NewEventID(t0.Add(9*time.Hour), [10]byte{9})
	if err := s.SaveTrace(ctx, unknown, domain.ScoreTrace{Step: 1, Scores: []float32{1}}); err != nil {
		t.Fatal(err)
	}
	if hasTrace(unknown) {
		t.Error("a trace was kept for an unknown event")
	}

	// An orphan left by an older version: Reconcile drops it.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketTraces)
		if err != nil {
			return err
		}
		return b.Put([]byte(unknown), []byte(`{"s":[1],"step":1}`))
	}); err != nil {
		t.Fatal(err)
	}
	if !hasTrace(unknown) {
		t.Fatal("the orphan was not written")
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if hasTrace(unknown) {
		t.Error("Reconcile kept an orphan trace")
	}
}

func TestPruneForFreeSpace(t *testing.T) {
	s := openAt(t, t.TempDir())
	// A 10 000-byte disk holding nothing but the snapshots.
	s.free = func() (int64, error) {
		u, err := s.files.Usage()
		return 10000 - u, err
	}
	a := recordEvent(t, s, t0, 0, 2, 1000, true)
	b := recordEvent(t, s, t0.Add(time.Hour), 1, 2, 1000, true)
	for _, sn := range b.Snapshots {
		if err := s.Uploaded(ctx, sn.Name, clock()); err != nil {
			t.Fatal(err)
		}
	}
	// 6000 free, 7500 wanted: two uploaded ones go, none of a's.
	removed, err := s.Prune(ctx, 0, 7500)
	if err != nil || !slices.Equal(removed, []string{b.Snapshots[0].Name, b.Snapshots[1].Name}) {
		t.Fatalf("Prune removed %v, %v", removed, err)
	}
	// 8000 free, 9000 wanted and no uploaded one left: a's oldest goes.
	removed, err = s.Prune(ctx, 100000, 9000)
	if err != nil || !slices.Equal(removed, []string{a.Snapshots[0].Name}) {
		t.Fatalf("Prune removed %v, %v", removed, err)
	}
	// More than the disk: everything goes, then Prune stops.
	removed, err = s.Prune(ctx, 0, 20000)
	if err != nil || !slices.Equal(removed, []string{a.Snapshots[1].Name}) {
		t.Fatalf("Prune removed %v, %v", removed, err)
	}
	if n, _ := s.OutboxLen(ctx); n != 0 {
		t.Fatalf("outbox holds %d", n)
	}
}

func TestDeleteEvent(t *testing.T) {
	s := openAt(t, t.TempDir())
	a := recordEvent(t, s, t0, 0, 3, 10, true)
	b := recordEvent(t, s, t0.Add(time.Minute), 1, 1, 10, false)
	if err := s.Uploaded(ctx, a.Snapshots[1].Name, clock()); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEvent(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Event(ctx, a.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("deleted event: %v", err)
	}
	for _, sn := range a.Snapshots {
		if _, err := s.files.Read(sn.Name); domain.KindOf(err) != domain.NotFound {
			t.Fatalf("file %s: %v", sn.Name, err)
		}
	}
	if got := outboxNames(t, s); !slices.Equal(got, []string{b.Snapshots[0].Name}) {
		t.Fatalf("outbox %v", got)
	}
	if err := s.DeleteEvent(ctx, a.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("second delete: %v", err)
	}
}

func TestAddSnapshotRemovesTheFileWhenTheIndexFails(t *testing.T) {
	s := openAt(t, t.TempDir())
	ev := newEvent(t0, 1)
	boom := errors.New("boom")
	s.indexHook = func() error { return boom }
	snap := domain.Snapshot{Kind: domain.FirstSnapshot, Name: string(ev.ID) + "-1.jpg", Time: t0}
	if err := s.AddSnapshot(ctx, &ev, snap, []byte("jpeg")); !errors.Is(err, boom) || !strings.Contains(err.Error(), "bbolt: add snapshot "+snap.Name) {
		t.Fatalf("AddSnapshot = %v", err)
	}
	if _, err := s.files.Read(snap.Name); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("file left: %v", err)
	}
	if _, err := s.Event(ctx, ev.ID); domain.KindOf(err) != domain.NotFound || len(ev.Snapshots) != 0 || len(outboxNames(t, s)) != 0 {
		t.Fatalf("recorded anyway: %v %+v", err, ev)
	}
	s.indexHook = nil
	if err := s.AddSnapshot(ctx, &ev, snap, []byte("jpeg")); err != nil {
		t.Fatal(err)
	}
}

func TestReconcile(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	known := recordEvent(t, s, t0, 0, 2, 100, false) // left running by the "crash"
	gone := recordEvent(t, s, t0.Add(time.Minute), 1, 2, 100, true)
	up := recordEvent(t, s, t0.Add(2*time.Minute), 2, 2, 100, true)
	if err := s.Uploaded(ctx, up.Snapshots[0].Name, clock()); err != nil {
		t.Fatal(err)
	}
	// Crash leftovers: files written whose transaction never ran, one of a
	// known event and two of an unknown one; files removed whose entries
	// stayed (a prune cut short); an outbox entry lost and one too many.
	orphan := string(known.ID) + "-3.jpg"
	stranger := newEvent(t0.Add(3*time.Minute), 3)
	strangerNames := []string{string(stranger.ID) + "-2.jpg", string(stranger.ID) + "-10.jpg"}
	for _, n := range append([]string{orphan}, strangerNames...) {
		if err := s.files.Write(n, []byte("orphan "+n)); err != nil {
			t.Fatal(err)
		}
	}
	for _, sn := range gone.Snapshots {
		if err := s.files.Remove(sn.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.files.Remove(known.Snapshots[0].Name); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := dequeue(tx, up.Snapshots[1].Name); err != nil {
			return err
		}
		return enqueue(tx, up.Snapshots[0].Name, 100, t0) // already uploaded
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openAt(t, dir)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	k, err := s.Event(ctx, known.ID)
	if err != nil || len(k.Snapshots) != 2 || k.Snapshots[0].Name != known.Snapshots[1].Name || k.Snapshots[1].Name != orphan ||
		k.Snapshots[1].Bytes != len("orphan "+orphan) || k.Snapshots[1].Time.IsZero() || k.Running() || k.Frames != known.Frames {
		t.Fatalf("known event after Reconcile %+v, %v", k, err)
	}
	g, err := s.Event(ctx, gone.ID)
	if err != nil || len(g.Snapshots) != 0 {
		t.Fatalf("event whose files went: %+v, %v (want kept, without snapshots)", g, err)
	}
	st, err := s.Event(ctx, stranger.ID)
	if err != nil || !st.Start.Equal(stranger.ID.Time()) || st.Running() || len(st.Snapshots) != 2 ||
		st.Snapshots[0].Name != strangerNames[0] || st.Snapshots[1].Name != strangerNames[1] {
		t.Fatalf("event rebuilt from files %+v, %v", st, err)
	}
	want := []string{up.Snapshots[1].Name, known.Snapshots[1].Name, orphan, strangerNames[0], strangerNames[1]}
	slices.Sort(want)
	got := outboxNames(t, s)
	sorted := slices.Sorted(slices.Values(got))
	if !slices.Equal(sorted, want) {
		t.Fatalf("outbox %v\nwant %v", got, want)
	}
	checkInvariants(t, s)

	// A second run changes nothing.
	before, _ := s.Events(ctx, "", 100, time.Time{})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Events(ctx, "", 100, time.Time{})
	if fmt.Sprint(before) != fmt.Sprint(after) || !slices.Equal(outboxNames(t, s), got) {
		t.Fatalf("second Reconcile changed things:\n%v\n%v", before, after)
	}
}

func TestCloseReopenAndLock(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	ev := recordEvent(t, s, t0, 0, 1, 10, true)

	// A second opener (another process, as far as the lock goes) waits for
	// the timeout and says why.
	files, _ := disk.Open(filepath.Join(dir, "snaps"))
	start := time.Now()
	_, err := Open(filepath.Join(dir, "vigil.db"), files, Options{Timeout: 100 * time.Millisecond})
	if err == nil || domain.KindOf(err) != domain.Unavailable || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("second Open = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second Open took %v", d)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.SaveEvent(ctx, &ev); err == nil {
		t.Fatal("SaveEvent after Close worked")
	}
	s = openAt(t, dir)
	if got, err := s.Event(ctx, ev.ID); err != nil || len(got.Snapshots) != 1 {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
	if _, err := Open(filepath.Join(dir, "x.db"), nil, Options{}); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("Open without files: %v", err)
	}
}

func TestNewerFormatIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := openAt(t, dir)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyVersion, binary.BigEndian.AppendUint64(nil, formatVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	files, _ := disk.Open(filepath.Join(dir, "snaps"))
	if _, err := Open(filepath.Join(dir, "vigil.db"), files, Options{}); err == nil || !strings.Contains(err.Error(), "format version") {
		t.Fatalf("Open of a newer format: %v", err)
	}
}

// checkInvariants checks what must hold after Reconcile: every file is
// listed in its event, every listed snapshot has its file of its size, and
// the outbox holds exactly the snapshots not uploaded. It returns the
// listed snapshots by name.
func checkInvariants(t *testing.T, s *Store) map[string]domain.Snapshot {
	t.Helper()
	listed := map[string]domain.Snapshot{}
	var before domain.EventID
	for {
		evs, err := s.Events(ctx, before, 500, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			for _, sn := range ev.Snapshots {
				if _, dup := listed[sn.Name]; dup {
					t.Errorf("%s listed twice", sn.Name)
				}
				if !strings.HasPrefix(sn.Name, string(ev.ID)) {
					t.Errorf("%s listed in event %s", sn.Name, ev.ID)
				}
				listed[sn.Name] = sn
			}
		}
		before = evs[len(evs)-1].ID
	}
	files, err := s.files.List()
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]int64{}
	for _, f := range files {
		onDisk[f.Name] = f.Size
		if _, ok := listed[f.Name]; !ok {
			t.Errorf("file %s is not listed", f.Name)
		}
	}
	var notUploaded []string
	for name, sn := range listed {
		size, ok := onDisk[name]
		if !ok {
			t.Errorf("listed %s has no file", name)
		} else if size != int64(sn.Bytes) {
			t.Errorf("listed %s: %d bytes, file %d", name, sn.Bytes, size)
		}
		if sn.Uploaded.IsZero() {
			notUploaded = append(notUploaded, name)
		}
	}
	slices.Sort(notUploaded)
	queued := outboxNames(t, s)
	if got := slices.Sorted(slices.Values(queued)); !slices.Equal(got, notUploaded) {
		t.Errorf("outbox %v\nwant the snapshots not uploaded %v", got, notUploaded)
	}
	if n, err := s.OutboxLen(ctx); err != nil || n != len(queued) {
		t.Errorf("OutboxLen = %d, %v; outbox holds %d", n, err, len(queued))
	}
	return listed
}

// InUse tells a database held open by another store (a running daemon)
// from a free or missing one, and creates nothing.
func TestInUse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.db")
	if busy, err := InUse(path, 50*time.Millisecond); busy || err != nil {
		t.Fatalf("missing database: in use %v, %v", busy, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("InUse created the database: %v", err)
	}
	s := openAt(t, dir)
	if busy, err := InUse(path, 50*time.Millisecond); !busy || err != nil {
		t.Fatalf("open database: in use %v, %v", busy, err)
	}
	s.Close()
	if busy, err := InUse(path, 50*time.Millisecond); busy || err != nil {
		t.Fatalf("closed database: in use %v, %v", busy, err)
	}
}
