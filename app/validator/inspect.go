// Package validator is the cloud's gatekeeper: it decides whether an uploaded
// file is a real, sane image and makes the clean copy that production keeps.
package validator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"runtime"
	"time"

	"vigil/domain"
	"vigil/vision"
)

// Clean is what production keeps of an accepted image: a re-encoded JPEG
// (no EXIF, comments or appended bytes survive) and a thumbnail.
type Clean struct {
	JPEG  []byte
	Thumb []byte
}

const (
	cleanQuality = 90
	thumbQuality = 85
	// ThumbWidth is the largest width of a thumbnail.
	ThumbWidth = 320
)

var jpegMagic = []byte{0xFF, 0xD8, 0xFF}

// otherImages are signatures of image formats Vigil does not accept; a file
// starting with one is bad_format rather than not_an_image.
var otherImages = [][]byte{
	[]byte("GIF87a"), []byte("GIF89a"),
	[]byte("BM"),                         // BMP
	[]byte("II*\x00"), []byte("MM\x00*"), // TIFF
	[]byte("RIFF"),                 // WebP (and other RIFF)
	[]byte("\x00\x00\x00\x0cjP  "), // JPEG 2000
	[]byte("\xff\x0a"),             // JPEG XL
	[]byte("8BPS"),                 // Photoshop
	[]byte("\x00\x00\x01\x00"),     // ICO
}

// Inspect applies the validator's rules to data, in order, and stops at the
// first one broken:
//
//  1. size: not empty, at most MaxBytes (empty, too_large);
//  2. signature: JPEG (FF D8 FF) or PNG; another image format is bad_format,
//     anything else not_an_image;
//  3. header: the declared size read without decoding pixels, within
//     MaxPixels, MaxWidth and MaxHeight (corrupt, too_many_pixels);
//  4. structure: the JPEG markers or PNG chunks walked end to end
//     (corrupt, trailing_data, embedded_code; see checkJPEG and checkPNG);
//  5. full decode within DecodeTimeout (corrupt, too_slow), then for a
//     paletted PNG every index inside its palette (corrupt).
//
// The structure walk comes before the full decode: it costs no allocation
// and keeps hostile bytes from the decoder. An accepted verdict carries the
// faces found by fd (nil: no face detection) with boxes normalised to the
// image size, and Clean holds the re-encoded image and its thumbnail; a
// rejected one has a Reason and an empty Clean.
//
// A decode that overruns keeps running in its goroutine until it ends (the
// standard decoders cannot be stopped); the header caps and the scan cap
// bound what it can cost, and it holds one of a fixed number of decode
// slots until it really returns, so overrunning decoders cannot pile up.
// When no slot comes free within DecodeTimeout the error is ErrBusy (a
// transient error, no verdict: retry later). When ctx ends during the
// decode the verdict is too_slow with ctx's error in Detail: a caller that
// cancels should check ctx.Err() before recording it.
func Inspect(ctx context.Context, data []byte, limits domain.VerifyLimits, fd *vision.FaceDetector) (domain.ImageVerdict, Clean, error) {
	v, img, err := verify(ctx, data, limits)
	if err != nil || img == nil {
		return v, Clean{}, err
	}
	v, clean := finish(v, img, fd)
	return v, clean, nil
}

// verify applies rules 1 to 5 of Inspect. It returns the decoded image, or
// nil with a rejected verdict, or an error (no verdict) as Inspect does.
func verify(ctx context.Context, data []byte, limits domain.VerifyLimits) (domain.ImageVerdict, image.Image, error) {
	limits = limits.WithDefaults()
	var v domain.ImageVerdict
	switch {
	case len(data) == 0:
		return v.Reject(domain.EmptyFile, "no bytes"), nil, nil
	case int64(len(data)) > limits.MaxBytes:
		return v.Reject(domain.TooLarge, fmt.Sprintf("%d bytes, the limit is %d", len(data), limits.MaxBytes)), nil, nil
	}
	var (
		decodeConfig func([]byte) (image.Config, error)
		decode       func([]byte) (image.Image, error)
	)
	switch {
	case bytes.HasPrefix(data, jpegMagic):
		v.Format = "jpeg"
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case bytes.HasPrefix(data, pngSignature):
		v.Format = "png"
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	default:
		for _, sig := range otherImages {
			if bytes.HasPrefix(data, sig) {
				return v.Reject(domain.BadFormat, fmt.Sprintf("signature %q: only JPEG and PNG are accepted", sig)), nil, nil
			}
		}
		return v.Reject(domain.NotAnImage, fmt.Sprintf("no JPEG or PNG signature (starts % x)", data[:min(len(data), 8)])), nil, nil
	}

	cfg, err := decodeConfig(data)
	if err != nil {
		return v.Reject(domain.Corrupt, "header: "+err.Error()), nil, nil
	}
	v.Width, v.Height = cfg.Width, cfg.Height
	switch {
	case cfg.Width <= 0 || cfg.Height <= 0:
		return v.Reject(domain.Corrupt, fmt.Sprintf("declared size %dx%d", cfg.Width, cfg.Height)), nil, nil
	case cfg.Width > limits.MaxWidth || cfg.Height > limits.MaxHeight:
		return v.Reject(domain.TooManyPixels, fmt.Sprintf("%dx%d exceeds %dx%d", cfg.Width, cfg.Height, limits.MaxWidth, limits.MaxHeight)), nil, nil
	case int64(cfg.Width)*int64(cfg.Height) > int64(limits.MaxPixels):
		return v.Reject(domain.TooManyPixels, fmt.Sprintf("%dx%d exceeds %d pixels", cfg.Width, cfg.Height, limits.MaxPixels)), nil, nil
	}

	var (
		p          *problem
		paletteLen int
	)
	if v.Format == "jpeg" {
		p = checkJPEG(data)
	} else {
		paletteLen, p = checkPNG(data)
	}
	if p != nil {
		return v.Reject(p.reason, p.detail), nil, nil
	}

	img, reason, detail, err := decodeWithin(ctx, limits, data, decode)
	if err != nil {
		return v, nil, err
	}
	if reason != "" {
		return v.Reject(reason, detail), nil, nil
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return v.Reject(domain.Corrupt, fmt.Sprintf("decoded %dx%d, declared %dx%d", b.Dx(), b.Dy(), cfg.Width, cfg.Height)), nil, nil
	}
	if pi, ok := img.(*image.Paletted); ok && paletteLen > 0 {
		for _, ix := range pi.Pix {
			if int(ix) >= paletteLen {
				return v.Reject(domain.Corrupt, fmt.Sprintf("palette index %d beyond the %d entries of PLTE", ix, paletteLen)), nil, nil
			}
		}
	}

	return v, img, nil
}

// finish runs face detection on img and makes its clean copy, the two at
// once (the re-encode does not need the faces), and accepts v.
func finish(v domain.ImageVerdict, img image.Image, fd *vision.FaceDetector) (domain.ImageVerdict, Clean) {
	var faces []vision.Face
	done := make(chan struct{})
	go func() {
		defer close(done)
		if fd != nil {
			faces = fd.Detect(lumaOf(img), vision.Rect{})
		}
	}()
	clean, err := encodeClean(img)
	<-done
	if err != nil {
		return v.Reject(domain.Corrupt, err.Error()), Clean{}
	}
	w, h := float64(v.Width), float64(v.Height)
	for _, f := range faces {
		v.Faces = append(v.Faces, domain.Face{
			Box:   domain.Box{X0: float64(f.Box.X0) / w, Y0: float64(f.Box.Y0) / h, X1: float64(f.Box.X1) / w, Y1: float64(f.Box.Y1) / h},
			Score: f.Score,
		})
	}
	v.Accepted = true
	return v, clean
}

// encodeClean re-encodes img as a JPEG and makes its thumbnail.
func encodeClean(img image.Image) (Clean, error) {
	var clean Clean
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: cleanQuality}); err != nil {
		return Clean{}, fmt.Errorf("re-encode: %w", err)
	}
	clean.JPEG = bytes.Clone(buf.Bytes())
	buf.Reset()
	var thumb image.Image
	if m, ok := img.(*image.YCbCr); ok {
		thumb = thumbnailYCbCr(m, ThumbWidth)
	} else {
		thumb = thumbnail(img, ThumbWidth)
	}
	if err := jpeg.Encode(&buf, thumb, &jpeg.Options{Quality: thumbQuality}); err != nil {
		return Clean{}, fmt.Errorf("thumbnail: %w", err)
	}
	clean.Thumb = bytes.Clone(buf.Bytes())
	return clean, nil
}

// decodeSlots bounds the decoders running at once, overrunning ones
// included: a decoder holds its slot until it returns, not until its caller
// gives up on it, so runaway decoders cannot pile up beyond the slots.
var decodeSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// minSlotWait is the least time a decode waits for a free slot: a short
// decode timeout bounds the decode, not the queue (slots held by decoders
// of earlier uploads free up within their own timeouts, usually).
var minSlotWait = 5 * time.Second

// ErrBusy is the error of a decode that found no free slot within the
// decode timeout (at least minSlotWait): every slot is held by a running
// decoder. It says nothing of the file; the upload is to be handled again
// later.
var ErrBusy = domain.E("validator: decode", domain.Unavailable, errors.New("busy: every decode slot is held by a running decoder; retry"))

// decodeWithin waits at most the decode timeout (at least minSlotWait) for
// a decode slot, then runs decode in a goroutine holding the slot and waits
// at most the decode timeout for it. A panic in the decoder counts as
// corrupt data. The error is ErrBusy when no slot came free in time, or
// ctx's error when ctx ended while waiting: neither is a verdict on data.
func decodeWithin(ctx context.Context, limits domain.VerifyLimits, data []byte, decode func([]byte) (image.Image, error)) (image.Image, domain.Reason, string, error) {
	wait, cancelWait := context.WithTimeout(ctx, max(limits.DecodeTimeout, minSlotWait))
	select {
	case decodeSlots <- struct{}{}:
		cancelWait()
	case <-wait.Done():
		cancelWait()
		if err := ctx.Err(); err != nil {
			return nil, "", "", fmt.Errorf("validator: decode: %w", err)
		}
		return nil, "", "", ErrBusy
	}
	ctx, cancel := context.WithTimeout(ctx, limits.DecodeTimeout)
	defer cancel()
	type result struct {
		img image.Image
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned decoder does not block
	go func() {
		defer func() { <-decodeSlots }() // only when the decoder really returned
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("decoder panic: %v", r)}
			}
		}()
		img, err := decode(data)
		done <- result{img, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, domain.Corrupt, "decode: " + r.err.Error(), nil
		}
		return r.img, "", "", nil
	case <-ctx.Done():
		return nil, domain.TooSlow, fmt.Sprintf("decode: %v (limit %v)", ctx.Err(), limits.DecodeTimeout), nil
	}
}
