package validator_test

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/adapters/inmem"
	"vigil/app/validator"
	"vigil/domain"
	"vigil/vision"
)

const (
	acct = "acct_01JDZ2F7QH4M8RS0XK3V9TB6WA"
	dev  = "dev_01JDZ2F7QH4M8RS0XK3V9TB6WB"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// env is a pipeline over in-memory twins with one enrolled device.
type env struct {
	uploads, prod *inmem.Bucket
	dir           *inmem.Directory
	p             *validator.Pipeline
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{uploads: &inmem.Bucket{}, prod: &inmem.Bucket{}, dir: &inmem.Directory{}}
	e.dir.SetLicense(domain.License{AccountID: acct, Seats: 2, SeatsUsed: 1, State: domain.LicenseActive, Expires: now.AddDate(1, 0, 0)})
	e.dir.SetDevice(domain.Device{AccountID: acct, ID: dev, Name: "porch"})
	fd, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	e.p, err = validator.NewPipeline(validator.Stores{
		Uploads: e.uploads, Quarantine: &inmem.Quarantine{From: e.uploads, To: e.uploads},
		Production: e.prod, Directory: e.dir, Index: e.dir,
	}, fd, domain.VerifyLimits{}, func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func uploadKey(n int) string {
	id := domain.NewEventID(now.Add(-time.Minute), [10]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, byte(n)})
	return "uploads/" + acct + "/" + dev + "/2026/11/28/" + domain.SnapshotName(id, n)
}

func file(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAcceptedToProduction(t *testing.T) {
	e := newEnv(t)
	key := uploadKey(1)
	data := file(t, "../../testdata/faces/gocv_face_webcam.jpg")
	e.uploads.Put(key, data)
	o, err := e.p.Handle(context.Background(), key)
	if err != nil || o.Verdict != validator.Accepted {
		t.Fatalf("outcome %+v, %v", o, err)
	}
	img, typ, ok := e.prod.Object(strings.Replace(key, "uploads/", "images/", 1))
	if !ok || typ != "image/jpeg" {
		t.Fatalf("no clean copy in production: %v", e.prod.Keys())
	}
	thumb, _, ok := e.prod.Object(strings.Replace(key, "uploads/", "thumbs/", 1))
	if !ok {
		t.Fatalf("no thumbnail: %v", e.prod.Keys())
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || cfg.Width > validator.ThumbWidth || cfg.Width == 0 {
		t.Fatalf("thumbnail %+v, %v", cfg, err)
	}
	if bytes.Equal(img, data) {
		t.Error("production holds the uploaded bytes, not a clean copy")
	}
	if keys := e.uploads.Keys(); len(keys) != 0 {
		t.Errorf("the upload was not deleted: %v", keys)
	}
	imgs := e.dir.Images()
	if len(imgs) != 1 {
		t.Fatalf("%d image items", len(imgs))
	}
	r := imgs[0]
	if r.AccountID != acct || r.DeviceID != dev || r.Width != 640 || r.Height != 480 || len(r.Faces) != 1 ||
		r.Key != o.ImageKey || r.ThumbKey != o.ThumbKey || r.SourceKey != key || r.Bytes != int64(len(img)) ||
		len(r.SHA256) != 64 || !r.VerifiedAt.Equal(now) || r.TakenAt.IsZero() || r.ID+".jpg" != key[strings.LastIndex(key, "/")+1:] {
		t.Errorf("item %+v", r)
	}
	if f := r.Faces[0]; f.Box.X0 <= 0 || f.Box.X1 >= 1 || f.Box.X0 >= f.Box.X1 || f.Score <= 0 {
		t.Errorf("face %+v is not normalised", f)
	}
}

func TestRejectedToQuarantine(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(e *env)
		key    string
		data   []byte
		reason domain.Reason
	}{
		{name: "not an image", key: uploadKey(1), data: []byte("<?php system($_GET['c']); ?>"), reason: domain.NotAnImage},
		{name: "truncated", key: uploadKey(2), data: file(t, "../../testdata/validator/malformed/go/video-001.progressive.truncated.jpeg"), reason: domain.Corrupt},
		{name: "too large", key: uploadKey(3), data: make([]byte, 5<<20+1), reason: domain.TooLarge},
		{name: "empty", key: uploadKey(8), data: []byte{}, reason: domain.EmptyFile},
		{name: "bad key", key: "uploads/" + acct + "/" + dev + "/2026/13/28/x.jpg", data: file(t, "../../testdata/faces/obama.jpg"), reason: domain.BadKey},
		{name: "unknown device", key: strings.Replace(uploadKey(4), dev, "dev_01JDZ2F7QH4M8RS0XK3V9TB6WC", 1), data: file(t, "../../testdata/faces/obama.jpg"), reason: domain.UnknownDevice},
		{name: "unknown account", key: strings.Replace(uploadKey(4), acct, "acct_01JDZ2F7QH4M8RS0XK3V9TB6WC", 1), data: file(t, "../../testdata/faces/obama.jpg"), reason: domain.UnknownDevice},
		{name: "revoked", key: uploadKey(5), data: file(t, "../../testdata/faces/obama.jpg"), reason: domain.DeviceRevoked,
			setup: func(e *env) {
				e.dir.SetDevice(domain.Device{AccountID: acct, ID: dev, Revoked: true, RevokedAt: now.Add(-time.Hour)})
			}},
		{name: "expired", key: uploadKey(6), data: file(t, "../../testdata/faces/obama.jpg"), reason: domain.LicenseInactive,
			setup: func(e *env) {
				e.dir.SetLicense(domain.License{AccountID: acct, Seats: 1, State: domain.LicenseActive, Expires: now.Add(-time.Second)})
			}},
		{name: "suspended", key: uploadKey(7), data: file(t, "../../testdata/faces/obama.jpg"), reason: domain.LicenseInactive,
			setup: func(e *env) {
				e.dir.SetLicense(domain.License{AccountID: acct, Seats: 1, State: domain.LicenseSuspended, Expires: now.AddDate(1, 0, 0)})
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if c.setup != nil {
				c.setup(e)
			}
			e.uploads.Put(c.key, c.data)
			o, err := e.p.Handle(context.Background(), c.key)
			if err != nil || o.Verdict != validator.Rejected || o.Reason != c.reason {
				t.Fatalf("outcome %+v, %v; want rejected for %s", o, err, c.reason)
			}
			q, _, ok := e.uploads.Object("quarantine/" + c.key)
			if !ok || !bytes.Equal(q, c.data) || o.QuarantineKey != "quarantine/"+c.key {
				t.Errorf("quarantine copy: found %v, keys %v", ok, e.uploads.Keys())
			}
			if _, _, ok := e.uploads.Object(c.key); ok {
				t.Error("the upload was left in place")
			}
			if keys := e.prod.Keys(); len(keys) != 0 {
				t.Errorf("production got %v", keys)
			}
			rs := e.dir.Rejections()
			if len(rs) != 1 || rs[0].Reason != c.reason || rs[0].SourceKey != c.key || rs[0].QuarantineKey != o.QuarantineKey ||
				rs[0].ID == "" || rs[0].Detail == "" || !rs[0].RejectedAt.Equal(now) || (rs[0].Bytes != int64(len(c.data)) && c.reason != domain.BadKey) {
				t.Errorf("rejections %+v", rs)
			}
		})
	}
}

// Every hostile sample is rejected through the whole pipeline, none panics.
func TestMalformedThroughPipeline(t *testing.T) {
	e := newEnv(t)
	n := 0
	for _, dir := range []string{"fuzzdb", "go", "pillow", "pngsuite"} {
		ents, err := os.ReadDir("../../testdata/validator/malformed/" + dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, ent := range ents {
			name := ent.Name()
			if strings.HasPrefix(name, "LICENSE") || strings.HasPrefix(name, "README") || strings.HasSuffix(name, ".md") {
				continue
			}
			n++
			key := uploadKey(n)
			e.uploads.Put(key, file(t, "../../testdata/validator/malformed/"+dir+"/"+name))
			o, err := e.p.Handle(context.Background(), key)
			if err != nil || o.Verdict != validator.Rejected || o.Reason == "" {
				t.Errorf("%s/%s: %+v, %v", dir, name, o, err)
			}
		}
	}
	if got := len(e.dir.Rejections()); got != n || n < 20 {
		t.Errorf("%d rejections for %d files", got, n)
	}
}

// The same event delivered three times, one after the other or at once,
// leaves one clean copy, one thumbnail and one item.
func TestDuplicateEvents(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		e := newEnv(t)
		key := uploadKey(1)
		e.uploads.Put(key, file(t, "../../testdata/faces/obama.jpg"))
		verdicts := make([]validator.Verdict, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			run := func() {
				o, err := e.p.Handle(context.Background(), key)
				if err != nil {
					t.Errorf("delivery %d: %v", i, err)
				}
				verdicts[i] = o.Verdict
			}
			if concurrent {
				wg.Go(run)
			} else {
				run()
			}
		}
		wg.Wait()
		accepted := 0
		for _, v := range verdicts {
			if v == validator.Accepted {
				accepted++
			} else if v != validator.Duplicate && v != validator.Gone {
				t.Errorf("verdict %s", v)
			}
		}
		if accepted != 1 || len(e.dir.Images()) != 1 || len(e.prod.Keys()) != 2 {
			t.Errorf("concurrent %v: verdicts %v, %d items, production %v", concurrent, verdicts, len(e.dir.Images()), e.prod.Keys())
		}
		for k, n := range e.prod.Writes() {
			if n != 1 {
				t.Errorf("%s written %d times", k, n)
			}
		}
	}
}

// A store that is down is an error (the event is retried), never a
// verdict; the retry then succeeds.
func TestTransientErrorsRetried(t *testing.T) {
	down := domain.E("s3", domain.Unavailable, errors.New("connection refused"))
	for _, op := range []string{"size", "read", "put", "delete", "standing", "put_image", "copy", "put_rejection"} {
		t.Run(op, func(t *testing.T) {
			e := newEnv(t)
			var failing sync.Mutex
			fail := true
			hook := func(o string) error {
				failing.Lock()
				defer failing.Unlock()
				if fail && o == op {
					return down
				}
				return nil
			}
			e.uploads.Fail = func(o, _ string) error { return hook(o) }
			e.prod.Fail = func(o, _ string) error { return hook(o) }
			e.dir.Fail = hook
			key := uploadKey(1)
			data := file(t, "../../testdata/faces/obama.jpg")
			want := validator.Accepted
			if op == "copy" || op == "put_rejection" {
				data, want = []byte("not an image"), validator.Rejected
			}
			e.uploads.Put(key, data)
			if o, err := e.p.Handle(context.Background(), key); err == nil {
				t.Fatalf("no error while %s is down: %+v", op, o)
			}
			if len(e.dir.Rejections()) != 0 && want == validator.Accepted {
				t.Fatalf("quarantined for an outage: %+v", e.dir.Rejections())
			}
			failing.Lock()
			fail = false
			failing.Unlock()
			o, err := e.p.Handle(context.Background(), key)
			if err != nil || (o.Verdict != want && o.Verdict != validator.Duplicate) {
				t.Fatalf("retry: %+v, %v", o, err)
			}
			if want == validator.Accepted && (len(e.dir.Images()) != 1 || len(e.prod.Keys()) != 2) {
				t.Errorf("after the retry: %d items, production %v", len(e.dir.Images()), e.prod.Keys())
			}
			if want == validator.Rejected && len(e.dir.Rejections()) != 1 {
				t.Errorf("after the retry: %d rejections", len(e.dir.Rejections()))
			}
			if _, _, ok := e.uploads.Object(key); ok {
				t.Error("the upload is still there")
			}
		})
	}
}

func TestIgnoredAndGone(t *testing.T) {
	e := newEnv(t)
	for _, key := range []string{"quarantine/" + uploadKey(1), "images/x.jpg", ""} {
		if o, err := e.p.Handle(context.Background(), key); err != nil || o.Verdict != validator.Ignored {
			t.Errorf("%q: %+v, %v", key, o, err)
		}
	}
	if o, err := e.p.Handle(context.Background(), uploadKey(9)); err != nil || o.Verdict != validator.Gone {
		t.Errorf("missing upload: %+v, %v", o, err)
	}
	if len(e.uploads.Keys())+len(e.prod.Keys())+len(e.dir.Rejections()) != 0 {
		t.Error("something was written")
	}
}

func TestParseUploadKey(t *testing.T) {
	good := uploadKey(3)
	k, err := validator.ParseUploadKey(good)
	if err != nil || k.AccountID != acct || k.DeviceID != dev || k.Day != "2026/11/28" || k.N != 3 ||
		k.ImageKey() != "images/"+strings.TrimPrefix(good, "uploads/") || k.ThumbKey() != "thumbs/"+strings.TrimPrefix(good, "uploads/") {
		t.Fatalf("%+v, %v", k, err)
	}
	name := good[strings.LastIndex(good, "/")+1:]
	for _, bad := range []string{
		"",
		"uploads/",
		strings.TrimPrefix(good, "uploads/"),
		"Uploads/" + strings.TrimPrefix(good, "uploads/"),
		"uploads/acct_x/" + dev + "/2026/11/28/" + name,
		"uploads/" + acct + "/dev_x/2026/11/28/" + name,
		"uploads/" + acct + "/" + dev + "/2026/02/30/" + name,
		"uploads/" + acct + "/" + dev + "/26/11/28/" + name,
		"uploads/" + acct + "/" + dev + "/2026/11/28/../" + name,
		"uploads/" + acct + "/" + dev + "/2026/11/28/" + strings.Replace(name, ".jpg", ".png", 1),
		"uploads/" + acct + "/" + dev + "/2026/11/28/" + strings.Replace(name, "-3", "-03", 1),
		"uploads/" + acct + "/" + dev + "/2026/11/28/x/" + name,
		good + "\x00",
	} {
		if _, err := validator.ParseUploadKey(bad); err == nil || domain.KindOf(err) != domain.Invalid {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestNewPipelineNeedsStores(t *testing.T) {
	_, err := validator.NewPipeline(validator.Stores{Uploads: &inmem.Bucket{}}, nil, domain.VerifyLimits{}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "quarantine") || !strings.Contains(err.Error(), "image index") {
		t.Errorf("missing stores: %v", err)
	}
	b, d := &inmem.Bucket{}, &inmem.Directory{}
	_, err = validator.NewPipeline(validator.Stores{Uploads: b, Quarantine: &inmem.Quarantine{From: b, To: b}, Production: b, Directory: d, Index: d},
		nil, domain.VerifyLimits{MaxBytes: -1}, nil, nil)
	if err == nil {
		t.Error("negative limit accepted")
	}
}
