package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/adapters/configfile"
)

// apiClient is a script using the JSON API of a running daemon.
type apiClient struct {
	t    *testing.T
	d    *edgeDaemon
	http *http.Client
	csrf string
}

func (a *apiClient) call(method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.d.url(path), r)
	req.Header.Set("Content-Type", "application/json")
	if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestAPIEnrollAndUnlink enrolls the running daemon at a cloud (a fake
// vigil-cloud device API) through the JSON API, as a script would: the
// secret lands in its 0600 file and never in a log or an answer, uploads
// start without a restart, and unlink undoes it.
func TestAPIEnrollAndUnlink(t *testing.T) {
	const secret = "s3cr3t-device-key-abcdefghij"
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			License string `json:"license_key"`
			Name    string `json:"name"`
		}
		if r.URL.Path != "/api/v1/device/enroll" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Name != "porch" {
			http.Error(w, "not here", http.StatusNotFound) // grants: the uploader retries later
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
	data := t.TempDir()
	d := startDaemon(t, data)
	jar, _ := cookiejar.New(nil)
	a := &apiClient{t: t, d: d, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}

	if code, _ := a.call("GET", "/api/v1/status", nil); code != 401 {
		t.Fatalf("status without a session: %d", code)
	}
	// The first person on the LAN cannot claim the camera: the setup needs
	// the code that `vigil-edge admin setup-code` prints on the Pi.
	for _, bad := range []string{"", "ABCDE-FGHJK"} {
		code, ans := a.call("POST", "/api/v1/setup", map[string]string{"setup_code": bad, "username": "admin", "password": uiPassword})
		if msg, _ := ans["error"].(string); code != 403 || !strings.Contains(msg, "setup code") {
			t.Fatalf("setup with code %q: %d %v, want 403", bad, code, ans)
		}
	}
	out, err := exec.Command(d.bin, "admin", "setup-code", "-data", data).Output()
	if err != nil {
		t.Fatalf("admin setup-code: %v", err)
	}
	setupCode := strings.TrimSpace(string(out))
	if !strings.Contains(d.log.String(), "enter setup code "+setupCode) {
		t.Fatalf("admin setup-code printed %q, not the code the daemon printed:\n%s", setupCode, d.log)
	}
	code, ans := a.call("POST", "/api/v1/setup", map[string]string{"setup_code": setupCode, "username": "admin", "password": uiPassword})
	if code != 201 {
		t.Fatalf("setup: %d %v", code, ans)
	}
	if _, err := os.Stat(filepath.Join(data, setupCodeFile)); !os.IsNotExist(err) {
		t.Fatalf("the setup code outlived the setup (%v)", err)
	}
	if err := exec.Command(d.bin, "admin", "setup-code", "-data", data).Run(); err == nil {
		t.Fatal("admin setup-code printed a code after the setup")
	}
	code, ans = a.call("POST", "/api/v1/login", map[string]string{"username": "admin", "password": uiPassword})
	if code != 200 || ans["csrf"] == "" {
		t.Fatalf("login: %d %v", code, ans)
	}
	a.csrf, _ = ans["csrf"].(string)

	code, ans = a.call("POST", "/api/v1/cloud/enroll", map[string]string{"url": cloud.URL, "license": "VGL-FULL", "name": "porch"})
	if msg, _ := ans["error"].(string); code != 402 || !strings.Contains(msg, "enroll") {
		t.Fatalf("enroll without a seat: %d %v", code, ans)
	}
	if _, err := os.Stat(filepath.Join(data, secretFile)); !os.IsNotExist(err) {
		t.Fatalf("a refused enrollment left a secret (%v)", err)
	}
	code, ans = a.call("POST", "/api/v1/cloud/enroll", map[string]string{"url": cloud.URL, "license": "VGL-GOOD", "name": "porch"})
	if code != 200 || ans["device_id"] != "dev_1" {
		t.Fatalf("enroll: %d %v", code, ans)
	}
	fi, err := os.Stat(filepath.Join(data, secretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("device secret file: %v %v", fi, err)
	}
	s, err := configfile.Load(filepath.Join(data, "config.json"))
	if err != nil || s.Cloud.DeviceID != "dev_1" || s.Cloud.URL != cloud.URL {
		t.Fatalf("settings after enroll: %+v %v", s.Cloud, err)
	}
	// Uploads start without a restart.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, st := a.call("GET", "/api/v1/status", nil)
		if st["uploads"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("uploads not on after enrollment: %v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, ans = a.call("GET", "/api/v1/settings", nil)
	if code != 200 || strings.Contains(d.log.String(), secret) {
		t.Fatalf("settings %d, or the secret is in the log", code)
	}
	if b, _ := json.Marshal(ans); bytes.Contains(b, []byte(secret)) {
		t.Fatal("the settings answer holds the device secret")
	}
	if code, _ := a.call("POST", "/api/v1/cloud/unlink", nil); code != 204 {
		t.Fatalf("unlink: %d", code)
	}
	if _, err := os.Stat(filepath.Join(data, secretFile)); !os.IsNotExist(err) {
		t.Fatalf("unlink left the secret (%v)", err)
	}
	if s, _ := configfile.Load(filepath.Join(data, "config.json")); s.Cloud.URL != "" || s.Cloud.DeviceID != "" {
		t.Fatalf("settings after unlink: %+v", s.Cloud)
	}
	// Events through the API, newest first: wait for one that ended.
	deadline = time.Now().Add(30 * time.Second)
	var ev map[string]any
	for {
		code, ans = a.call("GET", "/api/v1/events?limit=5", nil)
		evs, _ := ans["events"].([]any)
		for _, e := range evs {
			if m := e.(map[string]any); m["end"] != nil {
				ev = m
				break
			}
		}
		if ev != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event through the API: %d %v", code, ans)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Download an event (zip of its record and snapshots), then delete it.
	id := ev["id"].(string)
	resp, err := a.http.Get(d.url("/events/" + id + "/download"))
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %v (%s)", err, resp.Header.Get("Content-Type"))
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	snaps := ev["snapshots"].([]any)
	first := snaps[0].(map[string]any)["name"].(string)
	if !names[id+"/event.json"] || !names[id+"/"+first] {
		t.Fatalf("zip holds %v", names)
	}
	if code, _ := a.call("DELETE", "/api/v1/events/"+id, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := a.call("GET", "/api/v1/events/"+id, nil); code != 404 {
		t.Fatalf("event after delete: %d", code)
	}
	if code, _ := a.call("GET", "/snapshots/"+first, nil); code != 404 {
		t.Fatalf("snapshot after delete: %d", code)
	}
	if code, _ := a.call("POST", "/api/v1/logout", nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := a.call("GET", "/api/v1/events?limit=1", nil); code != 401 {
		t.Fatalf("events after logout: %d", code)
	}
}
