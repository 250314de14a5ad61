// Package mjpeg reads Motion-JPEG: streams of concatenated JPEG frames from a
// file (as cameras record them) or an HTTP multipart stream (as IP cameras
// serve them), and turns each frame into scaled luma with the vision
// package's own decoder. The frame's original JPEG bytes stay available, so
// snapshots are stored exactly as the camera sent them.
package mjpeg

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
)

// ErrFrameTooLarge is returned when a frame exceeds the reader's byte limit.
var ErrFrameTooLarge = errors.New("mjpeg: frame too large")

// Reader splits a byte stream into JPEG frames. It follows the JPEG marker
// structure (segment lengths, entropy-coded data, restart markers) instead
// of searching for FF D9, so an EXIF thumbnail's end marker does not cut a
// frame short. Bytes between frames are skipped.
type Reader struct {
	r   *bufio.Reader
	max int
	buf []byte
	len [2]byte // a segment's length; a field, so reading it allocates nothing
}

// NewReader reads frames of at most maxFrame bytes from r.
func NewReader(r io.Reader, maxFrame int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), max: maxFrame}
}

// Next returns the next frame, from SOI to EOI inclusive. The slice is valid
// until the next call. At the end of the stream it returns io.EOF; a frame
// cut short returns io.ErrUnexpectedEOF.
func (r *Reader) Next() ([]byte, error) {
	r.buf = r.buf[:0]
	// Find SOI: FF D8.
	for {
		b, err := r.r.ReadByte()
		if err != nil {
			return nil, err // io.EOF between frames is the clean end
		}
		if b != 0xFF {
			continue
		}
		b, err = r.r.ReadByte()
		if err != nil {
			return nil, eof(err)
		}
		if b == 0xD8 {
			break
		}
		if b == 0xFF {
			_ = r.r.UnreadByte()
		}
	}
	r.buf = append(r.buf, 0xFF, 0xD8)
	m, err := r.marker()
	for err == nil {
		switch {
		case m == 0xD9: // EOI
			return r.buf, nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // standalone
			m, err = r.marker()
			continue
		case m == 0xD8:
			return nil, fmt.Errorf("mjpeg: SOI inside a frame")
		}
		if err = r.segment(); err != nil {
			break
		}
		if m == 0xDA { // SOS: entropy-coded data up to the next marker
			m, err = r.entropy()
		} else {
			m, err = r.marker()
		}
	}
	return nil, err
}

// marker reads FF (fill bytes allowed) and the marker code.
func (r *Reader) marker() (byte, error) {
	b, err := r.r.ReadByte()
	if err != nil {
		return 0, eof(err)
	}
	if b != 0xFF {
		return 0, fmt.Errorf("mjpeg: expected a marker, found %#02x", b)
	}
	for b == 0xFF {
		if b, err = r.r.ReadByte(); err != nil {
			return 0, eof(err)
		}
	}
	return b, r.put(0xFF, b)
}

// segment copies a length-prefixed segment.
func (r *Reader) segment() error {
	l := r.len[:]
	if _, err := io.ReadFull(r.r, l); err != nil {
		return eof(err)
	}
	n := int(l[0])<<8 | int(l[1])
	if n < 2 {
		return fmt.Errorf("mjpeg: segment length %d", n)
	}
	if len(r.buf)+n > r.max {
		return fmt.Errorf("%w: more than %d bytes", ErrFrameTooLarge, r.max)
	}
	r.buf = append(r.buf, l[0], l[1])
	start := len(r.buf)
	r.buf = slices.Grow(r.buf, n-2)[:start+n-2]
	if _, err := io.ReadFull(r.r, r.buf[start:]); err != nil {
		return eof(err)
	}
	return nil
}

// entropy copies entropy-coded data up to the next marker that is neither
// stuffing (FF 00) nor a restart (FF D0..D7) and returns that marker's code.
func (r *Reader) entropy() (byte, error) {
	for {
		chunk, err := r.r.ReadSlice(0xFF)
		if err != nil && err != bufio.ErrBufferFull {
			return 0, eof(err)
		}
		if err := r.put(chunk...); err != nil {
			return 0, err
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		c, err := r.r.ReadByte()
		for err == nil && c == 0xFF { // fill bytes before a marker
			c, err = r.r.ReadByte()
		}
		if err != nil {
			return 0, eof(err)
		}
		if err := r.put(c); err != nil {
			return 0, err
		}
		if c != 0x00 && (c < 0xD0 || c > 0xD7) {
			return c, nil
		}
	}
}

func (r *Reader) put(b ...byte) error {
	if len(r.buf)+len(b) > r.max {
		return fmt.Errorf("%w: more than %d bytes", ErrFrameTooLarge, r.max)
	}
	r.buf = append(r.buf, b...)
	return nil
}

func eof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
