package mjpeg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"vigil/ports"
	"vigil/vision"
)

// HTTPOptions configure an HTTP stream source.
type HTTPOptions struct {
	Options
	Client *http.Client // default: a client without overall timeout
	// MinBackoff and MaxBackoff bound the wait before reconnecting after the
	// stream broke (doubling with jitter). Defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
}

// HTTP is a camera that serves MJPEG over HTTP, as multipart/x-mixed-replace
// (what IP cameras and most "MJPEG stream" URLs send) or as plain
// concatenated JPEGs. When the stream
// breaks it reconnects with exponential back-off; Next keeps waiting
// meanwhile. It is not safe for concurrent use.
type HTTP struct {
	url     string
	o       HTTPOptions
	dec     *vision.LumaDecoder
	frame   vision.Frame
	jpeg    []byte
	n       int
	dropped int
	body    io.Closer
	raw     *Reader
	backoff time.Duration
	// Reconnects counts how often the stream was opened again.
	Reconnects int
}

var _ ports.FrameSource = (*HTTP)(nil)

// OpenHTTP prepares the source; the first Next connects.
func OpenHTTP(url string, o HTTPOptions) (*HTTP, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	return &HTTP{url: url, o: o, dec: vision.NewLumaDecoder(o.MaxPixels)}, nil
}

func (s *HTTP) connect(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return err
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("mjpeg: %s: %s", s.url, resp.Status)
	}
	// Multipart framing is not needed: the marker-following Reader skips the
	// part headers between frames and returns each frame as soon as its EOI
	// arrives (a multipart parser would wait for the next boundary, a frame
	// late).
	s.body = resp.Body
	s.raw = NewReader(resp.Body, s.o.MaxFrameBytes)
	return nil
}

func (s *HTTP) disconnect() {
	if s.body != nil {
		s.body.Close()
		s.body, s.raw = nil, nil
	}
}

// Next returns the next decodable frame, reconnecting as needed, until ctx ends.
func (s *HTTP) Next(ctx context.Context) (vision.Frame, error) {
	for {
		if err := ctx.Err(); err != nil {
			s.disconnect()
			return vision.Frame{}, err
		}
		if s.body == nil {
			if err := s.connect(ctx); err != nil {
				if err := s.wait(ctx); err != nil {
					return vision.Frame{}, err
				}
				continue
			}
		}
		data, err := s.raw.Next()
		if err == nil {
			err = decode(s.dec, data, s.o.Options, &s.frame)
		}
		if err == nil {
			s.jpeg = append(s.jpeg[:0], data...)
			s.n++
			s.backoff = 0
			return s.frame, nil
		}
		s.dropped++
		var decodeErr bool
		decodeErr = errors.Is(err, vision.ErrCorrupt) || errors.Is(err, vision.ErrUnsupported) || errors.Is(err, vision.ErrTooLarge)
		if !decodeErr { // the stream itself broke: reconnect after a pause
			s.disconnect()
			s.Reconnects++
			if err := s.wait(ctx); err != nil {
				return vision.Frame{}, err
			}
		}
	}
}

func (s *HTTP) wait(ctx context.Context) error {
	if s.backoff == 0 {
		s.backoff = s.o.MinBackoff
	} else {
		s.backoff = min(2*s.backoff, s.o.MaxBackoff)
	}
	d := s.backoff/2 + rand.N(s.backoff/2+1) // jitter: [b/2, b]
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Hold keeps the camera's JPEG bytes of the current frame, unchanged.
func (s *HTTP) Hold(st *vision.Still) {
	st.SetJPEG(s.jpeg)
	st.Frame = int64(s.n)
}

// Dropped counts frames that could not be read or decoded.
func (s *HTTP) Dropped() int { return s.dropped }

// Close ends the stream; it is safe to call more than once.
func (s *HTTP) Close() error {
	s.disconnect()
	return nil
}
