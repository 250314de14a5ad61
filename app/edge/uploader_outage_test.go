package edge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/bbolt"
	"vigil/adapters/cloudapi"
	"vigil/adapters/disk"
	"vigil/adapters/s3"
	"vigil/adapters/s3/s3test"
	"vigil/app/edge"
	"vigil/domain"
	"vigil/ports"
)

// outageCloud is vigil-cloud's grant API as API.md describes it, issuing
// real presigned PUTs of versitygw; down makes it answer 503.
type outageCloud struct {
	t              *testing.T
	srv            *s3test.Server
	bucket, device string
	secret         string
	down           atomic.Bool
	grants, busy   atomic.Int64
}

func (c *outageCloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/device/grants" {
		fail(http.StatusNotFound, "no such route")
		return
	}
	if c.down.Load() {
		c.busy.Add(1)
		fail(http.StatusServiceUnavailable, "down for maintenance")
		return
	}
	if r.Header.Get("Authorization") != "Device "+c.device+":"+c.secret {
		fail(http.StatusUnauthorized, "unknown device")
		return
	}
	var in struct {
		EventID     string `json:"event_id"`
		Name        string `json:"name"`
		Bytes       int64  `json:"bytes"`
		ContentType string `json:"content_type"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	id, _, err := domain.ParseSnapshotName(in.Name)
	if err != nil || string(id) != in.EventID || in.Bytes <= 0 || in.ContentType != "image/jpeg" {
		fail(http.StatusBadRequest, fmt.Sprintf("bad request %+v", in))
		return
	}
	day := id.Time().UTC()
	key := fmt.Sprintf("uploads/acct1/%s/%04d/%02d/%02d/%s", c.device, day.Year(), int(day.Month()), day.Day(), in.Name)
	g, err := c.srv.Presign(r.Context(), s3test.Put{Bucket: c.bucket, Key: key, Length: in.Bytes, ContentType: in.ContentType, Lifetime: time.Minute})
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	c.grants.Add(1)
	json.NewEncoder(w).Encode(map[string]any{"url": g.URL, "method": g.Method, "headers": g.Headers, "key": g.Key, "expires": g.Expires})
}

// countingPutter counts the PUTs the object store accepted, by key.
type countingPutter struct {
	ports.ObjectPutter
	mu   sync.Mutex
	puts map[string]int
}

func (p *countingPutter) Put(ctx context.Context, g domain.UploadGrant, body []byte) error {
	err := p.ObjectPutter.Put(ctx, g, body)
	if err == nil {
		p.mu.Lock()
		p.puts[g.Key]++
		p.mu.Unlock()
	}
	return err
}

// edgeProcess is the edge's store and uploader, as the daemon wires them.
type edgeProcess struct {
	store *bbolt.Store
	up    *edge.Uploader
	rec   ports.EventStore // the store as the Recorder sees it: it wakes the uploader
	stop  func()
}

func startEdge(t *testing.T, dir string, client *cloudapi.Client, putter ports.ObjectPutter, log *slog.Logger) *edgeProcess {
	t.Helper()
	files, err := disk.Open(filepath.Join(dir, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := bbolt.Open(filepath.Join(dir, "vigil.db"), files, bbolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	up := edge.NewUploader(store, store.Files(), client, putter, edge.UploaderConfig{
		Workers: 2, Poll: 20 * time.Millisecond, Base: 50 * time.Millisecond, Limit: 400 * time.Millisecond, Timeout: 5 * time.Second,
	}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- up.Run(ctx) }()
	p := &edgeProcess{store: store, up: up, rec: edge.WakeOnSnapshot(store, up)}
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			if err := store.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(p.stop)
	return p
}

func (p *edgeProcess) queued(t *testing.T) int {
	t.Helper()
	n, err := p.store.OutboxLen(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// record stores events of perEvent snapshots each, from event number from
// on, and returns the bytes of each snapshot by name.
func record(t *testing.T, rec ports.EventStore, from, events, perEvent int, files map[string][]byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(from), 7))
	start := time.Now().Add(-time.Hour)
	for e := from; e < from+events; e++ {
		at := start.Add(time.Duration(e) * time.Second)
		ev := domain.Event{ID: domain.NewEventID(at, [10]byte{byte(e), byte(e >> 8), 0x5e}), Start: at}
		for n := 1; n <= perEvent; n++ {
			jpeg := make([]byte, 2000+rng.IntN(30000))
			for i := range jpeg {
				jpeg[i] = byte(rng.Uint32())
			}
			jpeg[0], jpeg[1], jpeg[len(jpeg)-2], jpeg[len(jpeg)-1] = 0xff, 0xd8, 0xff, 0xd9
			snap := domain.Snapshot{Kind: domain.PeakSnapshot, Name: domain.SnapshotName(ev.ID, n), Time: at}
			if err := rec.AddSnapshot(context.Background(), &ev, snap, jpeg); err != nil {
				t.Fatal(err)
			}
			files[snap.Name] = jpeg
		}
	}
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUploadsSurviveAnOutage is issue 4's reliability case: the upload
// target unreachable for a while (the cloud answering 503, then the object
// store down), the edge restarted meanwhile, then everything back: every
// queued snapshot arrives exactly once, and the outbox ends empty.
func TestUploadsSurviveAnOutage(t *testing.T) {
	began := time.Now()
	srv := s3test.Start(t)
	cloud := &outageCloud{t: t, srv: srv, bucket: srv.Bucket(t), device: "dev_outage", secret: "outage-secret-0123456789"}
	api := httptest.NewServer(cloud)
	defer api.Close()
	client := &cloudapi.Client{BaseURL: api.URL, DeviceID: cloud.device, Secret: cloud.secret, HTTP: &http.Client{Timeout: 5 * time.Second}}
	putter := &countingPutter{ObjectPutter: s3.NewPutter(&http.Client{Timeout: 5 * time.Second}), puts: map[string]int{}}
	var logs strings.Builder
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	dir := t.TempDir()
	files := map[string][]byte{}

	// All well: 20 snapshots go out.
	p := startEdge(t, dir, client, putter, log)
	record(t, p.rec, 0, 4, 5, files)
	waitFor(t, "the first 20 uploads", 10*time.Second, func() bool { return p.queued(t) == 0 })

	// The cloud answers 503 while 45 more are recorded.
	cloud.down.Store(true)
	record(t, p.rec, 4, 9, 5, files)
	waitFor(t, "refused grants", 5*time.Second, func() bool { return cloud.busy.Load() >= 3 })
	time.Sleep(300 * time.Millisecond)
	if n := p.queued(t); n != 45 {
		t.Fatalf("%d queued while the cloud is down, want 45", n)
	}
	held := p.up.Status()

	// The edge restarts during the outage; the new one resumes from the
	// store. The cloud comes back but the object store is down.
	p.stop()
	srv.Stop()
	p = startEdge(t, dir, client, putter, log)
	before := cloud.grants.Load()
	cloud.down.Store(false)
	waitFor(t, "PUTs refused by the stopped store", 5*time.Second, func() bool {
		st := p.up.Status()
		return st.Failures >= 3 && strings.Contains(st.LastError, "s3: put")
	})
	time.Sleep(300 * time.Millisecond)
	if n := p.queued(t); n != 45 {
		t.Fatalf("%d queued while the object store is down, want 45", n)
	}
	down := p.up.Status()

	// The object store is back on the same port: everything arrives.
	srv.Restart(t)
	back := time.Now()
	waitFor(t, "the outbox to empty", 20*time.Second, func() bool { return p.queued(t) == 0 && p.up.Status().Uploaded == 45 })
	recovered := time.Since(back)
	final := p.up.Status()

	// Every snapshot is in the bucket once, byte for byte, and nothing else.
	ctx := context.Background()
	objects, err := srv.Objects(ctx, cloud.bucket)
	if err != nil {
		t.Fatal(err)
	}
	if len(objects) != len(files) {
		t.Errorf("%d objects in the bucket, want %d", len(objects), len(files))
	}
	putter.mu.Lock()
	puts := putter.puts
	putter.mu.Unlock()
	for name, want := range files {
		id, _, _ := domain.ParseSnapshotName(name)
		day := id.Time().UTC()
		key := fmt.Sprintf("uploads/acct1/%s/%04d/%02d/%02d/%s", cloud.device, day.Year(), int(day.Month()), day.Day(), name)
		if puts[key] != 1 {
			t.Errorf("%s: %d accepted PUTs, want 1", key, puts[key])
		}
		out, err := srv.Client().GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(cloud.bucket), Key: aws.String(key)})
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, want) || aws.ToString(out.ContentType) != "image/jpeg" {
			t.Errorf("%s: %d bytes of type %q (%v), want the snapshot's %d", key, len(got), aws.ToString(out.ContentType), err, len(want))
		}
	}
	evs, err := p.store.Events(ctx, "", 100, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		for _, sn := range ev.Snapshots {
			if sn.Uploaded.IsZero() {
				t.Errorf("%s is not marked uploaded", sn.Name)
			}
		}
	}
	logMu.Lock()
	logged := logs.String()
	logMu.Unlock()
	if strings.Contains(logged, cloud.secret) || strings.Contains(logged, "X-Amz-Signature") {
		t.Errorf("the log shows the device secret or a signature:\n%s", logged)
	}
	t.Logf("%d snapshots; cloud down: %d grants refused, held for up to %v; store down: %d failed attempts (last: %s); "+
		"back: outbox empty %v after the store returned; %d grants in all (%d after the cloud returned), %d accepted PUTs; whole test %v",
		len(files), cloud.busy.Load(), held.HeldUntil.Sub(held.LastErrorAt).Round(time.Millisecond), down.Failures, down.LastError,
		recovered.Round(time.Millisecond), cloud.grants.Load(), cloud.grants.Load()-before, len(puts), time.Since(began).Round(time.Millisecond))
	if t.Failed() {
		t.Logf("edge log:\n%s", logged)
	}
	if final.Uploaded != 45 || final.Dropped != 0 || !final.HeldUntil.IsZero() {
		t.Errorf("the restarted uploader's status %+v, want 45 uploads", final)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
