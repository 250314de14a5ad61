package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vigil/adapters/bbolt"
	"vigil/adapters/configfile"
	"vigil/adapters/disk"
	"vigil/app/edge"
	"vigil/domain"
)

func TestEnrollKeepsTheSecretPrivate(t *testing.T) {
	const secret = "s3cr3t-device-key-1234567890"
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			License string `json:"license_key"`
			Name    string `json:"name"`
		}
		if r.URL.Path != "/api/v1/device/enroll" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Name != "porch" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if req.License != "VGL-GOOD" {
			w.WriteHeader(http.StatusPaymentRequired)
			w.Write([]byte(`{"kind":"unlicensed","message":"no free seat"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"device_id": "dev_1", "device_secret": secret, "account_id": "acct_1"})
	}))
	defer cloud.Close()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"enroll", "-cloud", cloud.URL, "-license", "VGL-GOOD", "-name", "porch", "-data", dir}
	if err := run(context.Background(), args, env(nil), &out, &errb); err != nil {
		t.Fatalf("enroll: %v\n%s", err, errb.String())
	}
	if strings.Contains(out.String()+errb.String(), secret) {
		t.Fatal("the device secret was printed")
	}
	fi, err := os.Stat(filepath.Join(dir, "device.secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device.secret: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "device.secret")); strings.TrimSpace(string(b)) != secret {
		t.Fatal("device.secret does not hold the secret")
	}
	s, err := configfile.Load(filepath.Join(dir, "config.json"))
	if err != nil || s.Cloud.URL != cloud.URL || s.Cloud.DeviceID != "dev_1" {
		t.Fatalf("settings after enroll: %+v %v", s.Cloud, err)
	}
	// A license without a free seat is a clear error, and changes nothing.
	dir2 := t.TempDir()
	err = run(context.Background(), []string{"enroll", "-cloud", cloud.URL, "-license", "VGL-FULL", "-name", "porch", "-data", dir2}, env(nil), &out, &errb)
	if domain.KindOf(err) != domain.Unlicensed {
		t.Fatalf("full license: %v (kind %v), want unlicensed", err, domain.KindOf(err))
	}
	if _, err := os.Stat(filepath.Join(dir2, "device.secret")); !os.IsNotExist(err) {
		t.Fatal("a failed enrollment left a secret behind")
	}
	if err := run(context.Background(), []string{"enroll", "-data", dir2}, env(nil), &out, &errb); exitCode(err) != 2 {
		t.Fatalf("enroll without flags: %v", err)
	}
}

// The device secret goes through the atomic, fsyncing writer, from the
// shell (`vigil-edge enroll`) and from the web UI (cloudLink).
func TestSecretWrittenDurably(t *testing.T) {
	const secret = "another-device-secret-0987654321"
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"device_id": "dev_2", "device_secret": secret, "account_id": "acct_1"})
	}))
	defer cloud.Close()
	var written []string
	writeFile = func(path string, b []byte) error {
		written = append(written, path)
		return configfile.WriteAtomic(path, b)
	}
	t.Cleanup(func() { writeFile = configfile.WriteAtomic })

	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"enroll", "-cloud", cloud.URL, "-license", "VGL-GOOD", "-data", dir}, env(nil), &out, &errb); err != nil {
		t.Fatalf("enroll: %v\n%s", err, errb.String())
	}
	dir2 := t.TempDir()
	link := &cloudLink{dataDir: dir2, settings: edge.NewLiveSettings(edge.DefaultSettings(), nil,
		configfile.Saver{Path: filepath.Join(dir2, "config.json")})}
	if _, err := link.Enroll(context.Background(), cloud.URL, "VGL-GOOD", "porch"); err != nil {
		t.Fatalf("enroll from the UI: %v", err)
	}
	want := []string{filepath.Join(dir, secretFile), filepath.Join(dir2, secretFile)}
	if !slices.Equal(written, want) {
		t.Fatalf("written through the atomic writer: %v, want %v", written, want)
	}
	for _, p := range want {
		if b, err := os.ReadFile(p); err != nil || strings.TrimSpace(string(b)) != secret {
			t.Fatalf("%s: %q %v", p, b, err)
		}
	}
}

// While the daemon runs (vigil.db locked), enroll from the shell refuses
// and writes nothing: the daemon would undo it.
func TestEnrollRefusesWhileTheDaemonRuns(t *testing.T) {
	var calls int
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"device_id": "dev_3", "device_secret": "a-secret-of-enough-length", "account_id": "acct_1"})
	}))
	defer cloud.Close()
	dir := t.TempDir()
	files, err := disk.Open(filepath.Join(dir, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := bbolt.Open(filepath.Join(dir, "vigil.db"), files, bbolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"enroll", "-cloud", cloud.URL, "-license", "VGL-GOOD", "-data", dir}
	err = run(context.Background(), args, env(nil), &out, &errb)
	if domain.KindOf(err) != domain.Conflict || !strings.Contains(err.Error(), "Settings → Cloud") {
		t.Fatalf("enroll while running: %v (kind %v)", err, domain.KindOf(err))
	}
	if calls != 0 {
		t.Fatal("the cloud was asked for a seat")
	}
	for _, f := range []string{secretFile, "config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Fatalf("%s written: %v", f, err)
		}
	}
	store.Close()
	if err := run(context.Background(), args, env(nil), &out, &errb); err != nil {
		t.Fatalf("enroll once stopped: %v\n%s", err, errb.String())
	}
}
