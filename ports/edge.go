// Package ports holds the small interfaces the apps need from the outside
// world, in domain terms. Each is owned by the app that uses it and has a
// real adapter and an in-memory twin.
package ports

import (
	"context"

	"vigil/vision"
)

// FrameSource delivers camera frames as 8-bit luma. Used by app/edge;
// implemented by adapters/synthetic (and, as they land, v4l2 and mjpeg).
type FrameSource interface {
	// Next blocks until the next frame. The frame stays valid until the
	// next call. io.EOF ends a finite source.
	Next(ctx context.Context) (vision.Frame, error)
}
