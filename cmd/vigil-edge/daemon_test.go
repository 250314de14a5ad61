package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/adapters/configfile"
	"vigil/adapters/mjpeg"
	"vigil/app/edge"
)

// lockedBuffer collects a daemon's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestDaemonKeepsGoingWithABrokenOutputAndAStalledCamera: a configuration
// naming a missing GPIO chip keeps capture and the web UI running, with
// the error in the log and the status; an HTTP camera (behind a password)
// that stops sending shows as stalled with 0 fps; the camera's password
// appears in neither the log nor /api/v1/status.
func TestDaemonKeepsGoingWithABrokenOutputAndAStalledCamera(t *testing.T) {
	const camPassword = "camPa55-wordXYZ"
	frames := clipFrames(t)
	release := make(chan struct{})
	cam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != camPassword {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		for _, f := range frames[:5] {
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(f))
			w.Write(f)
			fmt.Fprint(w, "\r\n")
			w.(http.Flusher).Flush()
		}
		select { // then silence, the connection open
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer cam.Close()
	defer close(release)

	data := t.TempDir()
	s := edge.DefaultSettings()
	s.Camera.Source = strings.Replace(cam.URL, "http://", "http://admin:"+camPassword+"@", 1) + "/mjpg"
	s.GPIO = &edge.GPIOSettings{Chip: "gpiochip-vigil-missing", Line: 3, Pulse: time.Second}
	if err := configfile.Save(filepath.Join(data, "config.json"), s); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run", "-data", data, "-listen", addr}, env(nil), &out, &logs) }()

	jar, _ := cookiejar.New(nil)
	a := &apiClient{t: t, d: &edgeDaemon{t: t, addr: addr}, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(a.d.url("/login"))
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the daemon ended: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no web UI: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := setupCodeLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the daemon printed no setup code:\n%s", out.String())
	}
	if code, ans := a.call("POST", "/api/v1/setup", map[string]string{"setup_code": m[1], "username": "admin", "password": uiPassword}); code != 201 {
		t.Fatalf("setup: %d %v", code, ans)
	}
	if code, ans := a.call("POST", "/api/v1/login", map[string]string{"username": "admin", "password": uiPassword}); code != 200 {
		t.Fatalf("login: %d %v", code, ans)
	}
	var st map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, st = a.call("GET", "/api/v1/status", nil)
		if c, _ := st["camera"].(string); strings.Contains(c, "camera stalled") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status does not show the stalled camera: %v\n%s", st, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if st["fps"] != 0.0 {
		t.Errorf("fps %v of a stalled camera, want 0", st["fps"])
	}
	problems := fmt.Sprint(st["problems"])
	if !strings.Contains(problems, "GPIO output off") || !strings.Contains(problems, "gpiochip-vigil-missing") {
		t.Errorf("status problems %q: want the GPIO chip's", problems)
	}
	if !strings.Contains(logs.String(), "GPIO output off") {
		t.Errorf("the log does not tell the GPIO failure:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "msg=analysing") {
		t.Errorf("capture did not run:\n%s", logs.String())
	}
	if src, _ := st["source"].(string); src != mjpeg.RedactURL(s.Camera.Source) || !strings.Contains(src, "xxxxx") {
		t.Errorf("status source %q, want the URL redacted", src)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	body := fmt.Sprint(st)
	for where, text := range map[string]string{"log": logs.String(), "stdout": out.String(), "status": body} {
		if strings.Contains(text, camPassword) {
			t.Errorf("the camera password is in the %s:\n%s", where, text)
		}
	}
}

// clipFrames are the test clip's JPEG frames.
func clipFrames(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/video/tree-wind-hand.mjpeg")
	if err != nil {
		t.Fatal(err)
	}
	rd := mjpeg.NewReader(bytes.NewReader(b), 1<<20)
	var frames [][]byte
	for {
		f, err := rd.Next()
		if err != nil {
			break
		}
		frames = append(frames, bytes.Clone(f))
	}
	if len(frames) < 5 {
		t.Fatalf("%d frames in the clip", len(frames))
	}
	return frames
}
