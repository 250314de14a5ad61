package edgeui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vigil/adapters/bbolt"
	"vigil/adapters/cloudapi"
	"vigil/adapters/fiber/edgeui"
	"vigil/app/edge"
	"vigil/domain"
)

// TestCloudSeatsAndRejections: with the device enrolled at a (fake)
// vigil-cloud whose device status lists a rejected snapshot, the settings
// page's cloud section shows the license and seats, the event page shows
// "rejected by cloud: <reason>" on that snapshot only, and the JSON API
// and the status page say the same.
func TestCloudSeatsAndRejections(t *testing.T) {
	ctx := context.Background()
	const deviceID, secret = "dev_01JDZ2F7QH4M8RS0XK3V9TB6WX", "device-secret-value"
	at := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	ev := &domain.Event{ID: domain.NewEventID(at, [10]byte{4}), Start: at, End: at.Add(5 * time.Second), PeakScore: 5, Frames: 3}
	bad, good := domain.SnapshotName(ev.ID, 2), domain.SnapshotName(ev.ID, 1)
	var asked int
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/device/status" || r.Header.Get("Authorization") != "Device "+deviceID+":"+secret {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"unknown device","kind":"unauthorized"}`)
			return
		}
		asked++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"device_id":%q,"name":"door","license":{"status":"active","seats":5,"seats_used":3,"expires":"2027-01-31T00:00:00Z"},
			"rejected":[{"name":%q,"reason":"trailing_data","detail":"412 bytes after the image's end","at":"2026-05-04T10:00:30Z"}]}`, deviceID, bad)
	}))
	defer cloud.Close()

	client := &cloudapi.Client{BaseURL: cloud.URL, DeviceID: deviceID, Secret: secret, HTTP: cloud.Client()}
	var watch *edge.CloudWatch
	f := newFixtureWith(t, true, func(cfg *edgeui.Config, store *bbolt.Store) {
		watch = edge.NewCloudWatch(client, store, edge.CloudWatchConfig{}, nil)
		cfg.Status = func(context.Context) edge.Status {
			st := watch.Status()
			return edge.Status{Version: "test", Uploads: true, Uploaded: 2, Cloud: &st}
		}
	})
	if err := f.settings.Update(ctx, func(s *edge.Settings) error {
		s.Cloud = edge.CloudSettings{URL: cloud.URL, DeviceID: deviceID}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SaveEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for n, name := range []string{good, bad} {
		snap := domain.Snapshot{Kind: domain.FirstSnapshot, Frame: int64(n + 1), Time: at, Name: name}
		if err := f.store.AddSnapshot(ctx, ev, snap, []byte("\xff\xd8 not really a jpeg \xff\xd9")); err != nil {
			t.Fatal(err)
		}
		if err := f.store.Uploaded(ctx, name, at.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	cookie, _ := f.login(t)
	hdr := map[string]string{"Cookie": cookie}
	get := func(path string) string {
		t.Helper()
		resp := f.do(t, "GET", path, nil, hdr)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return html.UnescapeString(string(b))
	}

	// Before the cloud answered: no seats, no rejection.
	if page := get("/settings"); !strings.Contains(page, "Seat status not known yet") || strings.Contains(page, "seats used") {
		t.Fatalf("settings before the first answer:\n%s", section(page, `id="seat-status"`))
	}
	if page := get("/events/" + string(ev.ID)); strings.Contains(page, "rejected by cloud") || strings.Count(page, ">uploaded<") != 2 {
		t.Fatalf("event page before the first answer:\n%s", section(page, `class="snapshots"`))
	}

	if err := watch.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if asked != 1 {
		t.Fatalf("the cloud was asked %d times", asked)
	}
	page := get("/settings")
	seats := section(page, `id="seat-status"`)
	if !strings.Contains(seats, "License: <strong id=\"license-status\">active</strong>") || !strings.Contains(seats, "3 of 5 seats used") ||
		!strings.Contains(seats, "2027-01-31") {
		t.Fatalf("settings' cloud section:\n%s", seats)
	}
	page = get("/events/" + string(ev.ID))
	if !strings.Contains(page, "rejected by cloud: trailing_data: 412 bytes after the image's end") || strings.Count(page, ">uploaded<") != 1 {
		t.Fatalf("event page:\n%s", section(page, `class="snapshots"`))
	}
	// The reason is on the rejected snapshot's own caption.
	for _, fig := range strings.Split(section(page, `class="snapshots"`), "</figure>") {
		if strings.Contains(fig, bad) != strings.Contains(fig, "rejected by cloud") {
			t.Fatalf("caption:\n%s", fig)
		}
	}

	var one struct {
		Snapshots []struct {
			Name         string     `json:"name"`
			Upload       string     `json:"upload"`
			RejectedAt   *time.Time `json:"rejected_at"`
			RejectReason string     `json:"reject_reason"`
		} `json:"snapshots"`
	}
	if err := json.Unmarshal([]byte(get("/api/v1/events/"+string(ev.ID))), &one); err != nil {
		t.Fatal(err)
	}
	for _, sn := range one.Snapshots {
		switch sn.Name {
		case good:
			if sn.Upload != "uploaded" || sn.RejectedAt != nil || sn.RejectReason != "" {
				t.Errorf("good snapshot %+v", sn)
			}
		case bad:
			if sn.Upload != "rejected" || sn.RejectedAt == nil || !sn.RejectedAt.Equal(at.Add(30*time.Second)) ||
				sn.RejectReason != "trailing_data: 412 bytes after the image's end" {
				t.Errorf("rejected snapshot %+v", sn)
			}
		}
	}

	var st struct {
		Cloud *struct {
			Checked *time.Time `json:"checked"`
			License *struct {
				Status    string `json:"status"`
				Seats     int    `json:"seats"`
				SeatsUsed int    `json:"seats_used"`
			} `json:"license"`
			Rejected  int    `json:"rejected"`
			LastError string `json:"last_error"`
		} `json:"cloud"`
	}
	if err := json.Unmarshal([]byte(get("/api/v1/status")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Cloud == nil || st.Cloud.Checked == nil || st.Cloud.License == nil || st.Cloud.License.Status != "active" ||
		st.Cloud.License.Seats != 5 || st.Cloud.License.SeatsUsed != 3 || st.Cloud.Rejected != 1 || st.Cloud.LastError != "" {
		t.Fatalf("status API cloud %+v", st.Cloud)
	}
	if page := get("/status"); !strings.Contains(section(page, `id="status-license"`), "active, 3 of 5 seats used") {
		t.Fatalf("status page:\n%s", section(page, `id="status-license"`))
	}

	// The cloud stops answering (revoked): the settings say so and keep the
	// last seats; the marks stay.
	client.Secret = "wrong"
	if err := watch.Check(ctx); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("Check with a wrong secret: %v", err)
	}
	seats = section(get("/settings"), `id="seat-status"`)
	if !strings.Contains(seats, "The cloud did not answer") || !strings.Contains(seats, "401") || !strings.Contains(seats, "3 of 5 seats used") {
		t.Fatalf("settings after a failure:\n%s", seats)
	}
	if strings.Contains(seats, secret) {
		t.Fatal("the secret is shown")
	}
	if page := get("/events/" + string(ev.ID)); !strings.Contains(page, "rejected by cloud: trailing_data") {
		t.Fatal("the mark is gone")
	}
}

// section is the part of page from marker to 1500 bytes on (for messages
// and narrow checks).
func section(page, marker string) string {
	i := strings.Index(page, marker)
	if i < 0 {
		return "(no " + marker + ")"
	}
	return page[i:min(len(page), i+1500)]
}
