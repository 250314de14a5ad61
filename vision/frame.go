// Package vision holds Vigil's pixel work: 8-bit luma frames, the fused motion
// kernel with its SIMD implementations, YUYV de-interleave, 2×2 downscale and
// polygon masks. It never logs and never does I/O.
package vision

import "fmt"

// Frame is an 8-bit luma image. Row y starts at Pix[y*Stride]; only the first
// Width bytes of a row are pixels. Sub-frames share Pix with their parent.
type Frame struct {
	Pix    []byte
	Width  int
	Height int
	Stride int
}

// NewFrame allocates a Width×Height frame with Stride == Width.
func NewFrame(width, height int) Frame {
	if width < 0 || height < 0 {
		panic(fmt.Sprintf("vision: negative frame size %dx%d", width, height))
	}
	return Frame{Pix: make([]byte, width*height), Width: width, Height: height, Stride: width}
}

// Row returns the pixels of row y (Width bytes, sharing Pix).
func (f Frame) Row(y int) []byte {
	o := y * f.Stride
	return f.Pix[o : o+f.Width : o+f.Width]
}

// Sub returns the part of f inside r (clipped to f), sharing Pix.
func (f Frame) Sub(r Rect) Frame {
	r = r.Intersect(Rect{0, 0, f.Width, f.Height})
	if r.Empty() {
		return Frame{}
	}
	start := r.Y0*f.Stride + r.X0
	end := (r.Y1-1)*f.Stride + r.X1
	return Frame{Pix: f.Pix[start:end:end], Width: r.X1 - r.X0, Height: r.Y1 - r.Y0, Stride: f.Stride}
}

// check panics with a clear message when f is not a well-formed frame.
func (f Frame) check(name string) {
	if f.Width < 0 || f.Height < 0 || (f.Height > 0 && f.Stride < f.Width) {
		panic(fmt.Sprintf("vision: %s: bad geometry %dx%d stride %d", name, f.Width, f.Height, f.Stride))
	}
	if f.Height > 0 && len(f.Pix) < (f.Height-1)*f.Stride+f.Width {
		panic(fmt.Sprintf("vision: %s: %d bytes is too short for %dx%d stride %d", name, len(f.Pix), f.Width, f.Height, f.Stride))
	}
}

// Rect is a half-open rectangle [X0,X1)×[Y0,Y1) in pixels.
type Rect struct{ X0, Y0, X1, Y1 int }

// Empty reports whether r contains no pixel.
func (r Rect) Empty() bool { return r.X0 >= r.X1 || r.Y0 >= r.Y1 }

// Dx and Dy are the width and height of r.
func (r Rect) Dx() int { return r.X1 - r.X0 }
func (r Rect) Dy() int { return r.Y1 - r.Y0 }

// Intersect returns the largest rectangle inside both r and s.
func (r Rect) Intersect(s Rect) Rect {
	r.X0, r.Y0 = max(r.X0, s.X0), max(r.Y0, s.Y0)
	r.X1, r.Y1 = min(r.X1, s.X1), min(r.Y1, s.Y1)
	if r.Empty() {
		return Rect{}
	}
	return r
}

// Union returns the smallest rectangle containing r and s; empty ones are ignored.
func (r Rect) Union(s Rect) Rect {
	if r.Empty() {
		return s
	}
	if s.Empty() {
		return r
	}
	return Rect{min(r.X0, s.X0), min(r.Y0, s.Y0), max(r.X1, s.X1), max(r.Y1, s.Y1)}
}

func (r Rect) String() string { return fmt.Sprintf("(%d,%d)-(%d,%d)", r.X0, r.Y0, r.X1, r.Y1) }
