package mjpeg

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
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
