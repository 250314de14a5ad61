//go:build linux && cgo

package v4l2

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"strings"
	"testing"
	"time"

	"vigil/vision"
)

// encode makes a w×h JPEG (with an EXIF-like APP1 segment holding an EOI
// marker, as camera thumbnails do, when thumb is set).
func encode(t *testing.T, w, h int, thumb bool) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(1, 1, color.Gray{Y: 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if thumb {
		app1 := []byte{0xFF, 0xE1, 0x00, 0x08, 0xFF, 0xD8, 0xFF, 0xD9, 0x00, 0x00}
		out = append(append(append([]byte{}, out[:2]...), app1...), out[2:]...)
	}
	return out
}

// TestHoldKeepsOnlyThisFrame: the driver reuses mmap'ed buffers, so after
// this frame's BytesUsed a buffer still holds the tail of an older, longer
// frame (with its own EOI). Hold must store exactly this frame's JPEG.
func TestHoldKeepsOnlyThisFrame(t *testing.T) {
	old, cur := encode(t, 160, 120, false), encode(t, 32, 24, true)
	if len(old) <= len(cur)+10 {
		t.Fatalf("test frames: old %d bytes, current %d", len(old), len(cur))
	}
	buf := make([]byte, 2*len(old))
	copy(buf, old)
	copy(buf, cur)
	for _, tc := range []struct {
		name string
		used int
	}{
		{"bytes used exact", len(cur)},
		{"driver reports the whole buffer", len(buf)},
		{"padding after EOI", len(cur) + 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Open(Config{Device: "/dev/null", Width: 32, Height: 24, FPS: 5})
			if err != nil {
				t.Fatal(err)
			}
			c.bufs, c.queued, c.used = [][]byte{buf}, 0, tc.used
			var s vision.Still
			c.Hold(&s)
			got, err := s.AppendJPEG(nil, 85)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, cur) {
				t.Fatalf("Hold kept %d bytes, want this frame's %d", len(got), len(cur))
			}
			if _, err := jpeg.Decode(bytes.NewReader(got)); err != nil {
				t.Fatalf("kept JPEG: %v", err)
			}
		})
	}
}

func TestJPEGEnd(t *testing.T) {
	cur := encode(t, 16, 16, true)
	for _, bad := range [][]byte{nil, {0xFF}, {0xFF, 0xD8}, cur[:len(cur)-1], append([]byte{0}, cur...)} {
		if n := jpegEnd(bad); n != 0 {
			t.Errorf("jpegEnd of %d bytes = %d, want 0", len(bad), n)
		}
	}
	if n := jpegEnd(append(cur, 0xFF, 0xD9)); n != len(cur) {
		t.Errorf("jpegEnd = %d, want %d", n, len(cur))
	}
}

// TestMissingDeviceIsLoggedOnce: a device that cannot be opened is retried
// with back-off, logged at once and then not again within the minute, and
// Problem says why there are no frames.
func TestMissingDeviceIsLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	c, err := Open(Config{Device: "/dev/vigil-no-such-camera", Width: 640, Height: 480, FPS: 5,
		MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Next(ctx); err == nil {
		t.Fatal("Next succeeded without a device")
	}
	if n := strings.Count(logs.String(), "camera failing"); n != 1 {
		t.Errorf("%d failure lines, want 1:\n%s", n, logs.String())
	}
	if p := c.Problem(); !strings.Contains(p, "/dev/vigil-no-such-camera") || !strings.Contains(logs.String(), p) {
		t.Errorf("Problem = %q; log:\n%s", p, logs.String())
	}
}
