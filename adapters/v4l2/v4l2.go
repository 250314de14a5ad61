//go:build linux && cgo

// Package v4l2 reads a local camera (a USB webcam, the Raspberry Pi camera
// through its V4L2 driver) with go4vl: MJPEG or YUYV frames, at the size
// and rate asked for, turned into luma for the motion kernel. When the
// camera goes away (unplugged, driver reset) or delivers no frame for a
// while it reopens it with back-off, logging the failure.
//
// go4vl's own stream loop allocates every frame and panics on a dequeue
// error, so this package drives the buffers itself with go4vl's v4l2
// calls: mmap'ed buffers, poll, dequeue, process in place, queue again.
package v4l2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/vladimirvivien/go4vl/device"
	v4l "github.com/vladimirvivien/go4vl/v4l2"
	"golang.org/x/sys/unix"

	"vigil/adapters/mjpeg"
	"vigil/ports"
	"vigil/vision"
)

// Config names the device and the format.
type Config struct {
	Device        string // e.g. /dev/video0
	Width, Height int
	FPS           int
	Format        string // "mjpeg" (default) or "yuyv"
	// MaxWidth bounds the luma frame for MJPEG (decoded at 1/2, 1/4 or 1/8
	// to fit; default 320). YUYV frames come at full size: the Monitor
	// halves them.
	MaxWidth int
	// MinBackoff and MaxBackoff bound the wait before reopening the device
	// (doubling with jitter; defaults 1 s and 30 s).
	MinBackoff, MaxBackoff time.Duration
	// StallTimeout is how long the device may deliver no frame before it
	// is closed and opened again (default 10 s).
	StallTimeout time.Duration
	// Log receives the failures (the first at once, then at most one a
	// minute) and the recovery; nil: none are logged.
	Log *slog.Logger
}

// Camera is a V4L2 capture device. Not safe for concurrent use.
type Camera struct {
	cfg     Config
	dev     *device.Device
	bufs    [][]byte
	queued  int // index of the buffer to give back, -1 when none
	used    int // bytes of bufs[queued] the driver filled (BytesUsed)
	dec     *vision.LumaDecoder
	frame   vision.Frame
	jpeg    []byte // the current MJPEG frame, copied
	yuyv    []byte // the current YUYV frame, copied only by Hold
	stride  int    // bytes per YUYV row
	n       int64
	backoff time.Duration
	trouble *mjpeg.Trouble
	// Reopens counts how often the device was opened again; Dropped how
	// many frames could not be used.
	Reopens, Dropped int
}

var _ ports.FrameSource = (*Camera)(nil)

// Open validates cfg; the first Next opens the device.
func Open(cfg Config) (*Camera, error) {
	if cfg.Format == "" {
		cfg.Format = "mjpeg"
	}
	if cfg.Format != "mjpeg" && cfg.Format != "yuyv" {
		return nil, fmt.Errorf("v4l2: format %q: want mjpeg or yuyv", cfg.Format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.FPS <= 0 {
		return nil, fmt.Errorf("v4l2: %dx%d at %d fps", cfg.Width, cfg.Height, cfg.FPS)
	}
	if cfg.MaxWidth <= 0 {
		cfg.MaxWidth = 320
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 10 * time.Second
	}
	return &Camera{cfg: cfg, dec: vision.NewLumaDecoder(0), queued: -1, trouble: mjpeg.NewTrouble(cfg.Log, "v4l2:"+cfg.Device)}, nil
}

func (c *Camera) open() error {
	pf := v4l.PixelFmtMJPEG
	if c.cfg.Format == "yuyv" {
		pf = v4l.PixelFmtYUYV
	}
	dev, err := device.Open(c.cfg.Device,
		device.WithPixFormat(v4l.PixFormat{Width: uint32(c.cfg.Width), Height: uint32(c.cfg.Height), PixelFormat: pf, Field: v4l.FieldNone}),
		device.WithFPS(uint32(c.cfg.FPS)), device.WithBufferSize(4))
	if err != nil {
		return err
	}
	got, err := dev.GetPixFormat()
	if err == nil && got.PixelFormat != pf {
		err = fmt.Errorf("the camera does not offer %s", c.cfg.Format)
	}
	var req v4l.RequestBuffers
	if err == nil {
		req, err = v4l.InitBuffers(dev)
	}
	if err != nil {
		dev.Close()
		return err
	}
	c.dev, c.stride = dev, int(got.BytesPerLine)
	if c.stride == 0 {
		c.stride = 2 * int(got.Width)
	}
	c.frame.Width, c.frame.Height = int(got.Width), int(got.Height) // YUYV size
	c.bufs = c.bufs[:0]
	for i := uint32(0); i < req.Count; i++ {
		b, err := v4l.GetBuffer(dev, i)
		if err == nil {
			var m []byte
			m, err = unix.Mmap(int(dev.Fd()), int64(b.Info.Offset), int(b.Length), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			if err == nil {
				c.bufs = append(c.bufs, m)
				_, err = v4l.QueueBuffer(dev.Fd(), dev.MemIOType(), dev.BufferType(), i)
			}
		}
		if err != nil {
			c.close()
			return fmt.Errorf("buffer %d: %w", i, err)
		}
	}
	if err := v4l.StreamOn(dev); err != nil {
		c.close()
		return err
	}
	return nil
}

func (c *Camera) close() {
	if c.dev == nil {
		return
	}
	v4l.StreamOff(c.dev)
	for _, b := range c.bufs {
		unix.Munmap(b)
	}
	c.bufs, c.queued = c.bufs[:0], -1
	c.dev.Close()
	c.dev = nil
}

// Next returns the next frame's luma, reopening the camera as needed,
// until ctx ends.
func (c *Camera) Next(ctx context.Context) (vision.Frame, error) {
	for {
		if err := ctx.Err(); err != nil {
			return vision.Frame{}, err
		}
		if c.dev == nil {
			if err := c.open(); err != nil {
				err = fmt.Errorf("v4l2: open %s: %w", c.cfg.Device, err)
				c.trouble.Fail(time.Now(), err)
				if err := c.wait(ctx, err); err != nil {
					return vision.Frame{}, err
				}
				continue
			}
		}
		f, err := c.capture(ctx)
		if err == nil {
			c.backoff = 0
			c.trouble.OK()
			return f, nil
		}
		if errors.Is(err, errSkip) {
			c.Dropped++
			continue
		}
		if ctx.Err() != nil {
			continue
		}
		c.trouble.Fail(time.Now(), err)
		c.close() // the device failed or stalled: reopen after a pause
		c.Reopens++
		if err := c.wait(ctx, err); err != nil {
			return vision.Frame{}, err
		}
	}
}

var errSkip = errors.New("v4l2: frame skipped")

// capture waits for a buffer, turns it into luma and queues the previous
// one back (the current one stays dequeued until the next call, so Hold
// can still read it).
func (c *Camera) capture(ctx context.Context) (vision.Frame, error) {
	if c.queued >= 0 {
		if _, err := v4l.QueueBuffer(c.dev.Fd(), c.dev.MemIOType(), c.dev.BufferType(), uint32(c.queued)); err != nil {
			return vision.Frame{}, err
		}
		c.queued = -1
	}
	fds := []unix.PollFd{{Fd: int32(c.dev.Fd()), Events: unix.POLLIN}}
	start := time.Now()
	for {
		if time.Since(start) >= c.cfg.StallTimeout {
			return vision.Frame{}, fmt.Errorf("v4l2: %s: no frame for %s", c.cfg.Device, c.cfg.StallTimeout)
		}
		n, err := unix.Poll(fds, 500)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return vision.Frame{}, err
		}
		if n > 0 {
			break
		}
		if ctx.Err() != nil {
			return vision.Frame{}, ctx.Err()
		}
	}
	if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
		return vision.Frame{}, fmt.Errorf("v4l2: %s: device error", c.cfg.Device)
	}
	buf, err := v4l.DequeueBuffer(c.dev.Fd(), c.dev.MemIOType(), c.dev.BufferType())
	if err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return vision.Frame{}, errSkip
		}
		return vision.Frame{}, err
	}
	c.queued, c.used = int(buf.Index), 0
	if int(buf.Index) >= len(c.bufs) || buf.Flags&v4l.BufFlagError != 0 {
		return vision.Frame{}, errSkip
	}
	c.used = min(int(buf.BytesUsed), len(c.bufs[buf.Index]))
	data := c.bufs[buf.Index][:c.used]
	c.n++
	if c.cfg.Format == "mjpeg" {
		w, _, err := vision.JPEGSize(data)
		if err != nil {
			return vision.Frame{}, errSkip
		}
		scale := 1
		for scale < 8 && (w+scale-1)/scale > c.cfg.MaxWidth {
			scale *= 2
		}
		if err := c.dec.Decode(data, scale, &c.frame); err != nil {
			return vision.Frame{}, errSkip
		}
		return c.frame, nil
	}
	w, h := c.frame.Width, c.frame.Height
	if len(data) < (h-1)*c.stride+2*w {
		return vision.Frame{}, errSkip
	}
	if cap(c.frame.Pix) < w*h {
		c.frame.Pix = make([]byte, w*h)
	}
	c.frame = vision.Frame{Pix: c.frame.Pix[:w*h], Width: w, Height: h, Stride: w}
	vision.YUYVToY(c.frame, data, c.stride)
	return c.frame, nil
}

func (c *Camera) wait(ctx context.Context, cause error) error {
	if c.backoff == 0 {
		c.backoff = c.cfg.MinBackoff
	} else {
		c.backoff = min(2*c.backoff, c.cfg.MaxBackoff)
	}
	t := time.NewTimer(c.backoff/2 + rand.N(c.backoff/2+1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("v4l2: %s: %w (last error: %v)", c.cfg.Device, ctx.Err(), cause)
	case <-t.C:
		return nil
	}
}

// Hold keeps the current frame: the camera's JPEG bytes, or its YUYV
// pixels (encoded in colour only when stored).
func (c *Camera) Hold(s *vision.Still) {
	s.Frame = c.n
	if c.queued < 0 || c.queued >= len(c.bufs) {
		return
	}
	// Only what the driver wrote for this frame: a reused buffer still holds
	// the tail of an older, longer frame after it.
	data := c.bufs[c.queued][:c.used]
	if c.cfg.Format == "mjpeg" {
		if w, _, err := vision.JPEGSize(data); err == nil && w > 0 {
			s.SetJPEG(trimJPEG(data))
		}
		return
	}
	s.SetYUYV(data, c.frame.Width, c.frame.Height, c.stride)
}

// trimJPEG cuts a frame's bytes after its JPEG's EOI marker. It follows
// the marker structure from SOI (segment lengths, then the entropy-coded
// data up to EOI), so padding or stale bytes after the frame are cut even
// when they hold an older frame's end marker (some drivers report the
// whole buffer as used). A frame it cannot follow is cut after its last
// EOI instead.
func trimJPEG(b []byte) []byte {
	if n := jpegEnd(b); n > 0 {
		return b[:n]
	}
	for i := len(b) - 2; i >= 2; i-- {
		if b[i] == 0xFF && b[i+1] == 0xD9 {
			return b[:i+2]
		}
	}
	return b
}

// jpegEnd returns the length of the JPEG at the start of b, up to and
// including its EOI marker, or 0 when b does not hold a whole one.
func jpegEnd(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0
	}
	i := 2
	for i+1 < len(b) {
		if b[i] != 0xFF {
			return 0
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xD9:
			return i + 2
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // standalone markers
			i += 2
			continue
		case m == 0xD8:
			return 0
		}
		if i+3 >= len(b) {
			return 0
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
		if m != 0xDA {
			continue
		}
		// Entropy-coded data: up to a marker that is neither stuffing
		// (FF 00), a fill byte nor a restart (FF D0..D7).
		for ; i+1 < len(b); i++ {
			if b[i] != 0xFF {
				continue
			}
			if n := b[i+1]; n != 0x00 && n != 0xFF && (n < 0xD0 || n > 0xD7) {
				break
			}
		}
	}
	return 0
}

// Close stops streaming and releases the device; safe to call more than once.
func (c *Camera) Close() error {
	c.close()
	return nil
}

// Problem is why the camera delivers no frames, "" while they flow. Safe
// to call from any goroutine.
func (c *Camera) Problem() string { return c.trouble.Problem() }
