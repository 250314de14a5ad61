package mjpeg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"vigil/ports"
	"vigil/vision"
)

// HTTPOptions configure an HTTP stream source.
type HTTPOptions struct {
	Options
	// Client makes the requests; default: one without overall timeout (a
	// stream never ends) that waits at most 5 s to connect and 10 s for the
	// response's header.
	Client *http.Client
	// MinBackoff and MaxBackoff bound the wait before reconnecting after the
	// stream broke (doubling with jitter). Defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// StallTimeout is how long a connected stream may send no frame before
	// it is dropped and opened again (default 10 s).
	StallTimeout time.Duration
	// Log receives the failures (the first at once, then at most one a
	// minute) and the recovery; nil: none are logged.
	Log *slog.Logger
}

// HTTP is a camera that serves MJPEG over HTTP, as multipart/x-mixed-replace
// (what IP cameras and most "MJPEG stream" URLs send) or as plain
// concatenated JPEGs. When the stream breaks or stalls it reconnects with
// exponential back-off; Next keeps waiting meanwhile. It is not safe for
// concurrent use, except Problem.
type HTTP struct {
	url     string
	shown   string // url, redacted
	o       HTTPOptions
	dec     *vision.LumaDecoder
	frame   vision.Frame
	jpeg    []byte
	n       int
	dropped int
	body    io.Closer
	raw     *Reader
	watch   *time.Timer // closes body when no frame came for StallTimeout
	stalled atomic.Bool // the watch closed the body
	backoff time.Duration
	trouble *Trouble
	// Reconnects counts how often the stream was opened again.
	Reconnects int
}

var _ ports.FrameSource = (*HTTP)(nil)

// OpenHTTP prepares the source; the first Next connects.
func OpenHTTP(rawURL string, o HTTPOptions) (*HTTP, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mjpeg: %s: not an http:// or https:// URL", RedactURL(rawURL))
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: transport()}
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 10 * time.Second
	}
	shown := RedactURL(rawURL)
	return &HTTP{url: rawURL, shown: shown, o: o, dec: vision.NewLumaDecoder(o.MaxPixels), trouble: NewTrouble(o.Log, shown)}, nil
}

// transport is the default client's: bounded waits to connect and for the
// response's header, so a camera that accepts and says nothing is retried.
func transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 10 * time.Second
	return t
}

func (s *HTTP) connect(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return fmt.Errorf("mjpeg: %s: %w", s.shown, err)
	}
	resp, err := s.o.Client.Do(req)
	if err != nil {
		// The client's *url.Error names the URL with its query: say it
		// redacted.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("mjpeg: %s: %w", s.shown, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return fmt.Errorf("mjpeg: %s: %s", s.shown, resp.Status)
	}
	// Multipart framing is not needed: the marker-following Reader skips the
	// part headers between frames and returns each frame as soon as its EOI
	// arrives (a multipart parser would wait for the next boundary, a frame
	// late).
	s.body = resp.Body
	s.raw = NewReader(resp.Body, s.o.MaxFrameBytes)
	body := resp.Body
	s.stalled.Store(false)
	s.watch = time.AfterFunc(s.o.StallTimeout, func() {
		s.stalled.Store(true)
		body.Close() // the blocked read returns: Next reconnects
	})
	return nil
}

func (s *HTTP) disconnect() {
	if s.watch != nil {
		s.watch.Stop()
		s.watch = nil
	}
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
				if ctx.Err() == nil {
					s.trouble.Fail(time.Now(), err)
				}
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
			s.watch.Reset(s.o.StallTimeout)
			s.jpeg = append(s.jpeg[:0], data...)
			s.n++
			s.backoff = 0
			s.trouble.OK()
			return s.frame, nil
		}
		s.dropped++
		decodeErr := errors.Is(err, vision.ErrCorrupt) || errors.Is(err, vision.ErrUnsupported) || errors.Is(err, vision.ErrTooLarge)
		if !decodeErr { // the stream itself broke or stalled: reconnect after a pause
			s.disconnect()
			if ctx.Err() != nil {
				continue
			}
			if s.stalled.Load() {
				err = fmt.Errorf("no frame for %s", s.o.StallTimeout)
			}
			s.trouble.Fail(time.Now(), fmt.Errorf("mjpeg: %s: stream: %w", s.shown, err))
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

// Problem is why the camera sends no frames (its URL redacted), "" while
// they flow. Safe to call from any goroutine.
func (s *HTTP) Problem() string { return s.trouble.Problem() }

// Close ends the stream; it is safe to call more than once.
func (s *HTTP) Close() error {
	s.disconnect()
	return nil
}
