package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/app/edge"
)

const testSecret = "the-device-secret-42"

// cloudAndBucket is a fake vigil-cloud whose grants point at itself: it
// takes the PUTs as the bucket would (any signature).
type cloudAndBucket struct {
	ts      *httptest.Server
	mu      sync.Mutex
	grants  int
	badAuth int
	objects map[string][]byte
	granted map[string]bool // every name a grant was asked for
	// refuse, when set, makes the bucket answer 400 to the PUTs of the
	// snapshots it names (an item failure: the snapshot stays queued).
	refuse func(name string) bool
}

func newCloudAndBucket(t *testing.T) *cloudAndBucket {
	c := &cloudAndBucket{objects: map[string][]byte{}, granted: map[string]bool{}}
	c.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/device/grants":
			if r.Header.Get("Authorization") != "Device dev_1:"+testSecret {
				c.badAuth++
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			var in struct {
				Name  string `json:"name"`
				Bytes int    `json:"bytes"`
			}
			json.NewDecoder(r.Body).Decode(&in)
			c.grants++
			c.granted[in.Name] = true
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"url": c.ts.URL + "/bucket/" + in.Name + "?X-Amz-Signature=feed", "method": "PUT",
				"key": "uploads/a/dev_1/" + in.Name, "expires": time.Now().Add(time.Minute),
				"headers": map[string]string{"Content-Type": "image/jpeg", "Content-Length": fmt.Sprint(in.Bytes)}})
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/bucket/"):
			b, _ := io.ReadAll(r.Body)
			if c.refuse != nil && c.refuse(strings.TrimPrefix(r.URL.Path, "/bucket/")) {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			c.objects[strings.TrimPrefix(r.URL.Path, "/bucket/")] = b
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(c.ts.Close)
	return c
}

// The daemon uploads its snapshots when the cloud is configured and the
// device enrolled; it never logs the secret.
func TestDaemonUploadsWhenEnrolled(t *testing.T) {
	cloud := newCloudAndBucket(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf(`{"cloud": {"url": %q, "device_id": "dev_1"}}`, cloud.ts.URL)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "device.secret"), []byte(testSecret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-source=file:../../testdata/video/tree-wind-hand.mjpeg", "-realtime=false", "-loop",
		"-duration=1500ms", "-listen=127.0.0.1:0", "-data=" + dir}, env(nil), &out, &errb)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	logged := errb.String()
	if strings.Contains(logged, testSecret) || strings.Contains(out.String(), testSecret) || !strings.Contains(logged, "uploads on") {
		t.Fatalf("log:\n%s", logged)
	}
	if fi, err := os.Stat(filepath.Join(dir, "device.secret")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device.secret left readable by others: %v, %v", fi.Mode(), err)
	}

	store, files := openStore(t, dir)
	events, err := store.Events(context.Background(), "", 1000, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	queued, _ := store.OutboxLen(context.Background())
	cloud.mu.Lock()
	defer cloud.mu.Unlock()
	var snaps, uploaded int
	for _, ev := range events {
		for _, sn := range ev.Snapshots {
			snaps++
			if sn.Uploaded.IsZero() {
				continue
			}
			uploaded++
			want, err := files.Read(sn.Name)
			if err != nil || !bytes.Equal(cloud.objects[sn.Name], want) {
				t.Errorf("%s marked uploaded, but the bucket holds %d bytes of its %d (%v)", sn.Name, len(cloud.objects[sn.Name]), len(want), err)
			}
		}
	}
	t.Logf("%d events, %d snapshots: %d uploaded, %d queued at the end; %d grants", len(events), snaps, uploaded, queued, cloud.grants)
	if uploaded == 0 || uploaded+queued != snaps || cloud.badAuth != 0 {
		t.Fatalf("%d of %d snapshots uploaded and %d queued, %d refused for credentials", uploaded, snaps, queued, cloud.badAuth)
	}
}

func TestNoUploaderWithoutCloudOrEnrollment(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		cloud  edge.CloudSettings
		secret string
		want   string
	}{
		{"no URL", edge.CloudSettings{}, testSecret, "cloud not configured: snapshots stay"},
		{"no secret", edge.CloudSettings{URL: "https://cloud.example.com", DeviceID: "dev_1"}, "", "not enrolled"},
		{"empty secret", edge.CloudSettings{URL: "https://cloud.example.com", DeviceID: "dev_1"}, " \n", "not enrolled"},
		{"no device ID", edge.CloudSettings{URL: "https://cloud.example.com"}, testSecret, "not enrolled"},
	} {
		path := filepath.Join(dir, secretFile)
		os.Remove(path)
		if c.secret != "" {
			if err := os.WriteFile(path, []byte(c.secret), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var logged bytes.Buffer
		up, watch, err := uploader(c.cloud, dir, nil, slog.New(slog.NewTextHandler(&logged, nil)))
		if err != nil || up != nil || watch != nil || strings.Count(logged.String(), "\n") != 1 || !strings.Contains(logged.String(), c.want) ||
			strings.Contains(logged.String(), testSecret) {
			t.Errorf("%s: uploader %v, %v; log %q", c.name, up, err, logged.String())
		}
	}
	os.Remove(filepath.Join(dir, secretFile))
	if err := os.Mkdir(filepath.Join(dir, secretFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := uploader(edge.CloudSettings{URL: "https://cloud.example.com", DeviceID: "dev_1"}, dir, nil, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a directory as the secret file: no error")
	}
}
