package domain

import "time"

// Box is a rectangle in normalised frame coordinates (0..1), so it means the
// same on the analysis frame and on the camera's full-size snapshot.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Empty reports whether b covers nothing.
func (b Box) Empty() bool { return b.X0 >= b.X1 || b.Y0 >= b.Y1 }

// SnapshotKind says why a frame of an event was kept.
type SnapshotKind string

const (
	FirstSnapshot SnapshotKind = "first" // the frame that started the event
	PeakSnapshot  SnapshotKind = "peak"  // the frame with the highest score
	LastSnapshot  SnapshotKind = "last"  // the last frame with motion
)

// Snapshot is one stored JPEG of an event.
type Snapshot struct {
	Kind  SnapshotKind
	Frame int64 // frame number since the source started
	Time  time.Time
	Name  string // file name, unique within the event: {eventID}-{n}.jpg
	Bytes int
}

// Face is a face found in an event's snapshot, in normalised coordinates.
type Face struct {
	Box   Box
	Score float64
}

// Event is one episode of motion.
type Event struct {
	ID           EventID
	Start, End   time.Time // End is zero while the event runs
	PeakScore    float64   // highest percentage of watched cells changed
	PeakAt       time.Time
	BBox         Box // union of the changed area over the event
	ChangedCells int // at the peak
	Frames       int // motion frames seen
	Snapshots    []Snapshot
	Faces        []Face
}

// Running reports whether the event has not ended yet.
func (e *Event) Running() bool { return e.End.IsZero() }
