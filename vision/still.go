package vision

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// Still is a camera frame kept to be stored later (an event's first, peak
// or last frame). It holds what the source had, copied: the camera's own
// JPEG bytes (MJPEG cameras; stored unchanged, never re-encoded), packed
// YUYV (encoded once, in colour, when stored) or a luma frame (encoded as
// grayscale). Keeping a Still is a copy, cheap enough per frame; encoding
// happens only in AppendJPEG. Its buffers are reused across Set calls.
type Still struct {
	kind  stillKind
	jpeg  []byte
	pix   []byte // luma rows or YUYV rows, packed
	w, h  int
	Frame int64 // the source's frame number, for the caller's bookkeeping
}

type stillKind uint8

const (
	stillEmpty stillKind = iota
	stillJPEG
	stillGray
	stillYUYV
)

// Empty reports whether the Still holds no frame.
func (s *Still) Empty() bool { return s.kind == stillEmpty }

// Reset empties the Still, keeping its memory.
func (s *Still) Reset() { s.kind = stillEmpty }

// SetJPEG keeps a copy of the camera's JPEG bytes.
func (s *Still) SetJPEG(b []byte) {
	s.kind, s.jpeg = stillJPEG, append(s.jpeg[:0], b...)
}

// SetGray keeps a copy of a luma frame.
func (s *Still) SetGray(f Frame) {
	f.check("still")
	s.kind, s.w, s.h = stillGray, f.Width, f.Height
	s.pix = s.pix[:0]
	for y := 0; y < f.Height; y++ {
		s.pix = append(s.pix, f.Row(y)...)
	}
}

// SetYUYV keeps a copy of a packed YUYV 4:2:2 image (stride bytes per row).
func (s *Still) SetYUYV(src []byte, w, h, stride int) {
	if w <= 0 || h <= 0 || w%2 != 0 || stride < 2*w || len(src) < (h-1)*stride+2*w {
		panic(fmt.Sprintf("vision: Still.SetYUYV: %d bytes, stride %d for %dx%d", len(src), stride, w, h))
	}
	s.kind, s.w, s.h = stillYUYV, w, h
	s.pix = s.pix[:0]
	for y := 0; y < h; y++ {
		s.pix = append(s.pix, src[y*stride:y*stride+2*w]...)
	}
}

// CopyFrom makes s a copy of o.
func (s *Still) CopyFrom(o *Still) {
	s.kind, s.w, s.h, s.Frame = o.kind, o.w, o.h, o.Frame
	s.jpeg = append(s.jpeg[:0], o.jpeg...)
	s.pix = append(s.pix[:0], o.pix...)
}

// AppendJPEG appends the frame as a JPEG to dst: the camera's bytes as they
// were, or the pixels encoded at the given quality (1..100).
func (s *Still) AppendJPEG(dst []byte, quality int) ([]byte, error) {
	var img image.Image
	switch s.kind {
	case stillEmpty:
		return dst, fmt.Errorf("vision: empty still")
	case stillJPEG:
		return append(dst, s.jpeg...), nil
	case stillGray:
		img = &image.Gray{Pix: s.pix, Stride: s.w, Rect: image.Rect(0, 0, s.w, s.h)}
	case stillYUYV:
		c := image.NewYCbCr(image.Rect(0, 0, s.w, s.h), image.YCbCrSubsampleRatio422)
		for y := 0; y < s.h; y++ {
			row := s.pix[y*2*s.w : (y+1)*2*s.w]
			for x := 0; x < s.w; x += 2 {
				c.Y[y*c.YStride+x] = row[2*x]
				c.Y[y*c.YStride+x+1] = row[2*x+2]
				c.Cb[y*c.CStride+x/2] = row[2*x+1]
				c.Cr[y*c.CStride+x/2] = row[2*x+3]
			}
		}
		img = c
	}
	b := bytes.NewBuffer(dst)
	if err := jpeg.Encode(b, img, &jpeg.Options{Quality: quality}); err != nil {
		return dst, fmt.Errorf("vision: encode still: %w", err)
	}
	return b.Bytes(), nil
}

// Luma writes the frame's luma plane into dst (resized in place when its
// Pix has room): the camera's JPEG decoded at full size by dec, the kept
// luma copied, or the Y bytes of kept YUYV.
func (s *Still) Luma(dec *LumaDecoder, dst *Frame) error {
	switch s.kind {
	case stillJPEG:
		return dec.Decode(s.jpeg, 1, dst)
	case stillGray, stillYUYV:
		n := s.w * s.h
		if cap(dst.Pix) < n {
			dst.Pix = make([]byte, n)
		}
		*dst = Frame{Pix: dst.Pix[:n], Width: s.w, Height: s.h, Stride: s.w}
		if s.kind == stillGray {
			copy(dst.Pix, s.pix)
			return nil
		}
		for y := 0; y < s.h; y++ {
			Active().yuyv(dst.Row(y), s.pix[y*2*s.w:(y+1)*2*s.w])
		}
		return nil
	}
	return fmt.Errorf("vision: empty still")
}
