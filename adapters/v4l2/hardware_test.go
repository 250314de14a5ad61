//go:build linux && cgo && hardware

package v4l2

import (
	"context"
	"os"
	"testing"
	"time"

	"vigil/vision"
)

// TestRealCamera reads frames from VIGIL_V4L2_DEVICE (default /dev/video0):
// go test -tags hardware ./adapters/v4l2/
func TestRealCamera(t *testing.T) {
	dev := os.Getenv("VIGIL_V4L2_DEVICE")
	if dev == "" {
		dev = "/dev/video0"
	}
	for _, format := range []string{"mjpeg", "yuyv"} {
		c, err := Open(Config{Device: dev, Width: 640, Height: 480, FPS: 15, Format: format})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for i := 0; i < 30; i++ {
			f, err := c.Next(ctx)
			if err != nil {
				t.Fatalf("%s frame %d: %v", format, i, err)
			}
			if f.Width == 0 || f.Height == 0 {
				t.Fatalf("%s frame %d: empty", format, i)
			}
		}
		var s vision.Still
		c.Hold(&s)
		if _, err := s.AppendJPEG(nil, 85); err != nil {
			t.Fatalf("%s snapshot: %v", format, err)
		}
		cancel()
		c.Close()
	}
}
