package domain

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Account is one customer of vigil-cloud: its users sign in to the web app,
// its license admits its devices, and every record it owns is kept under
// its ID.
type Account struct {
	ID      string
	Email   string // the owner's sign-in address, normalised
	Created time.Time
}

// User is a person who signs in to an account's web app.
type User struct {
	Email        string // normalised (NormalizeEmail)
	AccountID    string
	PasswordHash string // a self-describing hash (argon2id), never the password
	Created      time.Time
}

// NewAccountID makes an account ID (acct_ + a ULID of t and entropy).
func NewAccountID(t time.Time, entropy [10]byte) string {
	return "acct_" + string(NewEventID(t, entropy))
}

// NewDeviceID makes a device ID (dev_ + a ULID of t and entropy).
func NewDeviceID(t time.Time, entropy [10]byte) string {
	return "dev_" + string(NewEventID(t, entropy))
}

// NormalizeEmail checks an e-mail address (a bare address, at most 254
// bytes) and returns it in lower case.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) { return "", E("email", Invalid, fmt.Errorf("%q: %s", s, why)) }
	if s == "" {
		return bad("empty")
	}
	if len(s) > 254 {
		return bad("longer than 254 bytes")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return bad("not a bare e-mail address")
	}
	if !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return bad("the domain has no dot")
	}
	return strings.ToLower(s), nil
}

// Password length bounds (in characters): long enough to resist guessing,
// short enough that hashing a hostile one stays cheap.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// CheckPassword applies the password rules for a new password.
func CheckPassword(p string) error {
	n := utf8.RuneCountInString(p)
	switch {
	case !utf8.ValidString(p):
		return E("password", Invalid, errors.New("not valid UTF-8"))
	case n < MinPasswordLen:
		return E("password", Invalid, fmt.Errorf("shorter than %d characters", MinPasswordLen))
	case n > MaxPasswordLen:
		return E("password", Invalid, fmt.Errorf("longer than %d characters", MaxPasswordLen))
	case strings.TrimSpace(p) == "":
		return E("password", Invalid, errors.New("blank"))
	}
	return nil
}

// MaxSeats bounds a license's seat count.
const MaxSeats = 10000

// NewLicense checks the terms of a license to issue at now.
func NewLicense(accountID, keyHash string, seats int, expires, now time.Time) (License, error) {
	var errs []error
	if !ValidAccountID(accountID) {
		errs = append(errs, fmt.Errorf("account %q: want acct_<ULID>", accountID))
	}
	if seats < 1 || seats > MaxSeats {
		errs = append(errs, fmt.Errorf("seats %d: want 1..%d", seats, MaxSeats))
	}
	if !expires.After(now) {
		errs = append(errs, fmt.Errorf("expires %s: not in the future", expires.UTC().Format(time.RFC3339)))
	}
	if keyHash == "" {
		errs = append(errs, errors.New("no key hash"))
	}
	if len(errs) > 0 {
		return License{}, E("license", Invalid, errors.Join(errs...))
	}
	return License{AccountID: accountID, KeyHash: keyHash, Seats: seats, State: LicenseActive, Issued: now, Expires: expires}, nil
}

// CanEnroll returns nil when the license admits one more device at now,
// otherwise an Unlicensed error that says why.
func (l License) CanEnroll(now time.Time) error {
	switch l.Status(now) {
	case "suspended":
		return E("enroll", Unlicensed, errors.New("the license is suspended"))
	case "expired":
		return E("enroll", Unlicensed, fmt.Errorf("the license expired on %s", l.Expires.UTC().Format("2006-01-02")))
	}
	if l.SeatsUsed >= l.Seats {
		return E("enroll", Unlicensed, fmt.Errorf("all %d seats of the license are taken: revoke a device first", l.Seats))
	}
	return nil
}

// SeatsFree is the number of devices the license still admits.
func (l License) SeatsFree() int { return max(0, l.Seats-l.SeatsUsed) }

// ValidDeviceName checks a device's display name: 1..64 printable
// characters.
func ValidDeviceName(name string) error {
	if strings.TrimSpace(name) == "" {
		return E("device name", Invalid, errors.New("empty"))
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 64 {
		return E("device name", Invalid, errors.New("want at most 64 characters of UTF-8"))
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return E("device name", Invalid, errors.New("control character"))
		}
	}
	return nil
}

// ImageKey names one image of an account in URLs and lookups:
// {deviceID}.{eventID}-{n}.
func ImageKey(deviceID, imageID string) string { return deviceID + "." + imageID }

// ParseImageKey splits and checks an ImageKey; it returns the device ID,
// the image ID ({eventID}-{n}) and the event's ID.
func ParseImageKey(s string) (deviceID, imageID string, event EventID, err error) {
	dev, img, ok := strings.Cut(s, ".")
	if !ok || !ValidDeviceID(dev) {
		return "", "", "", E("image id", Invalid, fmt.Errorf("%q: want {deviceID}.{eventID}-{n}", s))
	}
	event, _, err = ParseSnapshotName(img + ".jpg")
	if err != nil {
		return "", "", "", E("image id", Invalid, fmt.Errorf("%q: %w", s, err))
	}
	return dev, img, event, nil
}

// Session is one signed-in browser or script. The token itself lives only
// in the client's cookie; the store knows its hash.
type Session struct {
	TokenHash string
	AccountID string
	Email     string
	CSRF      string // the token every state-changing request must echo
	Created   time.Time
	Expires   time.Time
}

// Valid reports whether the session still admits requests at now.
func (s Session) Valid(now time.Time) bool { return now.Before(s.Expires) }

// MaxPageSize bounds the items of one page of a listing.
const MaxPageSize = 100

// ImageQuery selects a page of an account's verified images, newest first.
type ImageQuery struct {
	DeviceID  string    // only this device's ("" all)
	Day       time.Time // only images taken on this UTC day (zero: any day)
	WithFaces bool      // only images with at least one face
	Limit     int       // 1..MaxPageSize
	Cursor    string    // from the previous page's Next ("" the first page)
}

// Validate checks the query; a zero Limit becomes 24.
func (q *ImageQuery) Validate() error {
	if q.Limit == 0 {
		q.Limit = 24
	}
	var errs []error
	if q.Limit < 1 || q.Limit > MaxPageSize {
		errs = append(errs, fmt.Errorf("limit %d: want 1..%d", q.Limit, MaxPageSize))
	}
	if q.DeviceID != "" && !ValidDeviceID(q.DeviceID) {
		errs = append(errs, fmt.Errorf("device %q: want dev_<ULID>", q.DeviceID))
	}
	if len(q.Cursor) > 512 {
		errs = append(errs, errors.New("cursor: too long"))
	}
	if len(errs) > 0 {
		return E("image query", Invalid, errors.Join(errs...))
	}
	return nil
}

// ImagePage is one page of images and the cursor of the next ("" at the end).
type ImagePage struct {
	Images []ImageRecord
	Next   string
}

// RejectionPage is one page of rejected uploads and the cursor of the next.
type RejectionPage struct {
	Rejections []Rejection
	Next       string
}
