package vision_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"vigil/vision"
)

// refLuma decodes data with image/jpeg and returns its luma plane (Y of
// YCbCr, or Gray).
func refLuma(tb testing.TB, data []byte) vision.Frame {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("image/jpeg: %v", err)
	}
	b := img.Bounds()
	f := vision.NewFrame(b.Dx(), b.Dy())
	switch m := img.(type) {
	case *image.YCbCr:
		for y := range f.Height {
			copy(f.Row(y), m.Y[y*m.YStride:])
		}
	case *image.Gray:
		for y := range f.Height {
			copy(f.Row(y), m.Pix[y*m.Stride:])
		}
	default:
		tb.Fatalf("image/jpeg gave a %T", img)
	}
	return f
}

// boxAverage scales src by 1/scale: each output pixel is the rounded mean of
// the source pixels its box covers; boxes cut by the right or bottom edge
// average only the pixels inside the image (the rule LumaDecoder follows).
func boxAverage(src vision.Frame, scale int) vision.Frame {
	w, h := vision.ScaledSize(src.Width, src.Height, scale)
	dst := vision.NewFrame(w, h)
	for oy := range h {
		for ox := range w {
			sum, n := 0, 0
			for y := oy * scale; y < min(oy*scale+scale, src.Height); y++ {
				for x := ox * scale; x < min(ox*scale+scale, src.Width); x++ {
					sum += int(src.Pix[y*src.Stride+x])
					n++
				}
			}
			dst.Pix[oy*w+ox] = uint8((sum + n/2) / n)
		}
	}
	return dst
}

// agreement compares two frames of the same size.
type agreement struct {
	n, within1, within2 int
	sumAbs, maxAbs      int
}

func (a *agreement) add(got, want vision.Frame) {
	for y := range want.Height {
		g, w := got.Row(y), want.Row(y)
		for x := range w {
			d := int(g[x]) - int(w[x])
			if d < 0 {
				d = -d
			}
			a.n++
			a.sumAbs += d
			a.maxAbs = max(a.maxAbs, d)
			if d <= 1 {
				a.within1++
			}
			if d <= 2 {
				a.within2++
			}
		}
	}
}

func (a agreement) mad() float64   { return float64(a.sumAbs) / float64(a.n) }
func (a agreement) frac2() float64 { return float64(a.within2) / float64(a.n) }
func (a agreement) frac1() float64 { return float64(a.within1) / float64(a.n) }

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "jpeg", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestLumaJPEGQuick(t *testing.T) {
	for _, name := range []string{"pets-001.jpg", "tree-001.jpg", "video-001.q50.444.jpeg", "video-001.restart2.jpeg", "video-005.gray.jpeg"} {
		data := readTestdata(t, name)
		ref := refLuma(t, data)
		d := vision.NewLumaDecoder(0)
		for _, s := range []int{1, 2, 4, 8} {
			var f vision.Frame
			if err := d.Decode(data, s, &f); err != nil {
				t.Fatalf("%s 1/%d: %v", name, s, err)
			}
			var a agreement
			a.add(f, boxAverage(ref, s))
			t.Logf("%s 1/%d: %dx%d mad %.3f max %d within2 %.4f within1 %.4f", name, s, f.Width, f.Height, a.mad(), a.maxAbs, a.frac2(), a.frac1())
		}
	}
}
