//go:build e2e

package stack_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vigil/scripts/devstack/stack"
)

// TestE2EHostileDevice: an enrolled device sends every file of the
// malformed corpus (testdata/validator/malformed) through valid grants.
// Every one is quarantined with a REJECT item, nothing reaches production
// or the gallery, the validator survives, and the system keeps serving: a
// real photo sent afterwards is verified and shown.
func TestE2EHostileDevice(t *testing.T) {
	s := start(t, stack.Config{NoEdge: true})
	ctx := context.Background()
	in := s.Info()
	dev := enrollDevice(t, s, s.Demo.LicenseKey, "hostile")

	sent := map[string]string{} // key → file
	refused := 0
	bad := malformed(t)
	for _, name := range sortedKeys(bad) {
		key, err := dev.upload(ctx, bad[name], 1)
		if err != nil {
			// The grant itself may refuse (an empty file, too many bytes).
			t.Logf("%s (%d bytes): refused before upload: %v", name, len(bad[name]), err)
			refused++
			continue
		}
		sent[key] = name
	}
	waitFor(t, "the upload bucket emptied", 3*time.Minute, func() (bool, error) {
		up, err := objects(ctx, s, in.UploadBucket, "uploads/")
		return len(up) == 0, err
	})
	rejs, err := rejections(ctx, s, s.Demo.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int{}
	for _, r := range rejs {
		reasons[string(r.Reason)]++
		if _, ok := sent[r.SourceKey]; !ok {
			t.Errorf("a rejection of %s, which was not sent", r.SourceKey)
		}
	}
	if len(rejs) != len(sent) {
		t.Errorf("%d rejections for %d hostile uploads", len(rejs), len(sent))
	}
	quar, err := objects(ctx, s, in.UploadBucket, "quarantine/")
	if err != nil {
		t.Fatal(err)
	}
	for key := range sent {
		if _, ok := quar["quarantine/"+key]; !ok {
			t.Errorf("%s (%s) not in quarantine", key, sent[key])
		}
	}
	prod, err := objects(ctx, s, in.ProductionBucket, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(prod) != 0 {
		t.Errorf("production holds %v", prod)
	}
	api := login(t, in.CloudURL, map[string]string{"email": in.CloudEmail, "password": in.CloudPassword})
	if imgs, err := api.images(""); err != nil || len(imgs) != 0 {
		t.Errorf("the gallery shows %d images (%v)", len(imgs), err)
	}
	var rejected struct {
		Rejected []struct {
			Reason string `json:"reason"`
		} `json:"rejected"`
	}
	if err := api.do(http.MethodGet, "/api/v1/rejected?limit=100", nil, &rejected); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files sent, %d refused at the grant; %d quarantined; reasons %v; the rejected page lists %d", len(sent), refused, len(quar), reasons, len(rejected.Rejected))

	// Still serving.
	if !s.ValidatorRunning() {
		t.Fatal("the validator died")
	}
	photo, err := os.ReadFile(filepath.Join(root, "testdata", "faces", "obama.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dev.upload(ctx, photo, 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a real photo in the gallery afterwards", time.Minute, func() (bool, error) {
		imgs, err := api.images("")
		return len(imgs) == 1 && len(imgs[0].Faces) > 0, err
	})
}
