package cloudweb_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/adapters/cloudapi"
	"vigil/adapters/s3"
	"vigil/app/cloud"
	"vigil/domain"
)

// TestConcurrentEnrollmentTakesExactlyTheSeats: N devices enroll at once
// on a 3-seat license; exactly 3 get in, the others hear 402 with the
// reason; a revoke from the web API frees one seat for one more device.
func TestConcurrentEnrollmentTakesExactlyTheSeats(t *testing.T) {
	e := newEnv(t, cloud.Config{})
	tn := e.newTenant(3)
	const n = 10
	codes := make([]int, n)
	got := make([]enrolled, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i], got[i] = e.enroll(tn.licenseKey, fmt.Sprintf("cam %d", i)) })
	}
	wg.Wait()
	var ok []enrolled
	for i, c := range codes {
		switch c {
		case 201:
			ok = append(ok, got[i])
			if !domain.ValidDeviceID(got[i].DeviceID) || len(got[i].DeviceSecret) < 22 || got[i].AccountID != tn.acct.ID {
				t.Fatalf("enrollment answer %+v", got[i])
			}
		case 402:
		default:
			t.Fatalf("enrollment %d: status %d", i, c)
		}
	}
	if len(ok) != 3 {
		t.Fatalf("%d enrollments succeeded, want 3 (codes %v)", len(ok), codes)
	}
	resp := e.do(nil, "POST", "/api/v1/device/enroll", map[string]string{"license_key": tn.licenseKey, "name": "one too many"}, nil)
	var eb struct{ Error, Kind string }
	mustJSON(t, resp, 402, &eb)
	if eb.Kind != "unlicensed" || !strings.Contains(eb.Error, "seats") {
		t.Fatalf("over the seats: %+v", eb)
	}

	resp = e.do(tn.client, "POST", "/api/v1/devices/"+ok[0].DeviceID+"/revoke", nil, map[string]string{"X-CSRF-Token": tn.csrf})
	mustJSON(t, resp, 204, nil)
	if c, _ := e.enroll(tn.licenseKey, "after revoke"); c != 201 {
		t.Fatalf("enroll after revoke: %d", c)
	}
	if c, _ := e.enroll(tn.licenseKey, "and one more"); c != 402 {
		t.Fatalf("enroll over the seats again: %d", c)
	}
	var devs struct {
		License struct {
			Seats     int `json:"seats"`
			SeatsUsed int `json:"seats_used"`
		} `json:"license"`
		Devices []struct {
			ID      string `json:"id"`
			Revoked bool   `json:"revoked"`
		} `json:"devices"`
	}
	mustJSON(t, e.do(tn.client, "GET", "/api/v1/devices", nil, nil), 200, &devs)
	if devs.License.SeatsUsed != 3 || len(devs.Devices) != 4 {
		t.Fatalf("devices %+v", devs)
	}

	// Bad requests are refused with a clear error.
	for _, body := range []map[string]string{{"license_key": "", "name": "x"}, {"license_key": tn.licenseKey, "name": ""},
		{"license_key": tn.licenseKey, "name": strings.Repeat("n", 65)}} {
		if c, _ := e.enroll(body["license_key"], body["name"]); c != 400 {
			t.Fatalf("enroll %v: %d, want 400", body, c)
		}
	}
	if c, _ := e.enroll("VGL-NOT-A-KEY", "x"); c != 401 {
		t.Fatalf("unknown key: %d, want 401", c)
	}
}

func grantBody(ev domain.EventID, n int, size int) map[string]any {
	return map[string]any{"event_id": string(ev), "name": domain.SnapshotName(ev, n), "bytes": size, "content_type": "image/jpeg"}
}

type grantAnswer struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Key     string            `json:"key"`
	Expires time.Time         `json:"expires"`
}

func newEvent(at time.Time) domain.EventID {
	var e [10]byte
	copy(e[:], rnd())
	return domain.NewEventID(at, e)
}

// put sends body to a grant's URL with its headers and returns the status.
func put(t *testing.T, url string, headers map[string]string, body []byte, length int64) int {
	t.Helper()
	req, err := http.NewRequest("PUT", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k != "Content-Length" {
			req.Header.Set(k, v)
		}
	}
	req.ContentLength = length
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1 // the store hung up: refused
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestGrantIsAPresignedPutOfExactlyThatObject: versitygw takes the exact
// key and length and refuses another key, a longer body and an expired
// URL; revoked devices and inactive licenses get no grant.
func TestGrantIsAPresignedPutOfExactlyThatObject(t *testing.T) {
	e := newEnv(t, cloud.Config{UploadLifetime: 2 * time.Second, GrantsPerMinute: 8})
	tn := e.newTenant(2)
	_, dev := e.enroll(tn.licenseKey, "door")
	auth := map[string]string{"Authorization": "Device " + dev.DeviceID + ":" + dev.DeviceSecret}
	at := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	ev := newEvent(at)
	body := testJPEG(t, 64, 48)
	var g grantAnswer
	mustJSON(t, e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 2, len(body)), auth), 200, &g)
	wantKey := "uploads/" + tn.acct.ID + "/" + dev.DeviceID + "/2026/11/28/" + string(ev) + "-2.jpg"
	if g.Key != wantKey || g.Method != "PUT" || g.Headers["Content-Type"] != "image/jpeg" || g.Headers["Content-Length"] != fmt.Sprint(len(body)) {
		t.Fatalf("grant %+v, want key %s", g, wantKey)
	}
	if !strings.Contains(g.URL, "X-Amz-Expires=2&") && !strings.HasSuffix(g.URL, "X-Amz-Expires=2") {
		t.Fatalf("grant lifetime: %s", g.URL)
	}
	if time.Until(g.Expires) > 5*time.Minute {
		t.Fatalf("expires %v", g.Expires)
	}
	// A longer body under the same signature is refused.
	if c := put(t, g.URL, g.Headers, append(append([]byte{}, body...), 0xFF, 0xD9), int64(len(body)+2)); c >= 200 && c < 300 {
		t.Fatalf("longer body: %d", c)
	}
	// Another key under the same signature is refused.
	other := strings.Replace(g.URL, string(ev)+"-2.jpg", string(ev)+"-3.jpg", 1)
	if c := put(t, other, g.Headers, body, int64(len(body))); c != 403 {
		t.Fatalf("another key: %d, want 403", c)
	}
	// The exact object goes in.
	if c := put(t, g.URL, g.Headers, body, int64(len(body))); c != 200 {
		t.Fatalf("exact put: %d", c)
	}
	objs, err := e.s3.Objects(testContext(t), e.upload)
	if err != nil || objs[wantKey] != int64(len(body)) || len(objs) != 1 {
		t.Fatalf("upload bucket %v %v", objs, err)
	}
	// Once the validator recorded the image, a new grant for it is a conflict
	// (the device then marks the snapshot uploaded).
	if err := e.tab.PutImage(testContext(t), domain.ImageRecord{AccountID: tn.acct.ID, DeviceID: dev.DeviceID, ID: string(ev) + "-2",
		EventID: string(ev), TakenAt: at, Key: "images/x.jpg"}); err != nil {
		t.Fatal(err)
	}
	mustJSON(t, e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 2, len(body)), auth), 409, nil)
	// An expired URL is refused.
	mustJSON(t, e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 4, len(body)), auth), 200, &g)
	time.Sleep(3 * time.Second)
	if c := put(t, g.URL, g.Headers, body, int64(len(body))); c != 403 {
		t.Fatalf("expired URL: %d, want 403", c)
	}

	// Bad requests: name of another event, bad name, zero or huge length, other type.
	for name, b := range map[string]map[string]any{
		"other event": {"event_id": string(newEvent(at)), "name": domain.SnapshotName(ev, 1), "bytes": 10, "content_type": "image/jpeg"},
		"bad name":    {"event_id": string(ev), "name": "../x.jpg", "bytes": 10, "content_type": "image/jpeg"},
		"zero":        grantBody(ev, 5, 0),
		"huge":        grantBody(ev, 5, 6<<20),
		"png":         {"event_id": string(ev), "name": domain.SnapshotName(ev, 5), "bytes": 10, "content_type": "image/png"},
	} {
		resp := e.do(nil, "POST", "/api/v1/device/grants", b, auth)
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
		}
		resp.Body.Close()
	}

	// Rate limit per device: 8 a minute (3 used above; the bad requests are
	// refused before they count).
	limited := false
	for i := range 8 {
		resp := e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 10+i, len(body)), auth)
		resp.Body.Close()
		if resp.StatusCode == 429 {
			limited = true
			break
		}
		if resp.StatusCode != 200 {
			t.Fatalf("grant %d: %d", i, resp.StatusCode)
		}
	}
	if !limited {
		t.Fatal("no 429 after 10 grants with a limit of 8 a minute")
	}

	// A suspended license gets no grant (402, kind unlicensed).
	_, dev2 := e.enroll(tn.licenseKey, "yard")
	auth2 := map[string]string{"Authorization": "Device " + dev2.DeviceID + ":" + dev2.DeviceSecret}
	if err := e.svc.SetLicenseState(testContext(t), tn.acct.ID, domain.LicenseSuspended); err != nil {
		t.Fatal(err)
	}
	var eb struct{ Error, Kind string }
	mustJSON(t, e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 1, 10), auth2), 402, &eb)
	if eb.Kind != "unlicensed" || !strings.Contains(eb.Error, "suspended") {
		t.Fatalf("suspended: %+v", eb)
	}
	if err := e.svc.SetLicenseState(testContext(t), tn.acct.ID, domain.LicenseActive); err != nil {
		t.Fatal(err)
	}
	mustJSON(t, e.do(nil, "POST", "/api/v1/uploads", map[string]any{"event_id": string(ev), "index": 1, "bytes": 10, "content_type": "image/jpeg"}, auth2), 200, &g)
	if !strings.HasSuffix(g.Key, string(ev)+"-1.jpg") {
		t.Fatalf("alias /api/v1/uploads: %+v", g)
	}

	// Revoked: the secret stops working at once.
	mustJSON(t, e.do(tn.client, "POST", "/api/v1/devices/"+dev2.DeviceID+"/revoke", nil, map[string]string{"X-CSRF-Token": tn.csrf}), 204, nil)
	mustJSON(t, e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 1, 10), auth2), 401, nil)
	// Wrong secrets and malformed headers: 401.
	for _, h := range []string{"", "Device " + dev.DeviceID + ":wrong", "Device " + dev.DeviceID, "Bearer " + dev.DeviceSecret,
		"Device dev_nope:" + dev.DeviceSecret} {
		resp := e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 1, 10), map[string]string{"Authorization": h})
		if resp.StatusCode != 401 {
			t.Errorf("Authorization %q: %d, want 401", h, resp.StatusCode)
		}
		resp.Body.Close()
	}
}

// TestEdgeClientEnrollsAndUploads: the edge's own client (adapters/cloudapi)
// and putter (adapters/s3) against this server and versitygw.
func TestEdgeClientEnrollsAndUploads(t *testing.T) {
	e := newEnv(t, cloud.Config{})
	tn := e.newTenant(1)
	ctx := testContext(t)
	c := &cloudapi.Client{BaseURL: e.base}
	id, secret, err := c.Enroll(ctx, tn.licenseKey, "porch")
	if err != nil {
		t.Fatal(err)
	}
	c.DeviceID, c.Secret = id, secret
	ev := newEvent(time.Now())
	body := testJPEG(t, 32, 24)
	g, err := c.Grant(ctx, domain.Upload{Name: domain.SnapshotName(ev, 1), Event: ev, Bytes: len(body)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.NewPutter(nil).Put(ctx, g, body); err != nil {
		t.Fatal(err)
	}
	objs, _ := e.s3.Objects(ctx, e.upload)
	if objs[g.Key] != int64(len(body)) {
		t.Fatalf("objects %v, want %s", objs, g.Key)
	}
	// The device's status through the client: its seat, and a rejection of
	// its upload (as the validator records it).
	if err := e.tab.PutRejection(ctx, domain.Rejection{AccountID: tn.acct.ID, DeviceID: id, ID: string(ev) + "-1",
		Reason: domain.EmbeddedCode, Detail: "script in a comment", RejectedAt: time.Now(), SourceKey: g.Key}); err != nil {
		t.Fatal(err)
	}
	st, err := c.DeviceStatus(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if st.DeviceID != id || st.Name != "porch" || st.License.Status != "active" || st.License.Seats != 1 || st.License.SeatsUsed != 1 ||
		len(st.Rejected) != 1 || st.Rejected[0].Name != domain.SnapshotName(ev, 1) || st.Rejected[0].Reason != domain.EmbeddedCode ||
		st.Rejected[0].Detail != "script in a comment" {
		t.Fatalf("device status %+v", st)
	}
	// The second enrollment finds no seat: the client sees Unlicensed.
	if _, _, err := (&cloudapi.Client{BaseURL: e.base}).Enroll(ctx, tn.licenseKey, "second"); domain.KindOf(err) != domain.Unlicensed {
		t.Fatalf("second enrollment: %v", err)
	}
	// Revoked: the client sees Unauthorized.
	if err := e.svc.Revoke(ctx, domain.Session{AccountID: tn.acct.ID}, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Grant(ctx, domain.Upload{Name: domain.SnapshotName(ev, 2), Event: ev, Bytes: len(body)}); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("revoked: %v", err)
	}
	if _, err := c.DeviceStatus(ctx, time.Time{}); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("status of a revoked device: %v", err)
	}
}

var _ = context.Background

type statusAnswer struct {
	DeviceID string `json:"device_id"`
	Name     string `json:"name"`
	License  *struct {
		Status    string    `json:"status"`
		Seats     int       `json:"seats"`
		SeatsUsed int       `json:"seats_used"`
		Expires   time.Time `json:"expires"`
	} `json:"license"`
	Rejected []struct {
		Name   string    `json:"name"`
		Reason string    `json:"reason"`
		Detail string    `json:"detail"`
		At     time.Time `json:"at"`
	} `json:"rejected"`
}

// TestDeviceStatus: GET /api/v1/device/status tells a device its license
// and seats and its own rejected snapshots (never another device's or
// another account's), since a time when asked; a revoked device hears 401.
func TestDeviceStatus(t *testing.T) {
	e := newEnv(t, cloud.Config{})
	ctx := testContext(t)
	tn, other := e.newTenant(3), e.newTenant(1)
	_, door := e.enroll(tn.licenseKey, "door")
	_, yard := e.enroll(tn.licenseKey, "yard")
	_, stranger := e.enroll(other.licenseKey, "stranger")
	auth := map[string]string{"Authorization": "Device " + door.DeviceID + ":" + door.DeviceSecret}
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	var doorNames []string // newest first
	for i := range 3 {
		for _, r := range []struct {
			acct, dev string
		}{{tn.acct.ID, door.DeviceID}, {tn.acct.ID, yard.DeviceID}, {other.acct.ID, stranger.DeviceID}} {
			ev := newEvent(base.Add(time.Duration(i) * time.Minute))
			rej := domain.Rejection{AccountID: r.acct, DeviceID: r.dev, ID: string(ev) + "-1", Reason: domain.TrailingData,
				Detail: "bytes after the end of " + r.dev, RejectedAt: base.Add(time.Duration(i) * 10 * time.Minute),
				SourceKey: "uploads/" + r.acct + "/" + r.dev + "/x/" + string(ev) + "-1.jpg"}
			if err := e.tab.PutRejection(ctx, rej); err != nil {
				t.Fatal(err)
			}
			if r.dev == door.DeviceID {
				doorNames = append([]string{rej.ID + ".jpg"}, doorNames...)
			}
		}
	}
	var st statusAnswer
	resp := e.do(nil, "GET", "/api/v1/device/status", nil, auth)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	mustJSON(t, resp, 200, &st)
	if st.DeviceID != door.DeviceID || st.Name != "door" || st.License == nil || st.License.Status != "active" ||
		st.License.Seats != 3 || st.License.SeatsUsed != 2 || time.Until(st.License.Expires) < 300*24*time.Hour {
		t.Fatalf("status %+v license %+v", st, st.License)
	}
	var names []string
	for _, r := range st.Rejected {
		names = append(names, r.Name)
		if r.Reason != "trailing_data" || r.Detail != "bytes after the end of "+door.DeviceID || r.At.Before(base) {
			t.Errorf("rejection %+v", r)
		}
	}
	if fmt.Sprint(names) != fmt.Sprint(doorNames) {
		t.Fatalf("rejected %v, want the door's own %v", names, doorNames)
	}
	// since: only those rejected at or after it.
	mustJSON(t, e.do(nil, "GET", "/api/v1/device/status?since="+base.Add(15*time.Minute).Format(time.RFC3339), nil, auth), 200, &st)
	if len(st.Rejected) != 1 || st.Rejected[0].Name != doorNames[0] {
		t.Fatalf("since: %+v", st.Rejected)
	}
	for _, q := range []string{"?since=yesterday", "?since=" + time.Now().AddDate(0, 0, 3).Format(time.RFC3339)} {
		var eb struct{ Error, Kind string }
		mustJSON(t, e.do(nil, "GET", "/api/v1/device/status"+q, nil, auth), 400, &eb)
		if eb.Kind != "invalid" || !strings.Contains(eb.Error, "since") {
			t.Errorf("%s: %+v", q, eb)
		}
	}
	// A suspended license is reported, not refused.
	if err := e.svc.SetLicenseState(ctx, tn.acct.ID, domain.LicenseSuspended); err != nil {
		t.Fatal(err)
	}
	mustJSON(t, e.do(nil, "GET", "/api/v1/device/status", nil, auth), 200, &st)
	if st.License == nil || st.License.Status != "suspended" || len(st.Rejected) != 3 {
		t.Fatalf("suspended: %+v", st)
	}
	// Revoked: 401 at once.
	mustJSON(t, e.do(tn.client, "POST", "/api/v1/devices/"+door.DeviceID+"/revoke", nil, map[string]string{"X-CSRF-Token": tn.csrf}), 204, nil)
	mustJSON(t, e.do(nil, "GET", "/api/v1/device/status", nil, auth), 401, nil)
}
