package edgeui

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// thumbWidth is the width of the events list's thumbnails.
const thumbWidth = 240

// maxThumbSource bounds the pixels of a snapshot the UI decodes for a
// thumbnail (a 4K frame is 8.3 Mpx).
const maxThumbSource = 9_000_000

// thumbnail decodes a JPEG snapshot and encodes it again at most
// thumbWidth pixels wide (box filter). Smaller images are returned as they
// are.
func thumbnail(b []byte) ([]byte, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	if cfg.Width <= thumbWidth {
		return b, nil
	}
	if cfg.Width*cfg.Height > maxThumbSource {
		return nil, fmt.Errorf("thumbnail: %dx%d is too large", cfg.Width, cfg.Height)
	}
	src, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	f := (cfg.Width + thumbWidth - 1) / thumbWidth // box size
	w, h := cfg.Width/f, cfg.Height/f
	var dst image.Image
	switch s := src.(type) {
	case *image.Gray:
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				sum := 0
				for dy := 0; dy < f; dy++ {
					row := s.Pix[(y*f+dy)*s.Stride+x*f:]
					for dx := 0; dx < f; dx++ {
						sum += int(row[dx])
					}
				}
				g.Pix[y*g.Stride+x] = uint8(sum / (f * f))
			}
		}
		dst = g
	default:
		rgba := image.NewRGBA(image.Rect(0, 0, w, h))
		b := src.Bounds()
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var r, g, bl uint32
				for dy := 0; dy < f; dy++ {
					for dx := 0; dx < f; dx++ {
						cr, cg, cb, _ := src.At(b.Min.X+x*f+dx, b.Min.Y+y*f+dy).RGBA()
						r, g, bl = r+cr, g+cg, bl+cb
					}
				}
				n := uint32(f * f)
				i := y*rgba.Stride + x*4
				rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], rgba.Pix[i+3] = uint8(r/n>>8), uint8(g/n>>8), uint8(bl/n>>8), 255
			}
		}
		dst = rgba
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 75}); err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	return out.Bytes(), nil
}
