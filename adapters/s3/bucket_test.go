package s3_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/s3"
	"vigil/adapters/s3/s3test"
	"vigil/domain"
)

func TestBucketAgainstVersitygw(t *testing.T) {
	srv := s3test.Start(t)
	name := srv.Bucket(t)
	b := s3.NewBucket(srv.Client(), name)
	body := jpegBytes(3000)

	if err := b.PutNew(ctx, key, "image/jpeg", body); err != nil {
		t.Fatalf("PutNew: %v", err)
	}
	got, typ, ok := object(t, srv, name, key)
	if !ok || !bytes.Equal(got, body) || typ != "image/jpeg" {
		t.Fatalf("stored %d bytes of %q", len(got), typ)
	}
	// If-None-Match: the store refuses to replace it.
	if err := b.PutNew(ctx, key, "image/jpeg", jpegBytes(10)); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("second PutNew: %v (kind %v), want a conflict", err, domain.KindOf(err))
	}
	if got, _, _ := object(t, srv, name, key); !bytes.Equal(got, body) {
		t.Fatal("the second PutNew replaced the object")
	}

	if n, err := b.Size(ctx, key); err != nil || n != 3000 {
		t.Fatalf("Size: %d, %v", n, err)
	}
	if _, err := b.Size(ctx, key+"x"); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Size of a missing object: %v", err)
	}
	for _, c := range []struct{ limit, want int64 }{{5000, 3000}, {3000, 3000}, {2999, 3000}, {100, 101}, {0, 1}} {
		data, err := b.Read(ctx, key, c.limit)
		if err != nil || int64(len(data)) != c.want || !bytes.Equal(data, body[:c.want]) {
			t.Errorf("Read limit %d: %d bytes, %v; want %d", c.limit, len(data), err, c.want)
		}
	}
	if _, err := b.Read(ctx, key+"x", 10); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Read of a missing object: %v", err)
	}

	// Quarantine: a server-side copy, even of a key that needs escaping.
	odd := "uploads/odd key+with%chars/ä.jpg"
	if _, err := srv.Client().PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(odd), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	qb := srv.Bucket(t)
	q := s3.NewQuarantine(srv.Client(), name, qb, "quarantine/")
	for _, k := range []string{key, odd} {
		qk, err := q.Quarantine(ctx, k)
		if err != nil || qk != "quarantine/"+k {
			t.Fatalf("Quarantine %q: %q, %v", k, qk, err)
		}
		if got, _, ok := object(t, srv, qb, qk); !ok || !bytes.Equal(got, body) {
			t.Fatalf("quarantined copy of %q: %d bytes", k, len(got))
		}
	}
	if _, err := q.Quarantine(ctx, key+"gone"); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Quarantine of a missing object: %v", err)
	}
	long := "uploads/" + strings.Repeat(strings.Repeat("x", 200)+"/", 5) + "y.jpg" // 1018 bytes
	if _, err := srv.Client().PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(name), Key: aws.String(long), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if qk, err := q.Quarantine(ctx, long); err != nil || !strings.HasPrefix(qk, "quarantine/long/") {
		t.Fatalf("Quarantine of a long key: %q, %v", qk, err)
	}

	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := object(t, srv, name, key); ok {
		t.Fatal("Delete left the object")
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing object: %v", err)
	}
}

// A store that is down gives Unavailable errors: the validator retries.
func TestBucketUnavailable(t *testing.T) {
	srv := s3test.Start(t)
	name := srv.Bucket(t)
	b := s3.NewBucket(srv.Client(), name)
	srv.Stop()
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := b.Size(c, key); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Size: %v", err)
	}
	if err := b.PutNew(c, key, "image/jpeg", jpegBytes(10)); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("PutNew: %v", err)
	}
	if _, err := s3.NewQuarantine(srv.Client(), name, name, "q/").Quarantine(c, key); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Quarantine: %v", err)
	}
}
