package mjpeg

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// camera serves the clip's frames as multipart/x-mixed-replace; every
// connection sends at most perConn frames, then hangs up (a flaky camera).
func camera(t *testing.T, frames [][]byte, perConn int, fail *atomic.Int32) *httptest.Server {
	var next atomic.Int64
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() > 0 {
			fail.Add(-1)
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		for i := 0; i < perConn; i++ {
			f := frames[int(next.Add(1)-1)%len(frames)]
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(f))
			w.Write(f)
			fmt.Fprint(w, "\r\n")
			w.(http.Flusher).Flush()
		}
	}))
}

func TestHTTPStreamReconnects(t *testing.T) {
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, data)
	var fail atomic.Int32
	fail.Store(2) // the first two connections are refused
	srv := camera(t, frames, 10, &fail)
	defer srv.Close()
	s, err := OpenHTTP(srv.URL, HTTPOptions{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 35; i++ {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Width != 320 || f.Height != 240 || string(s.jpeg) != string(frames[i%len(frames)]) {
			t.Fatalf("frame %d: %dx%d or bytes differ from the camera's", i, f.Width, f.Height)
		}
	}
	if s.Reconnects < 3 {
		t.Errorf("%d reconnects, want at least 3 (10 frames per connection)", s.Reconnects)
	}
	cancel()
	if _, err := s.Next(ctx); err == nil {
		t.Error("Next after cancel succeeded")
	}
}

func TestHTTPPlainConcatenatedStream(t *testing.T) {
	data, _ := os.ReadFile(clip)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	}))
	defer srv.Close()
	s, _ := OpenHTTP(srv.URL, HTTPOptions{MinBackoff: time.Millisecond})
	defer s.Close()
	for i := 0; i < 70; i++ { // past the end of one response: it reconnects
		if _, err := s.Next(context.Background()); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

// TestHTTPStalledStreamReconnects: a camera that stops sending in the
// middle of a connection (it keeps the connection open and says nothing)
// is dropped and reconnected within the stall timeout, and the stall is
// logged.
func TestHTTPStalledStreamReconnects(t *testing.T) {
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, data)
	var conns atomic.Int32
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := conns.Add(1)
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		for i := 0; i < 3; i++ {
			f := frames[i]
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(f))
			w.Write(f)
			fmt.Fprint(w, "\r\n")
			w.(http.Flusher).Flush()
		}
		if n == 1 { // the first connection stalls: open, silent
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	var logs syncBuffer
	const stall = 300 * time.Millisecond
	s, err := OpenHTTP(srv.URL, HTTPOptions{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		StallTimeout: stall, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if _, err := s.Next(ctx); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	start := time.Now()
	if _, err := s.Next(ctx); err != nil {
		t.Fatalf("frame after the stall: %v", err)
	}
	if took := time.Since(start); took > stall+time.Second {
		t.Errorf("the stalled stream was reconnected after %s, want within %s (+ back-off)", took, stall)
	}
	if conns.Load() != 2 || s.Reconnects != 1 {
		t.Errorf("%d connections, %d reconnects; want 2 and 1", conns.Load(), s.Reconnects)
	}
	if p := s.Problem(); p != "" {
		t.Errorf("Problem after recovery = %q, want none", p)
	}
	if !strings.Contains(logs.String(), "no frame for 300ms") || !strings.Contains(logs.String(), "camera streaming again") {
		t.Errorf("log does not tell the stall and the recovery:\n%s", logs.String())
	}
}

// TestHTTPRefusedIsLoggedOnceRedacted: a camera that answers 401 on every
// try is logged at once, then not again within the minute, with its
// password and query values redacted.
func TestHTTPRefusedIsLoggedOnceRedacted(t *testing.T) {
	var tries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://admin:hunter2pw@", 1) + "/video.cgi?user=admin&pwd=s3cr3tq"
	var logs syncBuffer
	s, err := OpenHTTP(u, HTTPOptions{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); err == nil {
		t.Fatal("Next succeeded against a camera that refuses")
	}
	out := logs.String()
	if tries.Load() < 5 {
		t.Fatalf("%d tries in 300 ms", tries.Load())
	}
	if n := strings.Count(out, "camera failing"); n != 1 {
		t.Errorf("%d failure lines for %d tries, want 1:\n%s", n, tries.Load(), out)
	}
	if !strings.Contains(out, "401") {
		t.Errorf("the log does not say 401:\n%s", out)
	}
	if p := s.Problem(); !strings.Contains(p, "401 Unauthorized") {
		t.Errorf("Problem = %q, want the 401", p)
	}
	for _, secret := range []string{"hunter2pw", "s3cr3tq"} {
		if strings.Contains(out, secret) || strings.Contains(s.Problem(), secret) {
			t.Errorf("%s in the log or Problem:\n%s\n%s", secret, out, s.Problem())
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://cam/mjpeg":                        "http://cam/mjpeg",
		"http://admin:pw@cam:81/video":            "http://admin:xxxxx@cam:81/video",
		"https://cam/v.cgi?user=admin&pwd=secret": "https://cam/v.cgi?pwd=xxxxx&user=xxxxx",
		"http://cam/%zz":                          "(invalid URL)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
