package cloudapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/adapters/cloudapi"
	"vigil/domain"
)

var ctx = context.Background()

const (
	eventID = "01JDZ2F7QH4M8RS0XK3V9TB6WX"
	name    = eventID + "-2.jpg"
	secret  = "s3cr3t-Secret-VALUE"
)

// fakeCloud answers the device API as API.md says, recording what it got.
type fakeCloud struct {
	t      *testing.T
	mu     sync.Mutex
	status int    // answer with this status (and errBody) when not 0
	body   string // the error body then
	reqs   []*http.Request
	bodies []map[string]any
}

func (f *fakeCloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	data, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodGet {
		if err := json.Unmarshal(data, &in); err != nil {
			f.t.Errorf("request body %q: %v", data, err)
		}
	} else if len(data) != 0 {
		f.t.Errorf("GET with a body %q", data)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.bodies = append(f.bodies, in)
	status, body := f.status, f.body
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, body)
		return
	}
	switch r.URL.Path {
	case "/prefix/api/v1/device/grants":
		fmt.Fprintf(w, `{"url":"https://s3.example.com/uploads/a1/d1/2026/11/28/%s?X-Amz-Signature=abc","method":"PUT",
			"headers":{"Content-Type":"image/jpeg","Content-Length":"%v"},"key":"uploads/a1/d1/2026/11/28/%s",
			"expires":"2026-11-28T09:35:00Z","extra":1}`, in["name"], in["bytes"], in["name"])
	case "/prefix/api/v1/device/status":
		io.WriteString(w, `{"device_id":"dev_01","name":"front\ndoor","license":{"status":"expired","seats":5,"seats_used":3,
			"expires":"2026-10-01T00:00:00Z"},"rejected":[
			{"name":"`+name+`","reason":"trailing_data","detail":"12 bytes after\u0000 the end","at":"2026-11-28T09:40:00Z"},
			{"name":"../../etc/passwd","reason":"bad_key","at":"2026-11-28T09:41:00Z"},
			{"name":"`+eventID+`-3.jpg","reason":"","at":"2026-11-28T09:42:00Z","extra":true}],"extra":1}`)
	case "/prefix/api/v1/device/enroll":
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"device_id":"dev_01","device_secret":"fresh-secret","account_id":"acct_9"}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such route","kind":"not_found"}`)
	}
}

func newCloud(t *testing.T) (*fakeCloud, *cloudapi.Client) {
	f := &fakeCloud{t: t}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, &cloudapi.Client{BaseURL: ts.URL + "/prefix/", DeviceID: "dev_01", Secret: secret, HTTP: ts.Client()}
}

func TestGrant(t *testing.T) {
	f, c := newCloud(t)
	g, err := c.Grant(ctx, domain.Upload{Name: name, Event: eventID, Bytes: 48213, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := domain.UploadGrant{URL: "https://s3.example.com/uploads/a1/d1/2026/11/28/" + name + "?X-Amz-Signature=abc", Method: "PUT",
		Key: "uploads/a1/d1/2026/11/28/" + name, Expires: time.Date(2026, 11, 28, 9, 35, 0, 0, time.UTC)}
	if g.URL != want.URL || g.Method != want.Method || g.Key != want.Key || !g.Expires.Equal(want.Expires) ||
		len(g.Headers) != 2 || g.Headers["Content-Type"] != "image/jpeg" || g.Headers["Content-Length"] != "48213" {
		t.Fatalf("grant %+v\nwant %+v", g, want)
	}
	r, in := f.reqs[0], f.bodies[0]
	if r.Method != "POST" || r.URL.Path != "/prefix/api/v1/device/grants" || r.Header.Get("Authorization") != "Device dev_01:"+secret ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("request %s %s, headers %v", r.Method, r.URL, r.Header)
	}
	if len(in) != 4 || in["event_id"] != eventID || in["name"] != name || in["bytes"] != 48213.0 || in["content_type"] != "image/jpeg" {
		t.Fatalf("request body %v", in)
	}

	// The event ID comes from the name when the upload lacks it.
	if _, err := c.Grant(ctx, domain.Upload{Name: name, Bytes: 10}); err != nil || f.bodies[1]["event_id"] != eventID {
		t.Fatalf("grant without the event: %v, body %v", err, f.bodies[1])
	}
}

func TestGrantRefusesBadInputBeforeAsking(t *testing.T) {
	f, c := newCloud(t)
	for what, u := range map[string]domain.Upload{
		"bad name":    {Name: "../x.jpg", Bytes: 10},
		"other event": {Name: name, Event: "01JDZ2F7QH4M8RS0XK3V9TB6WY", Bytes: 10},
		"no bytes":    {Name: name, Bytes: 0},
	} {
		if _, err := c.Grant(ctx, u); domain.KindOf(err) != domain.Invalid {
			t.Errorf("%s: %v, want Invalid", what, err)
		}
	}
	for what, cl := range map[string]cloudapi.Client{
		"no device":   {BaseURL: c.BaseURL, Secret: secret, HTTP: c.HTTP},
		"bad device":  {BaseURL: c.BaseURL, DeviceID: "a:b", Secret: secret, HTTP: c.HTTP},
		"no secret":   {BaseURL: c.BaseURL, DeviceID: "dev_01", HTTP: c.HTTP},
		"CRLF secret": {BaseURL: c.BaseURL, DeviceID: "dev_01", Secret: "x\r\nX-Evil: 1", HTTP: c.HTTP},
	} {
		if _, err := cl.Grant(ctx, domain.Upload{Name: name, Bytes: 10}); domain.KindOf(err) != domain.Unauthorized {
			t.Errorf("%s: %v, want Unauthorized", what, err)
		}
	}
	bad := *c
	bad.BaseURL = "ftp://cloud"
	if _, err := bad.Grant(ctx, domain.Upload{Name: name, Bytes: 10}); domain.KindOf(err) != domain.Invalid {
		t.Errorf("ftp base URL: %v, want Invalid", err)
	}
	if len(f.reqs) != 0 {
		t.Fatalf("%d requests sent", len(f.reqs))
	}
}

func TestStatusesMapToKinds(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		kind   domain.Kind
		text   string
	}{
		{400, `{"error":"bytes: over the limit of 8 MB","kind":"invalid"}`, domain.Invalid, "400 Bad Request: bytes: over the limit of 8 MB"},
		{413, ``, domain.Invalid, "413"},
		{422, `not json`, domain.Invalid, "422"},
		{401, `{"error":"unknown device"}`, domain.Unauthorized, "401 Unauthorized: unknown device"},
		{403, `{"error":"device revoked","kind":"unauthorized"}`, domain.Unauthorized, "device revoked"},
		{402, `{"error":"license expired"}`, domain.Unlicensed, "402 Payment Required: license expired"},
		{403, `{"error":"license suspended","kind":"unlicensed"}`, domain.Unlicensed, "license suspended"},
		{409, `{"error":"received already","kind":"conflict"}`, domain.Conflict, "received already"},
		{404, `{"error":"no such route"}`, domain.NotFound, "404"},
		{429, `{"error":"slow down"}`, domain.Unavailable, "429"},
		{500, `{"error":"boom"}`, domain.Unavailable, "500"},
		{503, `<html>gateway</html>`, domain.Unavailable, "503 Service Unavailable"},
		{503, `{"error":"x","kind":"unlicensed"}`, domain.Unavailable, "503"}, // a 5xx is never the license
		{302, ``, domain.Internal, "302"},
		{200, `{"url":"","key":"k"}`, domain.Internal, "URL"},
		{200, `{"url":"https://s3/x"}`, domain.Internal, "key"},
		{200, `{"url":`, domain.Internal, "decoding"},
	} {
		f, cl := newCloud(t)
		f.status, f.body = c.status, c.body
		_, err := cl.Grant(ctx, domain.Upload{Name: name, Bytes: 10})
		if domain.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.text) || !strings.HasPrefix(err.Error(), "cloudapi: grant "+name+": ") {
			t.Errorf("%d %s: %v (kind %v), want %v with %q", c.status, c.body, err, domain.KindOf(err), c.kind, c.text)
		}
	}

	// Long messages are cut, and the secret is never in an error.
	f, cl := newCloud(t)
	f.status, f.body = 400, fmt.Sprintf(`{"error":%q}`, strings.Repeat("long ", 100))
	if _, err := cl.Grant(ctx, domain.Upload{Name: name, Bytes: 10}); len(err.Error()) > 300 {
		t.Errorf("a long message is kept whole: %d characters", len(err.Error()))
	}

	// Unreachable: Unavailable.
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close()
	down := cloudapi.Client{BaseURL: ts.URL, DeviceID: "dev_01", Secret: secret}
	_, err := down.Grant(ctx, domain.Upload{Name: name, Bytes: 10})
	if domain.KindOf(err) != domain.Unavailable || strings.Contains(err.Error(), secret) {
		t.Fatalf("unreachable cloud: %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}
	_, _, err = down.Enroll(ctx, "VGL-1", "front door")
	if domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("enroll, unreachable cloud: %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}

	// Too slow for the caller's deadline: Unavailable.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer dcancel()
	sc := cloudapi.Client{BaseURL: slow.URL, DeviceID: "dev_01", Secret: secret}
	if _, err := sc.Grant(dctx, domain.Upload{Name: name, Bytes: 10}); domain.KindOf(err) != domain.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}

	// Cancelled: the context's error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cl.Grant(cctx, domain.Upload{Name: name, Bytes: 10}); domain.KindOf(err) != domain.Internal || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestEnroll(t *testing.T) {
	f, c := newCloud(t)
	c.DeviceID, c.Secret = "", "" // not enrolled yet
	id, sec, err := c.Enroll(ctx, "VGL-ABCD-EFGH", "front door")
	if err != nil || id != "dev_01" || sec != "fresh-secret" {
		t.Fatalf("Enroll = %q, %q, %v", id, sec, err)
	}
	r, in := f.reqs[0], f.bodies[0]
	if r.Method != "POST" || r.URL.Path != "/prefix/api/v1/device/enroll" || r.Header.Get("Authorization") != "" {
		t.Fatalf("request %s %s, headers %v", r.Method, r.URL, r.Header)
	}
	if len(in) != 2 || in["license_key"] != "VGL-ABCD-EFGH" || in["name"] != "front door" {
		t.Fatalf("request body %v", in)
	}

	for _, e := range []struct {
		status int
		body   string
		kind   domain.Kind
	}{
		{402, `{"error":"all 3 seats are taken"}`, domain.Unlicensed},
		{409, `{"error":"all 3 seats are taken","kind":"unlicensed"}`, domain.Unlicensed},
		{409, `{"error":"name in use"}`, domain.Conflict},
		{401, `{"error":"unknown license key"}`, domain.Unauthorized},
		{400, `{"error":"name: too long"}`, domain.Invalid},
		{201, `{"device_id":"a:b","device_secret":"s"}`, domain.Internal},
		{201, `{"device_id":"dev_2","device_secret":""}`, domain.Internal},
	} {
		f.status, f.body = e.status, e.body
		if _, _, err := c.Enroll(ctx, "VGL-1", "cam"); domain.KindOf(err) != e.kind {
			t.Errorf("%d %s: %v (kind %v), want %v", e.status, e.body, err, domain.KindOf(err), e.kind)
		}
	}
	if _, _, err := c.Enroll(ctx, " ", "cam"); domain.KindOf(err) != domain.Invalid {
		t.Errorf("no license key: %v", err)
	}
	if _, _, err := c.Enroll(ctx, "VGL-1", ""); domain.KindOf(err) != domain.Invalid {
		t.Errorf("no name: %v", err)
	}
}

func TestSecretIsNeverPrinted(t *testing.T) {
	c := cloudapi.Client{BaseURL: "https://cloud.example.com", DeviceID: "dev_01", Secret: secret}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("cloud", "client", c, "ptr", &c)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cloud", "client", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, &c), logged.String()} {
		if strings.Contains(s, secret) {
			t.Fatalf("the secret is printed: %s", s)
		}
	}
	if !strings.Contains(logged.String(), "dev_01") {
		t.Fatalf("the log lost the device: %s", logged.String())
	}
}

func TestDeviceStatus(t *testing.T) {
	f, c := newCloud(t)
	since := time.Date(2026, 11, 28, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	st, err := c.DeviceStatus(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	r := f.reqs[0]
	if r.Method != "GET" || r.URL.Path != "/prefix/api/v1/device/status" || r.URL.Query().Get("since") != "2026-11-28T08:00:00Z" ||
		r.Header.Get("Authorization") != "Device dev_01:"+secret || r.Header.Get("Accept") != "application/json" {
		t.Fatalf("request %s %s, headers %v", r.Method, r.URL, r.Header)
	}
	want := domain.SeatStatus{Status: "expired", Seats: 5, SeatsUsed: 3, Expires: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	if st.DeviceID != "dev_01" || st.Name != "front door" || st.License != want {
		t.Fatalf("status %+v", st)
	}
	// The bad name is left out, control characters go, an empty reason
	// still says rejected.
	if len(st.Rejected) != 2 || st.Rejected[0].Name != name || st.Rejected[0].Reason != domain.TrailingData ||
		st.Rejected[0].Detail != "12 bytes after the end" || !st.Rejected[0].At.Equal(time.Date(2026, 11, 28, 9, 40, 0, 0, time.UTC)) ||
		st.Rejected[1].Name != eventID+"-3.jpg" || st.Rejected[1].Reason != "rejected" {
		t.Fatalf("rejected %+v", st.Rejected)
	}
	if _, err := c.DeviceStatus(ctx, time.Time{}); err != nil || f.reqs[1].URL.RawQuery != "" {
		t.Fatalf("without since: %v, query %q", err, f.reqs[1].URL.RawQuery)
	}

	for _, e := range []struct {
		status int
		body   string
		kind   domain.Kind
	}{
		{401, `{"error":"unknown, wrong or revoked device credentials","kind":"unauthorized"}`, domain.Unauthorized},
		{429, `{"error":"too many attempts"}`, domain.Unavailable},
		{404, `{"error":"no such route"}`, domain.NotFound}, // an older cloud
		{200, `{"device_id":"dev_02","license":null,"rejected":[]}`, domain.Internal},
		{200, `{"device_id":"dev_01","license":{"status":"sort of"},"rejected":[]}`, domain.Internal},
		{200, `{"device_id":"dev_01","license":{"status":"active","seats":-1},"rejected":[]}`, domain.Internal},
		{200, `{"device_id":`, domain.Internal},
	} {
		f.status, f.body = e.status, e.body
		if _, err := c.DeviceStatus(ctx, time.Time{}); domain.KindOf(err) != e.kind || !strings.HasPrefix(err.Error(), "cloudapi: device status: ") {
			t.Errorf("%d %s: %v (kind %v), want %v", e.status, e.body, err, domain.KindOf(err), e.kind)
		}
	}
	// No license: a zero SeatStatus.
	f.status, f.body = 200, `{"device_id":"dev_01","name":"x","license":null,"rejected":[]}`
	if st, err := c.DeviceStatus(ctx, time.Time{}); err != nil || st.License != (domain.SeatStatus{}) || len(st.Rejected) != 0 {
		t.Fatalf("no license: %+v %v", st, err)
	}
	n := len(f.reqs)
	if _, err := (&cloudapi.Client{BaseURL: c.BaseURL, HTTP: c.HTTP}).DeviceStatus(ctx, time.Time{}); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("not enrolled: %v", err)
	}
	if len(f.reqs) != n {
		t.Fatal("a request was sent without credentials")
	}
}
