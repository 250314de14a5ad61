// Package ports holds the small interfaces the apps need from the outside
// world, in domain terms. Each is owned by the app that uses it and has a
// real adapter and an in-memory twin.
package ports

import (
	"context"
	"time"

	"vigil/domain"
	"vigil/vision"
)

// FrameSource delivers camera frames as 8-bit luma. Used by app/edge;
// implemented by adapters/synthetic and adapters/mjpeg (and v4l2).
type FrameSource interface {
	// Next blocks until the next frame. The frame stays valid until the
	// next call. io.EOF ends a finite source.
	Next(ctx context.Context) (vision.Frame, error)
	// Hold copies the frame Next returned last into s, to be stored later:
	// the camera's JPEG bytes when it sends JPEG, its pixels otherwise.
	Hold(s *vision.Still)
}

// EventStore keeps the edge's events durably. A snapshot's file, its entry
// in the event and its upload entry in the outbox are written as one step:
// after a crash either all of them exist or none. Used by app/edge;
// implemented by adapters/bbolt (with adapters/disk for the files) and
// adapters/inmem.
type EventStore interface {
	// SaveEvent creates or updates the event's record (not its snapshots).
	SaveEvent(ctx context.Context, ev *domain.Event) error
	// AddSnapshot stores jpeg as snap of ev, appends snap to ev.Snapshots
	// and queues it for upload.
	AddSnapshot(ctx context.Context, ev *domain.Event, snap domain.Snapshot, jpeg []byte) error
}

// Alerter tells the world about an event (a GPIO pulse, a webhook). Alerts
// run off the capture path; a failed alert is retried by its adapter and
// never blocks capture. Used by app/edge; implemented by adapters/gpiod,
// adapters/webhook and adapters/inmem.
type Alerter interface {
	Alert(ctx context.Context, ev domain.Event) error
}

// Pruner frees snapshot space: while the files use more than quota bytes or
// the disk has less than minFree bytes free, it deletes snapshots, uploaded
// ones first, oldest first. Used by app/edge's Retention; implemented by
// adapters/bbolt.
type Pruner interface {
	Prune(ctx context.Context, quota, minFree int64) (removed []string, err error)
}

// Outbox is the durable queue of snapshots waiting for upload. Used by
// app/edge's Uploader; implemented by adapters/bbolt and adapters/inmem.
type Outbox interface {
	// Pending returns up to limit uploads due at now, oldest first.
	Pending(ctx context.Context, now time.Time, limit int) ([]domain.Upload, error)
	// Uploaded removes the snapshot from the queue: the cloud has it.
	Uploaded(ctx context.Context, name string, at time.Time) error
	// Failed records a failed attempt and when to try again.
	Failed(ctx context.Context, name string, next time.Time, reason string) error
}

// SnapshotReader reads a stored snapshot's bytes (a domain NotFound error
// when retention deleted it meanwhile). Used by app/edge's Uploader;
// implemented by adapters/disk and adapters/inmem.
type SnapshotReader interface {
	Read(name string) ([]byte, error)
}

// UploadGranter asks the cloud for permission to upload one snapshot.
// Used by app/edge's Uploader; implemented by adapters/cloudapi.
type UploadGranter interface {
	Grant(ctx context.Context, u domain.Upload) (domain.UploadGrant, error)
}

// ObjectPutter sends a snapshot's bytes with a grant. Used by app/edge's
// Uploader; implemented by adapters/s3 (presigned requests).
type ObjectPutter interface {
	Put(ctx context.Context, g domain.UploadGrant, body []byte) error
}

// DeviceStatusSource asks the cloud what it knows of this device: its
// license and seats, and the snapshots it rejected at or after since (zero:
// the most recent ones). Used by app/edge's CloudWatch; implemented by
// adapters/cloudapi and adapters/inmem.
type DeviceStatusSource interface {
	DeviceStatus(ctx context.Context, since time.Time) (domain.DeviceStatus, error)
}

// RejectionMarker records on a stored snapshot that the cloud rejected it,
// at at, for reason. Marking a marked snapshot keeps the first mark; an
// unknown snapshot is a domain NotFound error. Used by app/edge's
// CloudWatch; implemented by adapters/bbolt and adapters/inmem.
type RejectionMarker interface {
	MarkRejected(ctx context.Context, name string, at time.Time, reason string) error
}
