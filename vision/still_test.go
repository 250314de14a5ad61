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

func TestStillLuma(t *testing.T) {
	dec := NewLumaDecoder(0)
	var s Still
	var dst Frame
	if err := s.Luma(dec, &dst); err == nil {
		t.Fatal("empty still gave luma")
	}
	f := NewFrame(16, 8)
	for i := range f.Pix {
		f.Pix[i] = byte(i)
	}
	s.SetGray(f)
	if err := s.Luma(dec, &dst); err != nil || dst.Width != 16 || dst.Pix[100] != 100 {
		t.Fatalf("gray: %v %+v", err, dst)
	}
	s.SetYUYV(bytes.Repeat([]byte{7, 1, 9, 2}, 16), 8, 4, 16)
	if err := s.Luma(dec, &dst); err != nil || dst.Width != 8 || dst.Height != 4 || dst.Pix[0] != 7 || dst.Pix[1] != 9 {
		t.Fatalf("yuyv: %v %+v", err, dst)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, &image.Gray{Pix: f.Pix, Stride: 16, Rect: image.Rect(0, 0, 16, 8)}, &jpeg.Options{Quality: 100})
	s.SetJPEG(b.Bytes())
	if err := s.Luma(dec, &dst); err != nil || dst.Width != 16 || dst.Height != 8 || absDiff(dst.Pix[100], 100) > 3 {
		t.Fatalf("jpeg: %v %dx%d %d", err, dst.Width, dst.Height, dst.Pix[100])
	}
}
