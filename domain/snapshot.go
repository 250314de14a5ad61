package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
	// Uploaded is when the cloud accepted the file; zero while it waits in
	// the outbox.
	Uploaded time.Time
	// Rejected is when the cloud reported that it quarantined the file
	// instead of verifying it, and RejectReason why (zero and "" while no
	// rejection is known).
	Rejected     time.Time
	RejectReason string
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

// SnapshotName is the file name of an event's n-th snapshot (n from 1).
func SnapshotName(id EventID, n int) string { return fmt.Sprintf("%s-%d.jpg", id, n) }

// ParseSnapshotName checks a snapshot file name strictly ({eventID}-{n}.jpg,
// n in 1..999999 without leading zeros): names become paths and object keys.
func ParseSnapshotName(name string) (EventID, int, error) {
	bad := func(why string) (EventID, int, error) {
		return "", 0, E("snapshot name", Invalid, fmt.Errorf("%q: %s", name, why))
	}
	base, ok := strings.CutSuffix(name, ".jpg")
	if !ok {
		return bad("want {eventID}-{n}.jpg")
	}
	idText, nText, ok := strings.Cut(base, "-")
	if !ok {
		return bad("want {eventID}-{n}.jpg")
	}
	id, err := ParseEventID(idText)
	if err != nil {
		return "", 0, E("snapshot name", Invalid, fmt.Errorf("%q: %w", name, err))
	}
	if len(nText) == 0 || len(nText) > 6 || nText[0] == '0' {
		return bad("sequence number must be 1..999999")
	}
	for i := 0; i < len(nText); i++ {
		if nText[i] < '0' || nText[i] > '9' {
			return bad("sequence number must be 1..999999")
		}
	}
	n, _ := strconv.Atoi(nText)
	return id, n, nil
}

// MaxReason is how many bytes of a reason (why an upload failed, why the
// cloud rejected a snapshot) the edge keeps.
const MaxReason = 512

// ShortReason cuts reason to MaxReason bytes, never in the middle of a
// UTF-8 character.
func ShortReason(reason string) string {
	if len(reason) <= MaxReason {
		return reason
	}
	return strings.ToValidUTF8(reason[:MaxReason], "")
}
