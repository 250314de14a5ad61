package edge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"vigil/adapters/inmem"
	"vigil/domain"
)

func snapshotOf(t *testing.T, store *inmem.EventStore, name string) domain.Snapshot {
	t.Helper()
	id, _, err := domain.ParseSnapshotName(name)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := store.Event(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range ev.Snapshots {
		if sn.Name == name {
			return sn
		}
	}
	t.Fatalf("no snapshot %s", name)
	return domain.Snapshot{}
}

// TestCloudWatchMarksRejections: one question records the license and
// seats and marks the listed snapshots rejected with their reason; the
// next asks only since the newest rejection heard (less a margin); a
// failure is recorded, keeps the last answer, and clears on success.
func TestCloudWatchMarksRejections(t *testing.T) {
	ctx := context.Background()
	store, names := queued(t, 3)
	for _, n := range names {
		if err := store.Uploaded(ctx, n, upT0); err != nil {
			t.Fatal(err)
		}
	}
	cloud := &inmem.Cloud{}
	rejectedAt := upT0.Add(time.Minute)
	gone := domain.SnapshotName(domain.NewEventID(upT0.Add(-time.Hour), [10]byte{9}), 1) // retention deleted it
	cloud.SetStatus(domain.DeviceStatus{DeviceID: "dev_1", Name: "door",
		License: domain.SeatStatus{Status: "active", Seats: 5, SeatsUsed: 2, Expires: upT0.AddDate(1, 0, 0)},
		Rejected: []domain.SnapshotRejection{
			{Name: names[1], Reason: domain.TrailingData, Detail: "12 bytes after the end", At: rejectedAt},
			{Name: gone, Reason: domain.Corrupt, At: rejectedAt.Add(-time.Second)},
		}})
	clock := &upClock{t: upT0.Add(2 * time.Minute)}
	w := NewCloudWatch(cloud, store, CloudWatchConfig{Now: clock.Now}, quiet())
	if st := w.Status(); !st.Checked.IsZero() || st.Device.License.Status != "" {
		t.Fatalf("status before the first question: %+v", st)
	}
	if err := w.Check(ctx); err != nil {
		t.Fatal(err)
	}
	st := w.Status()
	if !st.Checked.Equal(clock.Now()) || st.Device.License.Status != "active" || st.Device.License.Seats != 5 ||
		st.Device.License.SeatsUsed != 2 || st.LastError != "" || len(st.Device.Rejected) != 2 {
		t.Fatalf("status %+v", st)
	}
	sn := snapshotOf(t, store, names[1])
	if !sn.Rejected.Equal(rejectedAt) || sn.RejectReason != "trailing_data: 12 bytes after the end" || sn.UploadState() != "rejected" {
		t.Fatalf("rejected snapshot %+v", sn)
	}
	for _, n := range []string{names[0], names[2]} {
		if sn := snapshotOf(t, store, n); sn.UploadState() != "uploaded" {
			t.Fatalf("%s: %+v", n, sn)
		}
	}

	// The next question starts an hour before the newest rejection heard.
	if err := w.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if asked := cloud.Asked(); len(asked) != 2 || !asked[0].IsZero() || !asked[1].Equal(rejectedAt.Add(-sinceMargin)) {
		t.Fatalf("since of the questions: %v", asked)
	}

	// A failure: recorded, the last answer kept.
	revoked := domain.E("cloudapi: device status", domain.Unauthorized, errors.New("401 Unauthorized: revoked"))
	cloud.BeforeStatus = func(context.Context) error { return revoked }
	clock.Set(upT0.Add(time.Hour))
	if err := w.Check(ctx); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("Check: %v", err)
	}
	st = w.Status()
	if !strings.Contains(st.LastError, "revoked") || !st.LastErrorAt.Equal(upT0.Add(time.Hour)) || st.Device.License.Seats != 5 {
		t.Fatalf("after a failure: %+v", st)
	}
	cloud.BeforeStatus = nil
	cloud.Reject(domain.SnapshotRejection{Name: names[2], Reason: domain.LicenseInactive, At: rejectedAt.Add(time.Minute)})
	if err := w.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Status(); st.LastError != "" || !st.Checked.Equal(upT0.Add(time.Hour)) {
		t.Fatalf("after recovering: %+v", st)
	}
	if sn := snapshotOf(t, store, names[2]); sn.RejectReason != "license_inactive" {
		t.Fatalf("second rejection %+v", sn)
	}
	// The first mark is kept.
	if sn := snapshotOf(t, store, names[1]); !sn.Rejected.Equal(rejectedAt) {
		t.Fatalf("first mark changed: %+v", sn)
	}

	// A store that fails: the error is the question's, the rejections are
	// asked for again from the same point.
	store.Fail = errors.New("disk full")
	if err := w.Check(ctx); err == nil || !strings.Contains(w.Status().LastError, "disk full") {
		t.Fatalf("marking into a failing store: %v, status %+v", err, w.Status())
	}
	store.Fail = nil
	asked := cloud.Asked()
	if err := w.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if got := cloud.Asked(); !got[len(got)-1].Equal(asked[len(asked)-1]) {
		t.Fatalf("since moved past a failed mark: %v", got)
	}
}

// TestCloudWatchAsksAfterUploads: Run asks at once, then after an upload
// (Settle later), and marks the snapshot the validator rejected; capture
// and uploads never wait for it.
func TestCloudWatchAsksAfterUploads(t *testing.T) {
	store, names := queued(t, 2)
	cloud := &inmem.Cloud{}
	cloud.SetStatus(domain.DeviceStatus{DeviceID: "dev_1", License: domain.SeatStatus{Status: "active", Seats: 1, SeatsUsed: 1}})
	// The "validator" rejects the second snapshot as soon as it arrives.
	cloud.BeforePut = func(_ context.Context, g domain.UploadGrant) error {
		if strings.HasSuffix(g.Key, names[1]) {
			cloud.Reject(domain.SnapshotRejection{Name: names[1], Reason: domain.EmbeddedCode, At: time.Now()})
		}
		return nil
	}
	slow := make(chan struct{})
	defer close(slow)
	asks := 0
	cloud.BeforeStatus = func(ctx context.Context) error {
		asks++
		if asks == 2 { // the question after the uploads is slow: uploads go on
			select {
			case <-slow:
			case <-time.After(50 * time.Millisecond):
			}
		}
		return nil
	}
	w := NewCloudWatch(cloud, store, CloudWatchConfig{Interval: time.Hour, Settle: 20 * time.Millisecond, MinGap: 10 * time.Millisecond}, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	eventually(t, "the first question at start", func() bool { return len(cloud.Asked()) >= 1 })
	if n := snapshotOf(t, store, names[1]); n.UploadState() != "queued" {
		t.Fatalf("before the upload: %+v", n)
	}

	u := NewUploader(store, store, cloud, cloud, UploaderConfig{Poll: 5 * time.Millisecond, Notify: w}, quiet())
	stop := running(t, u)
	defer stop()
	eventually(t, "both uploaded", func() bool { return outboxLen(store) == 0 })
	eventually(t, "the rejected snapshot marked", func() bool { return snapshotOf(t, store, names[1]).UploadState() == "rejected" })
	if sn := snapshotOf(t, store, names[1]); sn.RejectReason != "embedded_code" {
		t.Fatalf("rejected %+v", sn)
	}
	if sn := snapshotOf(t, store, names[0]); sn.UploadState() != "uploaded" {
		t.Fatalf("the other %+v", sn)
	}
	if n := len(cloud.Asked()); n < 2 || n > 4 {
		t.Fatalf("%d questions for two uploads (interval 1 h)", n)
	}
}
