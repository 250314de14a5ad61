package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// The outbox half of the contract, for stores that are also the upload
// queue (ports.Outbox). Due times are far from the present so that the
// cases do not depend on the store's clock.

func queue(t *testing.T, s Subject) ports.Outbox {
	t.Helper()
	q, ok := s.Store.(ports.Outbox)
	if !ok {
		t.Skip("the store is not an outbox")
	}
	return q
}

func pending(t *testing.T, q ports.Outbox, now time.Time, limit int) []domain.Upload {
	t.Helper()
	ups, err := q.Pending(ctx, now, limit)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return ups
}

func uploadNames(ups []domain.Upload) []string {
	names := make([]string, len(ups))
	for i, u := range ups {
		names[i] = u.Name
	}
	return names
}

func outboxPendingInOrder(t *testing.T, s Subject) {
	q := queue(t, s)
	now := time.Now()
	if ups := pending(t, q, now, 10); len(ups) != 0 {
		t.Fatalf("a new store has pending uploads: %+v", ups)
	}
	ev := newEvent(20)
	save(t, s, &ev)
	a, b, c := add(t, s, &ev, 1, domain.FirstSnapshot), add(t, s, &ev, 2, domain.PeakSnapshot), add(t, s, &ev, 3, domain.LastSnapshot)
	ups := pending(t, q, now, 10)
	if !slices.Equal(uploadNames(ups), []string{a.Name, b.Name, c.Name}) {
		t.Fatalf("Pending = %v, want the three, first queued first", uploadNames(ups))
	}
	u := ups[0]
	if u.Event != ev.ID || u.Bytes != len(jpegOf(a.Name)) || u.Attempts != 0 || u.LastError != "" || !u.Due.IsZero() || u.Queued.IsZero() {
		t.Fatalf("a new entry: %+v", u)
	}
	if ups := pending(t, q, now, 2); !slices.Equal(uploadNames(ups), []string{a.Name, b.Name}) {
		t.Fatalf("Pending limit 2 = %v", uploadNames(ups))
	}
	for _, limit := range []int{0, -1} {
		if _, err := q.Pending(ctx, now, limit); domain.KindOf(err) != domain.Invalid {
			t.Errorf("Pending limit %d: %v, want Invalid", limit, err)
		}
	}
}

func outboxFailedDelays(t *testing.T, s Subject) {
	q := queue(t, s)
	ev := newEvent(21)
	a, b := add(t, s, &ev, 1, domain.FirstSnapshot), add(t, s, &ev, 2, domain.PeakSnapshot)
	now := time.Now()
	next := now.Add(time.Hour)
	if err := q.Failed(ctx, a.Name, next, "grant: 503"); err != nil {
		t.Fatal(err)
	}
	if ups := pending(t, q, now, 10); !slices.Equal(uploadNames(ups), []string{b.Name}) {
		t.Fatalf("Pending right after a failure = %v, want only %s", uploadNames(ups), b.Name)
	}
	ups := pending(t, q, next, 10)
	if !slices.Equal(uploadNames(ups), []string{a.Name, b.Name}) {
		t.Fatalf("Pending when due again = %v (a failure keeps the entry's place)", uploadNames(ups))
	}
	if u := ups[0]; u.Attempts != 1 || u.LastError != "grant: 503" || !u.Due.Equal(next) {
		t.Fatalf("after one failure: %+v", u)
	}
	later := next.Add(time.Hour)
	if err := q.Failed(ctx, a.Name, later, strings.Repeat("x", 5000)); err != nil {
		t.Fatal(err)
	}
	ups = pending(t, q, later, 10)
	if u := ups[0]; u.Name != a.Name || u.Attempts != 2 || !u.Due.Equal(later) || len(u.LastError) == 0 || len(u.LastError) > 512 {
		t.Fatalf("after two failures: %+v (the reason is kept, at most 512 bytes)", u)
	}
	if err := q.Failed(ctx, snapName(&ev, 9), later, "x"); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Failed of a name not queued: %v, want NotFound", err)
	}
}

func outboxUploadedMarks(t *testing.T, s Subject) {
	q := queue(t, s)
	ev := newEvent(22)
	a, b := add(t, s, &ev, 1, domain.FirstSnapshot), add(t, s, &ev, 2, domain.PeakSnapshot)
	at := t0.Add(time.Hour)
	if err := q.Uploaded(ctx, a.Name, at); err != nil {
		t.Fatal(err)
	}
	if err := q.Uploaded(ctx, a.Name, at.Add(time.Hour)); err != nil {
		t.Fatalf("Uploaded twice: %v", err)
	}
	if got := outbox(t, s); !slices.Equal(got, []string{b.Name}) {
		t.Fatalf("outbox after an upload %v", got)
	}
	got := get(t, s, ev.ID)
	if !got.Snapshots[0].Uploaded.Equal(at) || !got.Snapshots[1].Uploaded.IsZero() {
		t.Fatalf("snapshots after an upload: %+v (the first time is kept)", got.Snapshots)
	}
	if data, err := s.File(a.Name); err != nil || !bytes.Equal(data, jpegOf(a.Name)) {
		t.Fatalf("file after its upload: %q, %v", data, err)
	}
	if err := q.Failed(ctx, a.Name, at, "late"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Failed after Uploaded: %v, want NotFound", err)
	}
	other := newEvent(23)
	if err := q.Uploaded(ctx, snapName(&other, 1), at); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Uploaded of an unknown snapshot: %v, want NotFound", err)
	}
	if err := q.Uploaded(ctx, "../x.jpg", at); domain.KindOf(err) != domain.Invalid {
		t.Errorf("Uploaded of a bad name: %v, want Invalid", err)
	}
	if got := outbox(t, s); !slices.Equal(got, []string{b.Name}) {
		t.Fatalf("outbox after the refused calls %v", got)
	}
}

func outboxSurvivesReopen(t *testing.T, s Subject) {
	queue(t, s)
	if s.Reopen == nil {
		t.Skip("the store does not outlive its value")
	}
	ev := newEvent(24)
	a, b := add(t, s, &ev, 1, domain.FirstSnapshot), add(t, s, &ev, 2, domain.PeakSnapshot)
	next := time.Now().Add(time.Hour)
	if err := queue(t, s).Failed(ctx, a.Name, next, "unreachable"); err != nil {
		t.Fatal(err)
	}
	if err := queue(t, s).Uploaded(ctx, b.Name, t0); err != nil {
		t.Fatal(err)
	}
	s = s.Reopen(t)
	ups := pending(t, queue(t, s), next, 10)
	if len(ups) != 1 || ups[0].Name != a.Name || ups[0].Attempts != 1 || ups[0].LastError != "unreachable" || !ups[0].Due.Equal(next) {
		t.Fatalf("Pending after reopening = %+v", ups)
	}
	if got := get(t, s, ev.ID); !got.Snapshots[1].Uploaded.Equal(t0) {
		t.Fatalf("uploaded time lost: %+v", got.Snapshots)
	}
}

// markRejected: a snapshot the cloud rejected keeps the first mark (time
// and reason) across a reopen; the outbox and the other snapshots are left
// alone; unknown and malformed names are refused.
func markRejected(t *testing.T, s Subject) {
	m, ok := s.Store.(ports.RejectionMarker)
	if !ok {
		t.Skip("the store does not record rejections")
	}
	ev := newEvent(30)
	a, b := add(t, s, &ev, 1, domain.FirstSnapshot), add(t, s, &ev, 2, domain.PeakSnapshot)
	if q, ok := s.Store.(ports.Outbox); ok {
		if err := q.Uploaded(ctx, a.Name, t0); err != nil {
			t.Fatal(err)
		}
	}
	before := outbox(t, s)
	at := t0.Add(time.Minute)
	if err := m.MarkRejected(ctx, a.Name, at, "trailing_data: 12 bytes after the end"); err != nil {
		t.Fatal(err)
	}
	if err := m.MarkRejected(ctx, a.Name, at.Add(time.Hour), "corrupt"); err != nil {
		t.Fatalf("marked twice: %v", err)
	}
	check := func(s Subject) {
		t.Helper()
		got := get(t, s, ev.ID)
		ra, rb := got.Snapshots[0], got.Snapshots[1]
		if !ra.Rejected.Equal(at) || ra.RejectReason != "trailing_data: 12 bytes after the end" || ra.UploadState() != "rejected" {
			t.Fatalf("rejected snapshot %+v (the first mark is kept)", ra)
		}
		if !rb.Rejected.IsZero() || rb.RejectReason != "" || rb.UploadState() != "queued" {
			t.Fatalf("the other snapshot %+v", rb)
		}
	}
	check(s)
	if got := outbox(t, s); !slices.Equal(got, before) {
		t.Fatalf("outbox %v after a rejection, was %v", got, before)
	}
	other := newEvent(31)
	if err := m.MarkRejected(ctx, snapName(&other, 1), at, "corrupt"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("unknown snapshot: %v, want NotFound", err)
	}
	if err := m.MarkRejected(ctx, snapName(&ev, 9), at, "corrupt"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("unknown snapshot of a known event: %v, want NotFound", err)
	}
	if err := m.MarkRejected(ctx, "../x.jpg", at, "corrupt"); domain.KindOf(err) != domain.Invalid {
		t.Errorf("bad name: %v, want Invalid", err)
	}
	if err := m.MarkRejected(ctx, b.Name, time.Time{}, "corrupt"); domain.KindOf(err) != domain.Invalid {
		t.Errorf("no time: %v, want Invalid", err)
	}
	check(s)
	if s.Reopen != nil {
		check(s.Reopen(t))
	}
}
