package domain

import "time"

// MaxDeviceRejections bounds the rejections one device status carries.
const MaxDeviceRejections = 100

// SeatStatus is a license as a device sees it: its state as the cloud
// judged it when asked ("active", "expired" or "suspended"; "" when the
// account has no license) and its seats.
type SeatStatus struct {
	Status    string
	Seats     int
	SeatsUsed int
	Expires   time.Time
}

// SeatStatusOf is l's SeatStatus at now.
func SeatStatusOf(l License, now time.Time) SeatStatus {
	return SeatStatus{Status: l.Status(now), Seats: l.Seats, SeatsUsed: l.SeatsUsed, Expires: l.Expires}
}

// SnapshotRejection is one of a device's snapshots that the cloud
// quarantined instead of verifying.
type SnapshotRejection struct {
	Name   string // the snapshot's file name, {eventID}-{n}.jpg
	Reason Reason
	Detail string // for people; may be empty
	At     time.Time
}

// Text is the rejection's reason for people: the reason and its detail.
func (r SnapshotRejection) Text() string {
	if r.Detail == "" {
		return string(r.Reason)
	}
	return string(r.Reason) + ": " + r.Detail
}

// DeviceStatus is what the cloud tells an enrolled device about itself:
// its name, its account's license and seats, and its most recent rejected
// snapshots, newest first.
type DeviceStatus struct {
	DeviceID string
	Name     string
	License  SeatStatus
	Rejected []SnapshotRejection
}

// UploadState is a snapshot's state towards the cloud: "queued" while it
// waits in the outbox, "uploaded" once the object store took it, and
// "rejected" once the cloud reported that it quarantined it.
func (s Snapshot) UploadState() string {
	switch {
	case !s.Rejected.IsZero():
		return "rejected"
	case !s.Uploaded.IsZero():
		return "uploaded"
	}
	return "queued"
}
