package s3_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/inmem"
	"vigil/adapters/s3"
	"vigil/adapters/s3/s3test"
	"vigil/domain"
	"vigil/ports"
)

// store is a bucket as the validator's ports see it, with a way to place
// an upload (a device's PUT) and to look at an object.
type store interface {
	ports.Uploads
	ports.Production
	ports.UploadLister
}

// contract runs the same cases against a bucket implementation and its
// quarantine: the S3 adapter and its in-memory twin must agree.
func contract(t *testing.T, b store, q ports.Quarantine, upload func(key string, body []byte), get func(key string) ([]byte, bool)) {
	ctx := context.Background()
	const k = "uploads/a/b.jpg"
	body := bytes.Repeat([]byte("vigil"), 100)
	upload(k, body)
	if n, err := b.Size(ctx, k); err != nil || n != 500 {
		t.Errorf("Size: %d, %v", n, err)
	}
	if got, err := b.Read(ctx, k, 99); err != nil || !bytes.Equal(got, body[:100]) {
		t.Errorf("Read 99: %d bytes, %v", len(got), err)
	}
	if got, err := b.Read(ctx, k, 1000); err != nil || !bytes.Equal(got, body) {
		t.Errorf("Read 1000: %d bytes, %v", len(got), err)
	}
	upload("uploads/empty", nil)
	if n, err := b.Size(ctx, "uploads/empty"); err != nil || n != 0 {
		t.Errorf("Size of an empty object: %d, %v", n, err)
	}
	if got, err := b.Read(ctx, "uploads/empty", 10); err != nil || len(got) != 0 {
		t.Errorf("Read of an empty object: %d bytes, %v", len(got), err)
	}
	if _, err := b.Size(ctx, "uploads/none"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Size of nothing: %v", err)
	}
	if _, err := b.Read(ctx, "uploads/none", 10); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Read of nothing: %v", err)
	}
	qk, err := q.Quarantine(ctx, k)
	if err != nil || qk != "quarantine/"+k {
		t.Fatalf("Quarantine: %q, %v", qk, err)
	}
	if got, ok := get(qk); !ok || !bytes.Equal(got, body) {
		t.Errorf("quarantined copy: %d bytes, %v", len(got), ok)
	}
	if _, err := q.Quarantine(ctx, "uploads/none"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Quarantine of nothing: %v", err)
	}
	if err := b.PutNew(ctx, "images/x.jpg", "image/jpeg", body); err != nil {
		t.Fatalf("PutNew: %v", err)
	}
	if err := b.PutNew(ctx, "images/x.jpg", "image/jpeg", []byte("other")); domain.KindOf(err) != domain.Conflict {
		t.Errorf("second PutNew: %v", err)
	}
	if got, _ := get("images/x.jpg"); !bytes.Equal(got, body) {
		t.Error("the second PutNew replaced the object")
	}
	var listed []string
	err = b.ListUploads(ctx, "uploads/", func(key string, mod time.Time) error {
		if mod.IsZero() || time.Since(mod) > time.Hour {
			t.Errorf("%s modified %v", key, mod)
		}
		listed = append(listed, key)
		return nil
	})
	if err != nil || !slices.Equal(listed, []string{k, "uploads/empty"}) {
		t.Errorf("ListUploads: %q, %v", listed, err)
	}
	stop := errors.New("stop")
	if err := b.ListUploads(ctx, "uploads/", func(string, time.Time) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ListUploads stopped: %v", err)
	}
	for range 2 {
		if err := b.Delete(ctx, k); err != nil {
			t.Errorf("Delete: %v", err)
		}
	}
	if _, ok := get(k); ok {
		t.Error("Delete left the object")
	}
}

func TestContractInmem(t *testing.T) {
	b := &inmem.Bucket{}
	contract(t, b, &inmem.Quarantine{From: b, To: b}, b.Put, func(k string) ([]byte, bool) {
		o, _, ok := b.Object(k)
		return o, ok
	})
}

func TestContractVersitygw(t *testing.T) {
	srv := s3test.Start(t)
	name := srv.Bucket(t)
	c := srv.Client()
	contract(t, s3.NewBucket(c, name), s3.NewQuarantine(c, name, name, "quarantine/"),
		func(k string, body []byte) {
			if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(k), Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
		},
		func(k string) ([]byte, bool) {
			o, _, ok := object(t, srv, name, k)
			return o, ok
		})
}
