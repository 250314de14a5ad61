package domain

import (
	"regexp"
	"time"
)

// The cloud's records. IDs are checked against strict patterns before any
// use (in keys, in queries); see ValidAccountID and ValidDeviceID.

var (
	accountIDPattern = regexp.MustCompile(`^acct_[0-9A-HJKMNP-TV-Z]{26}$`)
	deviceIDPattern  = regexp.MustCompile(`^dev_[0-9A-HJKMNP-TV-Z]{26}$`)
)

// ValidAccountID reports whether id has the form acct_<26 Crockford base-32>.
func ValidAccountID(id string) bool { return accountIDPattern.MatchString(id) }

// ValidDeviceID reports whether id has the form dev_<26 Crockford base-32>.
func ValidDeviceID(id string) bool { return deviceIDPattern.MatchString(id) }

// LicenseState is a license's administrative state; expiry is checked
// separately against its Expires time.
type LicenseState string

const (
	LicenseActive    LicenseState = "active"
	LicenseSuspended LicenseState = "suspended"
)

// License lets one account attach up to Seats devices until Expires.
type License struct {
	AccountID string
	KeyHash   string // the key itself is shown once and never stored
	Seats     int
	SeatsUsed int
	State     LicenseState
	Issued    time.Time
	Expires   time.Time
}

// Status returns "active", "expired" or "suspended" at now.
func (l License) Status(now time.Time) string {
	switch {
	case l.State == LicenseSuspended:
		return "suspended"
	case !l.Expires.IsZero() && !now.Before(l.Expires):
		return "expired"
	default:
		return "active"
	}
}

// Active reports whether the license admits uploads and enrollments at now.
func (l License) Active(now time.Time) bool { return l.Status(now) == "active" }

// Device is one enrolled edge device of an account.
type Device struct {
	AccountID  string
	ID         string
	Name       string
	SecretHash string
	Enrolled   time.Time
	Revoked    bool
	RevokedAt  time.Time
	LastUpload time.Time
}

// Standing is what the validator needs to know about an upload's origin:
// the device and its account's license, as stored.
type Standing struct {
	Device  Device
	License License
}

// Check returns "" when an upload from this device is admissible at now,
// otherwise the reason to reject it.
func (s Standing) Check(now time.Time) Reason {
	switch {
	case s.Device.Revoked:
		return DeviceRevoked
	case !s.License.Active(now):
		return LicenseInactive
	}
	return ""
}

// ImageRecord is the metadata of one verified image in production.
type ImageRecord struct {
	AccountID  string
	DeviceID   string
	ID         string // "{eventID}-{n}", unique per device
	EventID    string
	TakenAt    time.Time // the event ID's time
	VerifiedAt time.Time
	Key        string // production object key (images/...)
	ThumbKey   string // production thumbnail key (thumbs/...)
	SourceKey  string // the upload object's key
	Bytes      int64  // of the clean copy
	Width      int
	Height     int
	SHA256     string // hex, of the uploaded bytes
	Faces      []Face // boxes normalised to the image
}

// Rejection is the record of one quarantined upload.
type Rejection struct {
	AccountID     string
	DeviceID      string
	ID            string // "{eventID}-{n}" when the key parsed, else a hash of the key
	SourceKey     string
	QuarantineKey string
	Reason        Reason
	Detail        string
	Bytes         int64
	SHA256        string
	RejectedAt    time.Time
}

// UploadVerdict is the validator's decision on one upload, recorded once and for
// good before any of its effects (a quarantine copy, an item, a clean
// copy), so that every later or concurrent delivery of the upload follows
// it rather than judging the upload again.
type UploadVerdict struct {
	// The upload: its account, device and ID ({eventID}-{n}). A key that
	// did not parse has an ID of its own and, when it named none, no
	// valid account or device.
	AccountID, DeviceID, ID string
	// Accepted, or rejected for Reason (Detail says more).
	Accepted bool
	Reason   Reason
	Detail   string
	// The upload as judged: its key, length and SHA-256 (hex; empty when
	// it was not read).
	SourceKey string
	Bytes     int64
	SHA256    string
	// At is when the verdict was reached.
	At time.Time
}
