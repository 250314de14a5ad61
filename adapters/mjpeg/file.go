package mjpeg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"vigil/ports"
	"vigil/vision"
)

// Options configure a File source.
type Options struct {
	// Scale is the JPEG decode scale (1, 2, 4 or 8); 0 picks the smallest
	// that makes the frame at most MaxWidth wide.
	Scale    int
	MaxWidth int // default 320
	// FPS paces frames in real time; 0 delivers them as fast as possible.
	FPS int
	// Loop restarts the file at its end instead of returning io.EOF.
	Loop bool
	// MaxFrameBytes bounds one JPEG (default 8 MiB); MaxPixels bounds its
	// declared size (default vision.DefaultMaxPixels).
	MaxFrameBytes int
	MaxPixels     int
	// MaxBadFrames is how many undecodable frames in a row are skipped
	// before Next gives up (default 25).
	MaxBadFrames int
}

func (o *Options) defaults() error {
	if o.Scale != 0 && o.Scale != 1 && o.Scale != 2 && o.Scale != 4 && o.Scale != 8 {
		return fmt.Errorf("mjpeg: scale %d: want 1, 2, 4 or 8", o.Scale)
	}
	if o.FPS < 0 || o.FPS > 1000 {
		return fmt.Errorf("mjpeg: fps %d outside 0..1000", o.FPS)
	}
	if o.MaxWidth <= 0 {
		o.MaxWidth = 320
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 8 << 20
	}
	if o.MaxBadFrames <= 0 {
		o.MaxBadFrames = 25
	}
	return nil
}

// File is a camera that plays an MJPEG file (concatenated JPEG frames).
// It is not safe for concurrent use.
type File struct {
	path    string
	o       Options
	f       *os.File
	rd      *Reader
	dec     *vision.LumaDecoder
	frame   vision.Frame
	jpeg    []byte
	n       int // frames delivered
	dropped int
	next    time.Time
}

var _ ports.FrameSource = (*File)(nil)

// OpenFile opens path for reading.
func OpenFile(path string, o Options) (*File, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mjpeg: %w", err)
	}
	return &File{path: path, o: o, f: f, rd: NewReader(f, o.MaxFrameBytes), dec: vision.NewLumaDecoder(o.MaxPixels)}, nil
}

// Next decodes the next frame's luma. Undecodable frames are skipped and
// counted (Dropped); at the end of the file it returns io.EOF unless Loop.
func (s *File) Next(ctx context.Context) (vision.Frame, error) {
	if err := s.wait(ctx); err != nil {
		return vision.Frame{}, err
	}
	bad := 0
	for {
		data, err := s.rd.Next()
		if errors.Is(err, io.EOF) && s.o.Loop && s.n > 0 {
			if _, err := s.f.Seek(0, io.SeekStart); err != nil {
				return vision.Frame{}, fmt.Errorf("mjpeg: rewind %s: %w", s.path, err)
			}
			s.rd = NewReader(s.f, s.o.MaxFrameBytes)
			continue
		}
		if errors.Is(err, io.EOF) {
			return vision.Frame{}, io.EOF
		}
		if err == nil {
			err = s.decode(data)
		}
		if err == nil {
			s.jpeg = data
			s.n++
			return s.frame, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) && !s.o.Loop {
			s.dropped++
			return vision.Frame{}, io.EOF // a file cut inside its last frame
		}
		s.dropped++
		if bad++; bad >= s.o.MaxBadFrames {
			return vision.Frame{}, fmt.Errorf("mjpeg: %s: %d bad frames in a row, last: %w", s.path, bad, err)
		}
		if err := ctx.Err(); err != nil {
			return vision.Frame{}, err
		}
	}
}

func (s *File) decode(data []byte) error { return decode(s.dec, data, s.o, &s.frame) }

// decode turns a JPEG into luma at the configured scale, or at the smallest
// one that makes it at most MaxWidth wide.
func decode(dec *vision.LumaDecoder, data []byte, o Options, dst *vision.Frame) error {
	scale := o.Scale
	if scale == 0 {
		w, _, err := vision.JPEGSize(data)
		if err != nil {
			return err
		}
		for scale = 1; scale < 8 && (w+scale-1)/scale > o.MaxWidth; scale *= 2 {
		}
	}
	return dec.Decode(data, scale, dst)
}

func (s *File) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.o.FPS == 0 {
		return nil
	}
	now := time.Now()
	if s.next.IsZero() {
		s.next = now
	}
	if d := s.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	s.next = s.next.Add(time.Second / time.Duration(s.o.FPS))
	return nil
}

// Hold keeps the camera's JPEG bytes of the current frame, unchanged.
func (s *File) Hold(st *vision.Still) {
	st.SetJPEG(s.jpeg)
	st.Frame = int64(s.n)
}

// JPEG returns the camera's bytes of the frame Next returned last; valid
// until the next call.
func (s *File) JPEG() []byte { return s.jpeg }

// Dropped counts frames that could not be read or decoded.
func (s *File) Dropped() int { return s.dropped }

// Close closes the file; it is safe to call more than once.
func (s *File) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
