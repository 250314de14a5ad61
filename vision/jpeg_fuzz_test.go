package vision_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"vigil/vision"
)

// FuzzLumaJPEG: whatever the bytes, Decode returns one of its errors or a
// frame of the declared size scaled, without panicking, hanging or
// allocating more than the pixel cap allows.
func FuzzLumaJPEG(f *testing.F) {
	p := testPlanes(f, 17, 33)
	for i, smp := range samplings {
		o := smp.o
		o.quality, o.interleaved = 75, true
		f.Add(encodeJPEG(p, o))
		o.restart, o.noDHT, o.interleaved = 1+i%3, i%2 == 0, i%3 != 0
		f.Add(encodeJPEG(p, o))
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "jpeg", "malformed", "*"))
	seeds = append(seeds, filepath.Join("testdata", "jpeg", "tree-055.jpg"), filepath.Join("testdata", "jpeg", "video-001.restart2.jpeg"),
		filepath.Join("testdata", "jpeg", "video-001.q50.444.jpeg"), filepath.Join("testdata", "jpeg", "video-005.gray.jpeg"))
	for _, name := range seeds {
		if filepath.Base(name)[:7] == "LICENSE" {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	d := vision.NewLumaDecoder(1 << 20)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range []int{8, 4, 2, 1} {
			var fr vision.Frame
			err := d.Decode(data, s, &fr)
			if err != nil {
				if !errors.Is(err, vision.ErrCorrupt) && !errors.Is(err, vision.ErrUnsupported) && !errors.Is(err, vision.ErrTooLarge) {
					t.Fatalf("1/%d: untyped error %v", s, err)
				}
				continue
			}
			w, h, err := vision.JPEGSize(data)
			if err != nil {
				t.Fatalf("1/%d decoded, but JPEGSize: %v", s, err)
			}
			ow, oh := vision.ScaledSize(w, h, s)
			if fr.Width != ow || fr.Height != oh || fr.Stride != ow || len(fr.Pix) != ow*oh {
				t.Fatalf("1/%d: %dx%d stride %d (%d bytes) for a %dx%d image", s, fr.Width, fr.Height, fr.Stride, len(fr.Pix), w, h)
			}
		}
	})
}
