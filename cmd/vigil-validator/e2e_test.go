package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/dynamodb"
	"vigil/adapters/dynamodb/dynamotest"
	"vigil/adapters/s3/s3test"
	"vigil/domain"
)

// cloud is the test's S3 (versitygw) and DynamoDB (dynalite) with the
// validator's buckets and table and one enrolled device.
type cloud struct {
	s3                 *s3test.Server
	ddb                *dynamotest.Server
	table              *dynamodb.Table
	seed               dynamotest.Seed
	uploads, prod      string
	webhookURL, secret string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randomName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// env is the validator's environment for c (credentials included: the
// versitygw root's; dynalite takes any).
func (c *cloud) env(extra map[string]string) map[string]string {
	m := map[string]string{
		"VIGIL_UPLOAD_BUCKET": c.uploads, "VIGIL_PRODUCTION_BUCKET": c.prod, "VIGIL_TABLE": c.table.Name(),
		"VIGIL_S3_ENDPOINT": c.s3.Endpoint, "VIGIL_DYNAMODB_ENDPOINT": c.ddb.Endpoint, "AWS_REGION": c.s3.Region,
		"AWS_ACCESS_KEY_ID": c.s3.AccessKey, "AWS_SECRET_ACCESS_KEY": c.s3.SecretKey, "VIGIL_LOG_LEVEL": "debug",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// startCloud starts dynalite and versitygw; with webhook, versitygw posts
// its event notifications to a vigil-validator serve started first (it
// sends a test event when it starts).
func startCloud(t *testing.T, webhook bool) *cloud {
	t.Helper()
	c := &cloud{uploads: randomName("vigil-up-"), prod: randomName("vigil-prod-")}
	c.ddb = dynamotest.Start(t)
	c.table = c.ddb.Table(t)
	c.seed = dynamotest.SeedDevice(t, c.table, 3)
	opts := s3test.Options{Addr: freeAddr(t)}
	if webhook {
		// serve must listen before versitygw starts (it posts a test event
		// and exits when that fails), so the credentials and the address
		// of the S3 side are chosen first.
		opts.AccessKey, opts.SecretKey = randomName("vigil"), randomName("")+randomName("")
		c.s3 = &s3test.Server{Endpoint: "http://" + opts.Addr, Region: "us-east-1", AccessKey: opts.AccessKey, SecretKey: opts.SecretKey}
		c.secret = randomName("secret-")
		serveAddr := freeAddr(t)
		c.webhookURL = "http://" + serveAddr + "/events"
		// Only the start-up sweep (before versitygw runs): what follows is
		// the webhook's work.
		startServe(t, c, serveAddr, map[string]string{"VIGIL_SWEEP_INTERVAL": "0"})
		opts.Env = []string{"VGW_EVENT_WEBHOOK_URL=http://vigil:" + c.secret + "@" + serveAddr + "/events"}
	}
	srv := s3test.StartWith(t, opts)
	if c.s3 != nil && srv.Endpoint != c.s3.Endpoint {
		t.Fatalf("versitygw at %s, the validator expects %s", srv.Endpoint, c.s3.Endpoint)
	}
	c.s3 = srv
	for _, b := range []string{c.uploads, c.prod} {
		if _, err := srv.Client().CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// startServe runs `vigil-validator serve` in the test's process until the
// test ends.
func startServe(t *testing.T, c *cloud, addr string, extra map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	getenv := func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		m := c.env(map[string]string{"VIGIL_WEBHOOK_SECRET": c.secret, "VIGIL_LISTEN": addr})
		return m[k]
	}
	go func() { done <- run(ctx, []string{"serve"}, getenv, io.Discard, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var eventN byte

// key is a fresh upload key of device dev of the seeded account.
func (c *cloud) key(dev string, n int) (key, id string) {
	eventN++
	ev := domain.NewEventID(time.Now().Add(-time.Minute), [10]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, eventN})
	day := ev.Time().UTC().Format("2006/01/02")
	name := domain.SnapshotName(ev, n)
	return "uploads/" + c.seed.Account.ID + "/" + dev + "/" + day + "/" + name, strings.TrimSuffix(name, ".jpg")
}

func (c *cloud) put(t *testing.T, key string, body []byte) {
	t.Helper()
	_, err := c.s3.Client().PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(c.uploads), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentType: aws.String("image/jpeg")})
	if err != nil {
		t.Fatal(err)
	}
}

func (c *cloud) objects(t *testing.T, bucket string) map[string]int64 {
	t.Helper()
	objs, err := c.s3.Objects(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func (c *cloud) rejections(t *testing.T) []domain.Rejection {
	t.Helper()
	page, err := c.table.Rejections(context.Background(), c.seed.Account.ID, 50, "")
	if err != nil {
		t.Fatal(err)
	}
	return page.Rejections
}

func (c *cloud) images(t *testing.T) []domain.ImageRecord {
	t.Helper()
	page, err := c.table.Images(context.Background(), c.seed.Account.ID, domain.ImageQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	return page.Images
}

// eventually polls cond for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkAccepted checks production and the table for an accepted upload.
func (c *cloud) checkAccepted(t *testing.T, key, id string, faces int) {
	t.Helper()
	img, thumb := "images/"+strings.TrimPrefix(key, "uploads/"), "thumbs/"+strings.TrimPrefix(key, "uploads/")
	eventually(t, "the clean copy of "+key, func() bool {
		objs := c.objects(t, c.prod)
		_, i := objs[img]
		_, th := objs[thumb]
		return i && th
	})
	eventually(t, "the item of "+key, func() bool {
		_, err := c.table.Image(context.Background(), c.seed.Account.ID, c.seed.Device.ID, id)
		return err == nil
	})
	rec, _ := c.table.Image(context.Background(), c.seed.Account.ID, c.seed.Device.ID, id)
	if rec.Key != img || rec.ThumbKey != thumb || rec.Width == 0 || len(rec.Faces) != faces || rec.SHA256 == "" {
		t.Errorf("item %+v", rec)
	}
	eventually(t, "the upload's removal", func() bool { _, ok := c.objects(t, c.uploads)[key]; return !ok })
}

// TestServeThroughVersitygwWebhook: a PUT to the upload bucket makes
// versitygw post its event to serve; a valid image lands in production
// with its thumbnail and item, an invalid one in quarantine with a REJECT
// item, and an event delivered three times more leaves one object and one
// item.
func TestServeThroughVersitygwWebhook(t *testing.T) {
	c := startCloud(t, true)
	dev := c.seed.Device.ID

	key, id := c.key(dev, 1)
	c.put(t, key, readTestdata(t, "../../testdata/faces/gocv_face_webcam.jpg"))
	c.checkAccepted(t, key, id, 1)

	bad, _ := c.key(dev, 2)
	c.put(t, bad, readTestdata(t, "../../testdata/validator/malformed/fuzzdb/lottapixel.jpg"))
	eventually(t, "the quarantine copy", func() bool { _, ok := c.objects(t, c.uploads)["quarantine/"+bad]; return ok })
	eventually(t, "the REJECT item", func() bool { return len(c.rejections(t)) == 1 })
	if r := c.rejections(t)[0]; r.Reason != domain.TooManyPixels || r.SourceKey != bad || r.QuarantineKey != "quarantine/"+bad ||
		r.DeviceID != dev || r.SHA256 == "" || r.Bytes == 0 {
		t.Errorf("rejection %+v", r)
	}
	if _, ok := c.objects(t, c.uploads)[bad]; ok {
		t.Error("the rejected upload is still in the upload bucket")
	}

	// A key outside the pattern, with characters an encoder would touch:
	// versitygw sends it raw, the validator quarantines it as it is.
	odd := "uploads/" + c.seed.Account.ID + "/odd name+1%.jpg"
	c.put(t, odd, []byte("whatever"))
	eventually(t, "the quarantine copy of an odd key", func() bool { _, ok := c.objects(t, c.uploads)["quarantine/"+odd]; return ok })
	eventually(t, "the REJECT item of an odd key", func() bool { return len(c.rejections(t)) == 2 })
	for _, r := range c.rejections(t) {
		if r.SourceKey == odd && r.Reason != domain.BadKey {
			t.Errorf("odd key: %+v", r)
		}
	}

	// The same event three times more, at once, besides versitygw's own.
	dup, dupID := c.key(dev, 3)
	c.put(t, dup, readTestdata(t, "../../testdata/faces/obama.jpg"))
	event := fmt.Sprintf(`{"Records":[{"eventVersion":"2.2","eventSource":"aws:s3","eventName":"s3:ObjectCreated:Put",`+
		`"s3":{"bucket":{"name":%q},"object":{"key":%q,"size":1}},"glacierEventData":{"restoreEventData":{}}}]}`, c.uploads, dup)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, c.webhookURL, strings.NewReader(event))
			req.Header.Set("X-Vigil-Secret", c.secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("delivery: %s", resp.Status)
			}
		})
	}
	wg.Wait()
	c.checkAccepted(t, dup, dupID, 1)
	time.Sleep(300 * time.Millisecond) // let versitygw's own delivery land too
	if imgs := c.images(t); len(imgs) != 2 {
		t.Errorf("%d image items, want 2 (one per accepted upload): %+v", len(imgs), imgs)
	}
	prod := c.objects(t, c.prod)
	if len(prod) != 4 {
		t.Errorf("production holds %v, want two images and two thumbnails", prod)
	}

	// Without the secret, nothing is handled.
	resp, err := http.Post(c.webhookURL, "application/json", strings.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the secret: %s", resp.Status)
	}
}

// TestServeDeviceStanding: unknown, revoked and unlicensed (suspended,
// then expired) devices' uploads are quarantined with their reasons, read
// from dynalite.
func TestServeDeviceStanding(t *testing.T) {
	c := startCloud(t, true)
	ctx := context.Background()
	now := time.Now().UTC()
	var e [10]byte
	_, _ = rand.Read(e[:])
	unknown := domain.NewDeviceID(now, e)
	_, _ = rand.Read(e[:])
	revoked := domain.Device{AccountID: c.seed.Account.ID, ID: domain.NewDeviceID(now, e), Name: "old", SecretHash: randomName("h"), Enrolled: now}
	if err := c.table.Enroll(ctx, revoked, c.seed.License.KeyHash, now); err != nil {
		t.Fatal(err)
	}
	if err := c.table.Revoke(ctx, revoked.AccountID, revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	photo := readTestdata(t, "../../testdata/faces/obama.jpg")
	k1, _ := c.key(unknown, 1)
	k2, _ := c.key(revoked.ID, 1)
	c.put(t, k1, photo)
	c.put(t, k2, photo)
	eventually(t, "two rejections", func() bool { return len(c.rejections(t)) == 2 })
	if err := c.table.SetLicenseState(ctx, c.seed.Account.ID, domain.LicenseSuspended); err != nil {
		t.Fatal(err)
	}
	k3, _ := c.key(c.seed.Device.ID, 1)
	c.put(t, k3, photo)
	eventually(t, "three rejections", func() bool { return len(c.rejections(t)) == 3 })
	// Expired: active again, renewed (with a new key) to expire two seconds
	// from now (the seat taken stays taken); once that passed, an upload is
	// refused.
	if err := c.table.SetLicenseState(ctx, c.seed.Account.ID, domain.LicenseActive); err != nil {
		t.Fatal(err)
	}
	issued := time.Now().UTC()
	l, err := domain.NewLicense(c.seed.Account.ID, randomName("renewed-key-hash-"), c.seed.License.Seats, issued.Add(2*time.Second), issued)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.table.IssueLicense(ctx, l); err != nil {
		t.Fatal(err)
	}
	if got, err := c.table.License(ctx, c.seed.Account.ID); err != nil || got.Status(issued) != "active" || got.SeatsUsed != 1 {
		t.Fatalf("renewed license %+v %v", got, err)
	}
	time.Sleep(time.Until(issued.Add(2100 * time.Millisecond)))
	if got, _ := c.table.License(ctx, c.seed.Account.ID); got.Status(time.Now()) != "expired" {
		t.Fatalf("license %+v: not expired", got)
	}
	k4, _ := c.key(c.seed.Device.ID, 2)
	c.put(t, k4, photo)
	eventually(t, "four rejections", func() bool { return len(c.rejections(t)) == 4 })
	want := map[string]domain.Reason{k1: domain.UnknownDevice, k2: domain.DeviceRevoked, k3: domain.LicenseInactive, k4: domain.LicenseInactive}
	detail := map[string]string{k3: "suspended", k4: "expired"}
	for _, r := range c.rejections(t) {
		if want[r.SourceKey] != r.Reason {
			t.Errorf("%s: %s, want %s", r.SourceKey, r.Reason, want[r.SourceKey])
		}
		if d := detail[r.SourceKey]; !strings.Contains(r.Detail, d) {
			t.Errorf("%s: detail %q, want it to say %s", r.SourceKey, r.Detail, d)
		}
	}
	if objs := c.objects(t, c.prod); len(objs) != 0 {
		t.Errorf("production: %v", objs)
	}
}

// TestServeSweepsForgottenUploads: uploads made while no validator ran
// (versitygw posts each event once) are handled by serve's sweep at start.
func TestServeSweepsForgottenUploads(t *testing.T) {
	c := startCloud(t, false)
	dev := c.seed.Device.ID
	good, goodID := c.key(dev, 1)
	bad, _ := c.key(dev, 2)
	c.put(t, good, readTestdata(t, "../../testdata/faces/pigo_sample.jpg"))
	c.put(t, bad, readTestdata(t, "../../testdata/validator/malformed/fuzzdb/POC_phpinfo-metadata.jpg"))
	c.secret = randomName("secret-")
	startServe(t, c, freeAddr(t), map[string]string{"VIGIL_SWEEP_MIN_AGE": "0s"})
	c.checkAccepted(t, good, goodID, 1)
	eventually(t, "the rejection", func() bool { return len(c.rejections(t)) == 1 })
	if r := c.rejections(t)[0]; r.SourceKey != bad || r.Reason != domain.EmbeddedCode {
		t.Errorf("rejection %+v", r)
	}
}
