package vision

import "fmt"

// YUYVToY copies the luma plane of a packed YUYV 4:2:2 image (Y0 U Y1 V per
// two pixels; srcStride bytes per row, at least 2*dst.Width) into dst, using
// the active implementation.
func YUYVToY(dst Frame, src []byte, srcStride int) { Active().YUYVToY(dst, src, srcStride) }

// YUYVToY is YUYVToY with this implementation.
func (k *Impl) YUYVToY(dst Frame, src []byte, srcStride int) {
	dst.check("dst")
	if srcStride < 2*dst.Width || (dst.Height > 0 && len(src) < (dst.Height-1)*srcStride+2*dst.Width) {
		panic(fmt.Sprintf("vision: YUYVToY: %d bytes, stride %d cannot hold %dx%d", len(src), srcStride, dst.Width, dst.Height))
	}
	for y := 0; y < dst.Height; y++ {
		k.yuyv(dst.Row(y), src[y*srcStride:y*srcStride+2*dst.Width])
	}
}

// Downscale2 writes the 2×2 box average of src into dst, which must be
// (src.Width/2)×(src.Height/2); an odd last row or column of src is dropped.
// Each output pixel is (a+b+c+d+2)>>2.
func Downscale2(dst, src Frame) { Active().Downscale2(dst, src) }

// Downscale2 is Downscale2 with this implementation.
func (k *Impl) Downscale2(dst, src Frame) {
	dst.check("dst")
	src.check("src")
	if dst.Width != src.Width/2 || dst.Height != src.Height/2 {
		panic(fmt.Sprintf("vision: Downscale2: dst is %dx%d, want %dx%d for a %dx%d source",
			dst.Width, dst.Height, src.Width/2, src.Height/2, src.Width, src.Height))
	}
	for y := 0; y < dst.Height; y++ {
		k.down2(dst.Row(y), src.Row(2 * y)[:2*dst.Width], src.Row(2*y + 1)[:2*dst.Width])
	}
}

// ReadProbe reads every byte of a and b with the fastest load loop of this
// implementation: the ceiling the kernels are measured against.
func (k *Impl) ReadProbe(a, b []byte) uint64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("vision: ReadProbe: lengths %d and %d differ", len(a), len(b)))
	}
	return k.probe(a, b)
}
