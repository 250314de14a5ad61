// Package storetest is the contract every ports.EventStore keeps: one suite
// of cases, run against each implementation (adapters/inmem,
// adapters/bbolt) from that implementation's tests. A store that is also
// the upload queue (ports.Outbox) is held to the outbox cases too.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Subject is a store under test with the ways to look inside it that the
// port itself does not offer.
type Subject struct {
	Store ports.EventStore
	// Event reads a stored event back, with a NotFound error when absent.
	Event func(ctx context.Context, id domain.EventID) (domain.Event, error)
	// File reads a stored snapshot's bytes, with an error when absent.
	File func(name string) ([]byte, error)
	// Outbox lists the names queued for upload, first queued first.
	Outbox func(ctx context.Context) ([]string, error)
	// Reopen closes the store and opens it again on the same data; nil
	// for a store that does not outlive its value.
	Reopen func(t *testing.T) Subject
}

// Run runs the contract against the stores open makes: a new, empty one
// for each case.
func Run(t *testing.T, open func(t *testing.T) Subject) {
	cases := []struct {
		name string
		run  func(t *testing.T, s Subject)
	}{
		{"SaveEventRoundTrips", saveEventRoundTrips},
		{"SaveEventUpdates", saveEventUpdates},
		{"SaveEventCopies", saveEventCopies},
		{"SaveEventRejectsBadID", saveEventRejectsBadID},
		{"UnknownEventIsNotFound", unknownEventIsNotFound},
		{"AddSnapshotStoresFileIndexAndOutbox", addSnapshotStoresAll},
		{"AddSnapshotCreatesUnknownEvent", addSnapshotCreatesUnknownEvent},
		{"AddSnapshotChangesOnlyTheSnapshotList", addSnapshotChangesOnlySnapshots},
		{"SaveEventKeepsSnapshots", saveEventKeepsSnapshots},
		{"AddSnapshotDuplicateIsConflict", addSnapshotDuplicateIsConflict},
		{"AddSnapshotRejectsBadInput", addSnapshotRejectsBadInput},
		{"CancelledContextStoresNothing", cancelledContextStoresNothing},
		{"ConcurrentEvents", concurrentEvents},
		{"SurvivesReopen", survivesReopen},
		{"OutboxPendingInOrder", outboxPendingInOrder},
		{"OutboxFailedDelays", outboxFailedDelays},
		{"OutboxUploadedMarks", outboxUploadedMarks},
		{"OutboxSurvivesReopen", outboxSurvivesReopen},
		{"MarkRejected", markRejected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var (
	ctx = context.Background()
	t0  = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
)

func newEvent(i int) domain.Event {
	start := t0.Add(time.Duration(i) * time.Minute)
	return domain.Event{
		ID:    domain.NewEventID(start, [10]byte{byte(i), byte(i >> 8), 7}),
		Start: start, PeakScore: 12.5, PeakAt: start.Add(1500 * time.Millisecond),
		BBox: domain.Box{X0: 0.1, Y0: 0.2, X1: 0.6, Y1: 0.9}, ChangedCells: 17, Frames: 9,
	}
}

func snapName(ev *domain.Event, n int) string { return fmt.Sprintf("%s-%d.jpg", ev.ID, n) }

func jpegOf(name string) []byte {
	return append(append([]byte{0xff, 0xd8}, name...), 0xff, 0xd9)
}

func snapshot(ev *domain.Event, n int, kind domain.SnapshotKind) domain.Snapshot {
	return domain.Snapshot{Kind: kind, Frame: int64(100 + n), Time: ev.Start.Add(time.Duration(n) * time.Second), Name: snapName(ev, n)}
}

func add(t *testing.T, s Subject, ev *domain.Event, n int, kind domain.SnapshotKind) domain.Snapshot {
	t.Helper()
	snap := snapshot(ev, n, kind)
	if err := s.Store.AddSnapshot(ctx, ev, snap, jpegOf(snap.Name)); err != nil {
		t.Fatalf("AddSnapshot %s: %v", snap.Name, err)
	}
	return ev.Snapshots[len(ev.Snapshots)-1]
}

func save(t *testing.T, s Subject, ev *domain.Event) {
	t.Helper()
	if err := s.Store.SaveEvent(ctx, ev); err != nil {
		t.Fatalf("SaveEvent %s: %v", ev.ID, err)
	}
}

func get(t *testing.T, s Subject, id domain.EventID) domain.Event {
	t.Helper()
	ev, err := s.Event(ctx, id)
	if err != nil {
		t.Fatalf("Event %s: %v", id, err)
	}
	return ev
}

func outbox(t *testing.T, s Subject) []string {
	t.Helper()
	names, err := s.Outbox(ctx)
	if err != nil {
		t.Fatalf("Outbox: %v", err)
	}
	return names
}

// sameEvent compares events field by field, times by instant.
func sameEvent(a, b domain.Event) bool {
	if a.ID != b.ID || !a.Start.Equal(b.Start) || !a.End.Equal(b.End) || a.PeakScore != b.PeakScore ||
		!a.PeakAt.Equal(b.PeakAt) || a.BBox != b.BBox || a.ChangedCells != b.ChangedCells || a.Frames != b.Frames ||
		!slices.Equal(a.Faces, b.Faces) || len(a.Snapshots) != len(b.Snapshots) {
		return false
	}
	for i := range a.Snapshots {
		x, y := a.Snapshots[i], b.Snapshots[i]
		if x.Kind != y.Kind || x.Frame != y.Frame || !x.Time.Equal(y.Time) || x.Name != y.Name || x.Bytes != y.Bytes ||
			!x.Uploaded.Equal(y.Uploaded) {
			return false
		}
	}
	return true
}

func saveEventRoundTrips(t *testing.T, s Subject) {
	ev := newEvent(1)
	ev.End = ev.Start.Add(9 * time.Second)
	ev.Faces = []domain.Face{{Box: domain.Box{X0: 0.2, Y0: 0.25, X1: 0.3, Y1: 0.4}, Score: 8.5}}
	save(t, s, &ev)
	if got := get(t, s, ev.ID); !sameEvent(got, ev) {
		t.Fatalf("stored %+v\nwant   %+v", got, ev)
	}
	if len(outbox(t, s)) != 0 {
		t.Fatal("SaveEvent queued an upload")
	}
}

func saveEventUpdates(t *testing.T, s Subject) {
	ev := newEvent(2)
	save(t, s, &ev)
	ev.End, ev.PeakScore, ev.Frames = ev.Start.Add(5*time.Second), 40, 30
	ev.Faces = []domain.Face{{Box: domain.Box{X0: 0.1, Y0: 0.1, X1: 0.2, Y1: 0.2}, Score: 3}}
	save(t, s, &ev)
	if got := get(t, s, ev.ID); !sameEvent(got, ev) || got.Running() {
		t.Fatalf("after update %+v\nwant %+v", got, ev)
	}
}

func saveEventCopies(t *testing.T, s Subject) {
	ev := newEvent(3)
	ev.Faces = []domain.Face{{Score: 1}}
	save(t, s, &ev)
	want := ev
	want.Faces = slices.Clone(ev.Faces)
	ev.Faces[0].Score, ev.Frames = 99, 1000 // the caller's value changes later
	if got := get(t, s, ev.ID); !sameEvent(got, want) {
		t.Fatalf("stored %+v changed with the caller's value", got)
	}
	got := get(t, s, ev.ID)
	got.Faces[0].Score = -1 // and what a reader gets is its own
	if again := get(t, s, ev.ID); again.Faces[0].Score != 1 {
		t.Fatalf("a reader changed the stored event: %+v", again)
	}
}

func saveEventRejectsBadID(t *testing.T, s Subject) {
	for _, id := range []domain.EventID{"", "abc", "../../etc/passwd", "01JDZ2F7QH4M8RS0XK3V9TB6W/"} {
		ev := newEvent(4)
		ev.ID = id
		if err := s.Store.SaveEvent(ctx, &ev); domain.KindOf(err) != domain.Invalid {
			t.Errorf("SaveEvent with ID %q: %v, want Invalid", id, err)
		}
	}
}

func unknownEventIsNotFound(t *testing.T, s Subject) {
	ev := newEvent(5)
	if _, err := s.Event(ctx, ev.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Event of an unknown ID: %v, want NotFound", err)
	}
}

func addSnapshotStoresAll(t *testing.T, s Subject) {
	ev := newEvent(6)
	save(t, s, &ev)
	kinds := []domain.SnapshotKind{domain.FirstSnapshot, domain.PeakSnapshot, domain.LastSnapshot}
	for i, k := range kinds {
		snap := snapshot(&ev, i+1, k)
		snap.Bytes, snap.Uploaded = 12345, t0 // the store sets these
		data := jpegOf(snap.Name)
		if err := s.Store.AddSnapshot(ctx, &ev, snap, data); err != nil {
			t.Fatal(err)
		}
		clear(data) // the caller reuses its buffer
		got := ev.Snapshots[len(ev.Snapshots)-1]
		if len(ev.Snapshots) != i+1 || got.Name != snap.Name || got.Kind != k || got.Bytes != len(jpegOf(snap.Name)) ||
			!got.Uploaded.IsZero() || !got.Time.Equal(snap.Time) || got.Frame != snap.Frame {
			t.Fatalf("ev.Snapshots after AddSnapshot %d: %+v", i+1, ev.Snapshots)
		}
	}
	stored := get(t, s, ev.ID)
	if !sameEvent(stored, ev) {
		t.Fatalf("stored %+v\nwant   %+v", stored, ev)
	}
	var names []string
	for _, sn := range ev.Snapshots {
		names = append(names, sn.Name)
		b, err := s.File(sn.Name)
		if err != nil || !bytes.Equal(b, jpegOf(sn.Name)) {
			t.Fatalf("file %s = %q, %v", sn.Name, b, err)
		}
	}
	if got := outbox(t, s); !slices.Equal(got, names) {
		t.Fatalf("outbox %v, want %v in order", got, names)
	}
}

func addSnapshotCreatesUnknownEvent(t *testing.T, s Subject) {
	ev := newEvent(7)
	ev.Snapshots = []domain.Snapshot{{Name: "not-stored"}} // what the caller holds is not stored
	add(t, s, &ev, 1, domain.FirstSnapshot)
	stored := get(t, s, ev.ID)
	want := ev
	want.Snapshots = ev.Snapshots[1:]
	if !sameEvent(stored, want) {
		t.Fatalf("stored %+v\nwant   %+v", stored, want)
	}
}

func addSnapshotChangesOnlySnapshots(t *testing.T, s Subject) {
	ev := newEvent(8)
	save(t, s, &ev)
	saved := ev
	ev.Frames, ev.PeakScore = 77, 88 // not saved
	add(t, s, &ev, 1, domain.FirstSnapshot)
	want := saved
	want.Snapshots = ev.Snapshots
	if got := get(t, s, ev.ID); !sameEvent(got, want) {
		t.Fatalf("stored %+v\nwant   %+v", got, want)
	}
}

func saveEventKeepsSnapshots(t *testing.T, s Subject) {
	ev := newEvent(9)
	save(t, s, &ev)
	add(t, s, &ev, 1, domain.FirstSnapshot)
	add(t, s, &ev, 2, domain.PeakSnapshot)
	snaps := slices.Clone(ev.Snapshots)
	ev.End = ev.Start.Add(time.Minute)
	ev.Snapshots = nil
	save(t, s, &ev)
	ev.Snapshots = []domain.Snapshot{{Name: snapName(&ev, 9)}}
	save(t, s, &ev)
	want := ev
	want.Snapshots = snaps
	if got := get(t, s, ev.ID); !sameEvent(got, want) {
		t.Fatalf("stored %+v\nwant   %+v (SaveEvent leaves snapshots alone)", got, want)
	}
}

func addSnapshotDuplicateIsConflict(t *testing.T, s Subject) {
	ev := newEvent(10)
	save(t, s, &ev)
	add(t, s, &ev, 1, domain.FirstSnapshot)
	before := get(t, s, ev.ID)
	snap := snapshot(&ev, 1, domain.PeakSnapshot)
	err := s.Store.AddSnapshot(ctx, &ev, snap, []byte("other bytes"))
	if domain.KindOf(err) != domain.Conflict {
		t.Fatalf("second AddSnapshot %s: %v, want Conflict", snap.Name, err)
	}
	if len(ev.Snapshots) != 1 {
		t.Fatalf("ev.Snapshots grew on a failure: %+v", ev.Snapshots)
	}
	if got := get(t, s, ev.ID); !sameEvent(got, before) {
		t.Fatalf("stored event changed: %+v", got)
	}
	if b, err := s.File(snap.Name); err != nil || !bytes.Equal(b, jpegOf(snap.Name)) {
		t.Fatalf("file now %q, %v", b, err)
	}
	if got := outbox(t, s); !slices.Equal(got, []string{snap.Name}) {
		t.Fatalf("outbox %v", got)
	}
}

func addSnapshotRejectsBadInput(t *testing.T, s Subject) {
	ev, other := newEvent(11), newEvent(12)
	save(t, s, &ev)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{snapName(&other, 1), []byte("x")}, // another event's name
		{"../" + snapName(&ev, 1), []byte("x")},
		{string(ev.ID) + "/1.jpg", []byte("x")},
		{string(ev.ID) + "-1.png", []byte("x")},
		{string(ev.ID) + "-0.jpg", []byte("x")},
		{"", []byte("x")},
		{snapName(&ev, 1), nil}, // no bytes
	} {
		snap := domain.Snapshot{Kind: domain.FirstSnapshot, Name: c.name, Time: ev.Start}
		if err := s.Store.AddSnapshot(ctx, &ev, snap, c.data); domain.KindOf(err) != domain.Invalid {
			t.Errorf("AddSnapshot %q (%d bytes): %v, want Invalid", c.name, len(c.data), err)
		}
		if _, err := s.File(c.name); err == nil {
			t.Errorf("file %q stored", c.name)
		}
	}
	if len(ev.Snapshots) != 0 || len(get(t, s, ev.ID).Snapshots) != 0 || len(outbox(t, s)) != 0 {
		t.Fatalf("a rejected snapshot was recorded: %+v, outbox %v", get(t, s, ev.ID), outbox(t, s))
	}
	if _, err := s.Event(ctx, other.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("the other event appeared: %v", err)
	}
}

func cancelledContextStoresNothing(t *testing.T, s Subject) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ev := newEvent(13)
	if err := s.Store.SaveEvent(cctx, &ev); !errors.Is(err, context.Canceled) {
		t.Fatalf("SaveEvent with a cancelled context: %v", err)
	}
	snap := snapshot(&ev, 1, domain.FirstSnapshot)
	if err := s.Store.AddSnapshot(cctx, &ev, snap, jpegOf(snap.Name)); !errors.Is(err, context.Canceled) {
		t.Fatalf("AddSnapshot with a cancelled context: %v", err)
	}
	if _, err := s.Event(ctx, ev.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("event stored: %v", err)
	}
	if _, err := s.File(snap.Name); err == nil || len(ev.Snapshots) != 0 || len(outbox(t, s)) != 0 {
		t.Fatal("snapshot stored")
	}
}

func concurrentEvents(t *testing.T, s Subject) {
	const n, per = 8, 3
	var wg sync.WaitGroup
	errs := make(chan error, n*(per+1))
	evs := make([]domain.Event, n)
	for i := range evs {
		evs[i] = newEvent(100 + i)
		wg.Go(func() {
			ev := &evs[i]
			if err := s.Store.SaveEvent(ctx, ev); err != nil {
				errs <- err
				return
			}
			for k := 1; k <= per; k++ {
				snap := snapshot(ev, k, domain.PeakSnapshot)
				if err := s.Store.AddSnapshot(ctx, ev, snap, jpegOf(snap.Name)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range evs {
		if got := get(t, s, evs[i].ID); !sameEvent(got, evs[i]) {
			t.Fatalf("event %d stored %+v\nwant %+v", i, got, evs[i])
		}
	}
	if got := outbox(t, s); len(got) != n*per {
		t.Fatalf("outbox holds %d, want %d", len(got), n*per)
	}
}

func survivesReopen(t *testing.T, s Subject) {
	if s.Reopen == nil {
		t.Skip("the store does not outlive its value")
	}
	ev := newEvent(14)
	save(t, s, &ev)
	add(t, s, &ev, 1, domain.FirstSnapshot)
	add(t, s, &ev, 2, domain.LastSnapshot)
	ev.End = ev.Start.Add(3 * time.Second)
	save(t, s, &ev)
	s = s.Reopen(t)
	if got := get(t, s, ev.ID); !sameEvent(got, ev) {
		t.Fatalf("after reopening %+v\nwant %+v", got, ev)
	}
	if got := outbox(t, s); !slices.Equal(got, []string{ev.Snapshots[0].Name, ev.Snapshots[1].Name}) {
		t.Fatalf("outbox after reopening %v", got)
	}
	for _, sn := range ev.Snapshots {
		if b, err := s.File(sn.Name); err != nil || !bytes.Equal(b, jpegOf(sn.Name)) {
			t.Fatalf("file %s after reopening: %q, %v", sn.Name, b, err)
		}
	}
}
