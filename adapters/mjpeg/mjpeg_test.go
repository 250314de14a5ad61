package mjpeg

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"testing"
)

const clip = "../../testdata/video/tree-wind-hand.mjpeg"

func readAll(t *testing.T, data []byte) [][]byte {
	t.Helper()
	rd := NewReader(bytes.NewReader(data), 1<<20)
	var frames [][]byte
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return frames
		}
		if err != nil {
			t.Fatalf("frame %d: %v", len(frames), err)
		}
		frames = append(frames, bytes.Clone(f))
	}
}

func TestReaderSplitsARealClip(t *testing.T) {
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, data)
	if len(frames) != 68 {
		t.Fatalf("%d frames, want 68", len(frames))
	}
	if !bytes.Equal(bytes.Join(frames, nil), data) {
		t.Fatal("the frames do not add up to the file")
	}
	for i, f := range frames {
		if _, err := jpeg.Decode(bytes.NewReader(f)); err != nil {
			t.Fatalf("frame %d does not decode: %v", i, err)
		}
	}
}

// frameWithThumbnail builds a JPEG whose APP1 segment holds FF D9 (as an
// EXIF thumbnail does), with garbage before it.
func frameWithThumbnail(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
		t.Fatal(err)
	}
	j := b.Bytes()
	app1 := []byte{0xFF, 0xE1, 0x00, 0x08, 0xFF, 0xD8, 0xFF, 0xD9, 0x00, 0x00}
	return append(append(append([]byte{}, j[:2]...), app1...), j[2:]...)
}

func TestReaderFollowsMarkers(t *testing.T) {
	f := frameWithThumbnail(t)
	stream := append(append([]byte("garbage\xff\x00"), f...), f...)
	frames := readAll(t, stream)
	if len(frames) != 2 || !bytes.Equal(frames[0], f) || !bytes.Equal(frames[1], f) {
		t.Fatalf("got %d frames, want 2 whole ones", len(frames))
	}
	if _, err := NewReader(bytes.NewReader(f[:len(f)-5]), 1<<20).Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated frame: %v, want ErrUnexpectedEOF", err)
	}
	if _, err := NewReader(bytes.NewReader(f), 100).Next(); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("limit: %v, want ErrFrameTooLarge", err)
	}
	if _, err := NewReader(bytes.NewReader(nil), 100).Next(); err != io.EOF {
		t.Errorf("empty stream: %v, want io.EOF", err)
	}
}

func TestFilePlaysDecodesAndLoops(t *testing.T) {
	s, err := OpenFile(clip, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	n := 0
	for {
		f, err := s.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Width != 320 || f.Height != 240 || len(s.JPEG()) < 1000 {
			t.Fatalf("frame %d: %dx%d, %d JPEG bytes", n, f.Width, f.Height, len(s.JPEG()))
		}
		n++
	}
	if n != 68 || s.Dropped() != 0 {
		t.Fatalf("%d frames, %d dropped; want 68, 0", n, s.Dropped())
	}

	half, _ := OpenFile(clip, Options{MaxWidth: 160, Loop: true})
	defer half.Close()
	for i := 0; i < 100; i++ { // past the end: it loops
		f, err := half.Next(ctx)
		if err != nil || f.Width != 160 || f.Height != 120 {
			t.Fatalf("loop frame %d: %dx%d %v", i, f.Width, f.Height, err)
		}
	}
	if s.Close() != nil || s.Close() != nil {
		t.Error("Close is not idempotent")
	}
}

func TestFileSkipsBadFrames(t *testing.T) {
	data, _ := os.ReadFile(clip)
	frames := readAll(t, data)
	bad := bytes.Clone(frames[1])
	for i := len(bad) / 2; i < len(bad)-2; i++ {
		bad[i] = 0xFF // entropy data turned into an invalid marker run
	}
	path := filepath.Join(t.TempDir(), "bad.mjpeg")
	os.WriteFile(path, bytes.Join([][]byte{frames[0], bad, frames[2]}, nil), 0o600)
	s, err := OpenFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := 0
	for {
		_, err := s.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != 2 || s.Dropped() != 1 {
		t.Fatalf("%d frames, %d dropped; want 2 and 1", got, s.Dropped())
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing.mjpeg"), Options{}); err == nil {
		t.Error("missing file opened")
	}
	if _, err := OpenFile(path, Options{Scale: 3}); err == nil {
		t.Error("scale 3 accepted")
	}
}
