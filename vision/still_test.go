package vision

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

func TestStillKeepsJPEGBytesAndEncodesPixels(t *testing.T) {
	var s Still
	if !s.Empty() {
		t.Fatal("zero Still not empty")
	}
	if _, err := s.AppendJPEG(nil, 80); err == nil {
		t.Fatal("empty still encoded")
	}
	cam := []byte{0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9}
	s.SetJPEG(cam)
	cam[2] = 9 // the Still holds a copy
	got, err := s.AppendJPEG([]byte("x"), 80)
	if err != nil || !bytes.Equal(got, []byte{'x', 0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9}) {
		t.Fatalf("JPEG still: %v %v", got, err)
	}

	f := NewFrame(32, 16)
	for i := range f.Pix {
		f.Pix[i] = byte(i * 3)
	}
	s.SetGray(f.Sub(Rect{0, 0, 30, 16}))
	var c Still
	c.CopyFrom(&s)
	got, err = c.AppendJPEG(nil, 95)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(got))
	if err != nil || img.Bounds() != image.Rect(0, 0, 30, 16) {
		t.Fatalf("gray still decodes to %v, %v", img.Bounds(), err)
	}

	yuyv := bytes.Repeat([]byte{200, 90, 201, 160}, 8*4) // 8x4, reddish
	s.SetYUYV(yuyv, 8, 4, 16)
	got, err = s.AppendJPEG(nil, 95)
	if err != nil {
		t.Fatal(err)
	}
	img, err = jpeg.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := img.At(3, 2).RGBA()
	if r>>8 < 200 || g>>8 > 220 || b>>8 > r>>8 {
		t.Errorf("YUYV still colour rgb(%d,%d,%d), want a light red", r>>8, g>>8, b>>8)
	}
	mustPanic(t, "odd YUYV width", func() { s.SetYUYV(yuyv, 7, 4, 16) })
}
