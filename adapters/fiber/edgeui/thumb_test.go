package edgeui

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func TestThumbnail(t *testing.T) {
	for _, src := range []image.Image{image.NewGray(image.Rect(0, 0, 640, 480)), image.NewRGBA(image.Rect(0, 0, 1280, 720))} {
		if g, ok := src.(*image.Gray); ok {
			for i := range g.Pix {
				g.Pix[i] = uint8(i)
			}
		} else {
			src.(*image.RGBA).Set(10, 10, color.RGBA{255, 0, 0, 255})
		}
		var in bytes.Buffer
		if err := jpeg.Encode(&in, src, nil); err != nil {
			t.Fatal(err)
		}
		out, err := thumbnail(in.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width > thumbWidth || cfg.Width < thumbWidth/2 || len(out) >= in.Len() {
			t.Fatalf("%v: thumbnail %dx%d, %d bytes from %d (%v)", src.Bounds(), cfg.Width, cfg.Height, len(out), in.Len(), err)
		}
	}
	small := image.NewGray(image.Rect(0, 0, 100, 80))
	var in bytes.Buffer
	jpeg.Encode(&in, small, nil)
	if out, err := thumbnail(in.Bytes()); err != nil || !bytes.Equal(out, in.Bytes()) {
		t.Fatalf("a small image is not returned as it is (%v)", err)
	}
	if _, err := thumbnail([]byte("not a jpeg")); err == nil {
		t.Fatal("no error for garbage")
	}
}
