package benchmarks

import (
	"bytes"
	_ "embed"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"vigil/vision"
)

// JPEGFrame is one input of the JPEG benchmarks: a camera-like MJPEG frame.
type JPEGFrame struct {
	Res  Res
	Data []byte
}

// JPEGScales are the scales BenchmarkLumaJPEG covers.
var JPEGScales = []int{1, 2, 4, 8}

// JPEGFrames makes the inputs of the JPEG benchmarks from camera, a real
// baseline camera frame (e.g. a PETS 2009 frame, 768×576): a 640×480 and a
// 1280×720 4:2:0 frame re-encoded by image/jpeg at quality 85 — scaled
// bilinearly (cropped to 16:9 for 720p) with ±2 levels of sensor noise added
// to luma, as an IP camera would send them — and the camera frame itself.
func JPEGFrames(camera []byte) ([]JPEGFrame, error) {
	img, err := jpeg.Decode(bytes.NewReader(camera))
	if err != nil {
		return nil, fmt.Errorf("benchmarks: camera frame: %w", err)
	}
	src, ok := img.(*image.YCbCr)
	if !ok {
		return nil, fmt.Errorf("benchmarks: camera frame is a %T, want YCbCr", img)
	}
	b := src.Rect
	var out []JPEGFrame
	for _, r := range []Res{{640, 480}, {1280, 720}} {
		crop := b
		if want := b.Dx() * r.H / r.W; want < b.Dy() { // crop to the target aspect
			crop.Min.Y += (b.Dy() - want) / 2
			crop.Max.Y = crop.Min.Y + want
		}
		dst := image.NewYCbCr(image.Rect(0, 0, r.W, r.H), image.YCbCrSubsampleRatio420)
		cw, ch := chromaSize(src)
		sx, sy := float64(cw)/float64(b.Dx()), float64(ch)/float64(b.Dy())
		resize(dst.Y, dst.YStride, r.W, r.H, src.Y, src.YStride, b.Dx(), b.Dy(), crop)
		cc := image.Rect(int(float64(crop.Min.X)*sx), int(float64(crop.Min.Y)*sy), int(float64(crop.Max.X)*sx), int(float64(crop.Max.Y)*sy))
		resize(dst.Cb, dst.CStride, (r.W+1)/2, (r.H+1)/2, src.Cb, src.CStride, cw, ch, cc)
		resize(dst.Cr, dst.CStride, (r.W+1)/2, (r.H+1)/2, src.Cr, src.CStride, cw, ch, cc)
		rng := rand.New(rand.NewPCG(uint64(r.W), uint64(r.H)))
		for i, v := range dst.Y {
			dst.Y[i] = uint8(min(255, max(0, int(v)+rng.IntN(5)-2)))
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
			return nil, err
		}
		out = append(out, JPEGFrame{r, buf.Bytes()})
	}
	return append(out, JPEGFrame{Res{b.Dx(), b.Dy()}, camera}), nil
}

// chromaSize is the size of the chroma planes of m, an image made by
// image.NewYCbCr (as image/jpeg's are): their stride is their width.
func chromaSize(m *image.YCbCr) (int, int) { return m.CStride, len(m.Cb) / m.CStride }

// resize scales the crop rectangle of a w×h source plane into a dw×dh plane
// by bilinear interpolation.
func resize(dst []byte, dstride, dw, dh int, src []byte, sstride, w, h int, crop image.Rectangle) {
	fx, fy := float64(crop.Dx())/float64(dw), float64(crop.Dy())/float64(dh)
	for y := range dh {
		yy := min(max(float64(crop.Min.Y)+(float64(y)+0.5)*fy-0.5, 0), float64(h-1))
		y0 := int(yy)
		y1, ay := min(y0+1, h-1), yy-float64(y0)
		for x := range dw {
			xx := min(max(float64(crop.Min.X)+(float64(x)+0.5)*fx-0.5, 0), float64(w-1))
			x0 := int(xx)
			x1, ax := min(x0+1, w-1), xx-float64(x0)
			p := func(x, y int) float64 { return float64(src[y*sstride+x]) }
			v := (p(x0, y0)*(1-ax)+p(x1, y0)*ax)*(1-ay) + (p(x0, y1)*(1-ax)+p(x1, y1)*ax)*ay
			dst[y*dstride+x] = uint8(v + 0.5)
		}
	}
}

// LumaJPEG measures vision.LumaDecoder decoding data at 1/scale into a
// reused frame.
func LumaJPEG(b *testing.B, data []byte, scale int) {
	d := vision.NewLumaDecoder(0)
	var f vision.Frame
	if err := d.Decode(data, scale, &f); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := d.Decode(data, scale, &f); err != nil {
			b.Fatal(err)
		}
	}
}

// StdJPEG measures image/jpeg's full decode of the same bytes: the baseline.
func StdJPEG(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// PETSFrame is frame 1 of the PETS 2009 S2.L1 view 1 clip (768×576 MJPEG,
// OpenCV samples, Apache-2.0 / BSD-3 as distributed by Debian; see
// vision/testdata/jpeg/README.md), embedded so the bench binary copied to a
// Pi carries its own input.
//
//go:embed pets-001.jpg
var PETSFrame []byte
