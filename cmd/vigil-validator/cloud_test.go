package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"vigil/adapters/inmem"
	"vigil/adapters/s3event"
	"vigil/app/validator"
	"vigil/domain"
	"vigil/vision"
)

// The record handler trusts the key, not the record's bucket name (which
// versitygw was seen to garble): an upload announced under another bucket
// is still verified from the upload bucket, a removal is ignored, and a key
// that is not in the upload bucket is simply gone.
func TestRecordHandlerUsesTheUploadBucket(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	const acct, dev = "acct_01JDZ2F7QH4M8RS0XK3V9TB6WX", "dev_01JDZ2F7QH4M8RS0XK3V9TB6WY"
	uploads, prod, dir := &inmem.Bucket{}, &inmem.Bucket{}, &inmem.Directory{}
	dir.SetLicense(domain.License{AccountID: acct, Seats: 1, SeatsUsed: 1, State: domain.LicenseActive, Expires: now.AddDate(1, 0, 0)})
	dir.SetDevice(domain.Device{AccountID: acct, ID: dev, Name: "porch"})
	fd, err := vision.NewFaceDetector(vision.FaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := validator.NewPipeline(validator.Stores{Uploads: uploads, Quarantine: &inmem.Quarantine{From: uploads, To: uploads},
		Production: prod, Directory: dir, Index: dir}, fd, domain.VerifyLimits{}, func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	h := recordHandler(cloudConfig{UploadBucket: "vigil-up"}, p, slog.New(slog.NewTextHandler(&logged, nil)))

	data, err := os.ReadFile("../../testdata/faces/gocv_face_webcam.jpg")
	if err != nil {
		t.Fatal(err)
	}
	ev := domain.NewEventID(now.Add(-time.Minute), [10]byte{7})
	key := "uploads/" + acct + "/" + dev + "/2026/11/28/" + domain.SnapshotName(ev, 1)
	uploads.Put(key, data)
	ctx := context.Background()
	if err := h(ctx, s3event.Record{Event: "ObjectRemoved:Delete", Bucket: "vigil-up", Key: key}); err != nil || len(dir.Images()) != 0 {
		t.Fatalf("a removal was handled: %v, %d images", err, len(dir.Images()))
	}
	if err := h(ctx, s3event.Record{Event: "ObjectCreated:Put", Bucket: "vigil-pr", Key: key}); err != nil {
		t.Fatal(err)
	}
	if n := len(dir.Images()); n != 1 || len(uploads.Keys()) != 0 {
		t.Fatalf("%d images, uploads left %v: the upload announced under another bucket name was not verified", n, uploads.Keys())
	}
	if !strings.Contains(logged.String(), "event names another bucket") {
		t.Errorf("no warning logged:\n%s", logged.String())
	}
	// Again, and an object of the production bucket: gone and ignored, no error.
	for _, k := range []string{key, "images/" + acct + "/" + dev + "/2026/11/28/" + domain.SnapshotName(ev, 1)} {
		if err := h(ctx, s3event.Record{Event: "ObjectCreated:Put", Bucket: "vigil-up", Key: k}); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	if n := len(dir.Images()); n != 1 || len(prod.Keys()) != 2 {
		t.Errorf("%d images, production %v: want one image and its thumbnail", n, prod.Keys())
	}
}
