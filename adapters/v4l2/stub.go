//go:build !(linux && cgo)

// Package v4l2 reads a local camera through Video4Linux2. This build has
// no V4L2 support (it needs Linux and cgo); Open says so.
package v4l2

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"vigil/vision"
)

// Config names the device and the format.
type Config struct {
	Device                 string
	Width, Height, FPS     int
	Format                 string
	MaxWidth               int
	MinBackoff, MaxBackoff time.Duration
	StallTimeout           time.Duration
	Log                    *slog.Logger
}

// Camera is unavailable in this build.
type Camera struct{}

// ErrUnsupported is returned by Open in builds without V4L2.
var ErrUnsupported = errors.New("v4l2: this build has no V4L2 support (it needs linux and cgo)")

// Open fails: there is no V4L2 in this build.
func Open(Config) (*Camera, error) { return nil, ErrUnsupported }

func (*Camera) Next(context.Context) (vision.Frame, error) { return vision.Frame{}, ErrUnsupported }
func (*Camera) Hold(*vision.Still)                         {}
func (*Camera) Close() error                               { return nil }

// Problem says that this build has no V4L2.
func (*Camera) Problem() string { return ErrUnsupported.Error() }
