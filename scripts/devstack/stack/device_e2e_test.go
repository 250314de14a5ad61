//go:build e2e

package stack_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"vigil/adapters/cloudapi"
	"vigil/adapters/s3"
	"vigil/domain"
	"vigil/scripts/devstack/stack"
)

// device is a simulated camera: enrolled through the cloud's device API
// with the edge's own client, uploading through grants with the edge's own
// putter.
type device struct {
	client *cloudapi.Client
	putter *s3.Putter
}

func enrollDevice(t *testing.T, s *stack.Stack, licenseKey, name string) *device {
	t.Helper()
	c := &cloudapi.Client{BaseURL: s.Info().CloudURL, HTTP: &http.Client{Timeout: 30 * time.Second}}
	id, secret, err := c.Enroll(context.Background(), licenseKey, name)
	if err != nil {
		t.Fatalf("enroll %s: %v", name, err)
	}
	c.DeviceID, c.Secret = id, secret
	return &device{client: c, putter: s3.NewPutter(&http.Client{Timeout: time.Minute})}
}

func (d *device) ID() string { return d.client.DeviceID }

// upload sends body as snapshot n of a new event and returns the object's
// key. Like the edge's uploader it tries again, with a new grant, when the
// store refuses or fails a PUT (versitygw's posix backend can answer 409
// ExistingObjectIsDirectory when a PUT races the removal of the last object
// of its directory); a refused grant is final.
func (d *device) upload(ctx context.Context, body []byte, n int) (string, error) {
	var e [10]byte
	_, _ = rand.Read(e[:])
	ev := domain.NewEventID(time.Now(), e)
	var err error
	for attempt := range 4 {
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		var g domain.UploadGrant
		g, err = d.client.Grant(ctx, domain.Upload{Name: domain.SnapshotName(ev, n), Event: ev, Bytes: len(body)})
		if err != nil {
			return "", err
		}
		if err = d.putter.Put(ctx, g, body); err == nil {
			return g.Key, nil
		}
	}
	return "", err
}

// malformed reads every file of testdata/validator/malformed.
func malformed(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	dir := filepath.Join(root, "testdata", "validator", "malformed")
	err := filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no malformed files")
	}
	return files
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
