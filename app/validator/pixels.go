package validator

import (
	"image"
	"image/color"

	"vigil/vision"
)

// lumaOf returns the 8-bit luma of img as a frame, sharing the Y plane of
// YCbCr and Gray images and computing it (BT.601 weights) for the others.
func lumaOf(img image.Image) vision.Frame {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		if b.Min == (image.Point{}) {
			return vision.Frame{Pix: m.Y, Width: b.Dx(), Height: b.Dy(), Stride: m.YStride}
		}
	case *image.Gray:
		if b.Min == (image.Point{}) {
			return vision.Frame{Pix: m.Pix, Width: b.Dx(), Height: b.Dy(), Stride: m.Stride}
		}
	}
	f := vision.NewFrame(b.Dx(), b.Dy())
	row := make([]byte, 3*b.Dx())
	for y := range b.Dy() {
		rgbRow(img, b.Min.Y+y, row)
		dst := f.Row(y)
		for x := range dst {
			r, g, bl := uint32(row[3*x]), uint32(row[3*x+1]), uint32(row[3*x+2])
			dst[x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
		}
	}
	return f
}

// rgbRow writes row y of img as 8-bit RGB (alpha composited over black, as
// the JPEG encoder does) into dst, which holds 3×width bytes.
func rgbRow(img image.Image, y int, dst []byte) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		yi := m.YOffset(b.Min.X, y)
		for x := b.Min.X; x < b.Max.X; x++ {
			ci := m.COffset(x, y)
			r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			i := 3 * (x - b.Min.X)
			dst[i], dst[i+1], dst[i+2] = r, g, bl
			yi++
		}
	case *image.Gray:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range b.Dx() {
			dst[3*x], dst[3*x+1], dst[3*x+2] = src[x], src[x], src[x]
		}
	case *image.RGBA:
		src := m.Pix[m.PixOffset(b.Min.X, y):]
		for x := range b.Dx() {
			dst[3*x], dst[3*x+1], dst[3*x+2] = src[4*x], src[4*x+1], src[4*x+2]
		}
	default:
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			i := 3 * (x - b.Min.X)
			dst[i], dst[i+1], dst[i+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
		}
	}
}

// thumbnail scales img down to at most maxWidth pixels wide, keeping its
// aspect ratio, by averaging the source pixels that fall in each target
// pixel (a box filter). A narrower image keeps its size.
func thumbnail(img image.Image, maxWidth int) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw := min(sw, maxWidth)
	dh := max(1, (sh*dw+sw/2)/sw)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	row := make([]byte, 3*sw)
	sum := make([]uint64, 3*dw)
	cnt := make([]uint64, dw)
	flush := func(dy int) {
		out := dst.Pix[dy*dst.Stride:]
		for dx := range dw {
			n := cnt[dx]
			for c := range 3 {
				out[4*dx+c] = uint8((sum[3*dx+c] + n/2) / n)
				sum[3*dx+c] = 0
			}
			out[4*dx+3] = 0xFF
			cnt[dx] = 0
		}
	}
	cur := 0
	for sy := range sh {
		if dy := sy * dh / sh; dy != cur {
			flush(cur)
			cur = dy
		}
		rgbRow(img, b.Min.Y+sy, row)
		for sx := range sw {
			dx := sx * dw / sw
			sum[3*dx] += uint64(row[3*sx])
			sum[3*dx+1] += uint64(row[3*sx+1])
			sum[3*dx+2] += uint64(row[3*sx+2])
			cnt[dx]++
		}
	}
	flush(cur)
	return dst
}

// thumbnailYCbCr is thumbnail for a YCbCr image (every decoded JPEG but
// CMYK and grayscale ones), done plane by plane without the RGB round
// trip: the thumbnail keeps m's chroma subsampling, each plane averaged
// over boxes as thumbnail does, and the JPEG encoder takes it as it is.
func thumbnailYCbCr(m *image.YCbCr, maxWidth int) *image.YCbCr {
	b := m.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw := min(sw, maxWidth)
	dh := max(1, (sh*dw+sw/2)/sw)
	dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), m.SubsampleRatio)
	boxPlane(dst.Y, dst.YStride, dw, dh, m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride, sw, sh)
	cw, ch := chromaSize(m.SubsampleRatio, sw, sh)
	cdw, cdh := chromaSize(m.SubsampleRatio, dw, dh)
	off := m.COffset(b.Min.X, b.Min.Y)
	boxPlane(dst.Cb, dst.CStride, cdw, cdh, m.Cb[off:], m.CStride, cw, ch)
	boxPlane(dst.Cr, dst.CStride, cdw, cdh, m.Cr[off:], m.CStride, cw, ch)
	return dst
}

// chromaSize is the size of the chroma planes of a w×h image (as
// image.NewYCbCr lays them out for an image at the origin).
func chromaSize(r image.YCbCrSubsampleRatio, w, h int) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// boxPlane averages the sw×sh plane src into the dw×dh plane dst
// (dw ≤ sw, dh ≤ sh): every source sample counts in the one target sample
// its position maps to.
func boxPlane(dst []byte, dstride, dw, dh int, src []byte, sstride, sw, sh int) {
	sum := make([]uint32, dw)
	cnt := make([]uint32, dw)
	cols := make([]int32, sw)
	for sx := range sw {
		cols[sx] = int32(sx * dw / sw)
	}
	cur := 0
	flush := func(dy int) {
		out := dst[dy*dstride : dy*dstride+dw]
		for dx := range out {
			out[dx] = uint8((sum[dx] + cnt[dx]/2) / cnt[dx])
			sum[dx], cnt[dx] = 0, 0
		}
	}
	for sy := range sh {
		if dy := sy * dh / sh; dy != cur {
			flush(cur)
			cur = dy
		}
		row := src[sy*sstride : sy*sstride+sw]
		for sx, v := range row {
			dx := cols[sx]
			sum[dx] += uint32(v)
			cnt[dx]++
		}
	}
	flush(cur)
}
