package validator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"vigil/domain"
)

// UploadPrefix is where devices upload; the validator handles keys under it
// only (its own quarantine copies and anything else are none of its work).
const UploadPrefix = "uploads/"

// UploadKey is a parsed upload object key:
// uploads/{accountID}/{deviceID}/{yyyy}/{mm}/{dd}/{eventID}-{n}.jpg.
type UploadKey struct {
	AccountID, DeviceID string
	Day                 string // "yyyy/mm/dd"
	EventID             domain.EventID
	N                   int
	Name                string // "{eventID}-{n}.jpg"
}

// ParseUploadKey checks key strictly against the upload pattern: every
// part is validated (account and device IDs, a real calendar day, the
// event ID and snapshot number) before any of it is used.
func ParseUploadKey(key string) (UploadKey, error) {
	bad := func(why string) (UploadKey, error) {
		return UploadKey{}, domain.E("upload key", domain.Invalid, fmt.Errorf("%q: %s", truncate(key, 200), why))
	}
	rest, ok := strings.CutPrefix(key, UploadPrefix)
	if !ok {
		return bad("not under " + UploadPrefix)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 6 {
		return bad("want uploads/{account}/{device}/{yyyy}/{mm}/{dd}/{event}-{n}.jpg")
	}
	k := UploadKey{AccountID: parts[0], DeviceID: parts[1], Day: strings.Join(parts[2:5], "/"), Name: parts[5]}
	switch {
	case !domain.ValidAccountID(k.AccountID):
		return bad("bad account ID")
	case !domain.ValidDeviceID(k.DeviceID):
		return bad("bad device ID")
	case len(parts[2]) != 4 || len(parts[3]) != 2 || len(parts[4]) != 2:
		return bad("bad day")
	}
	if _, err := time.Parse("2006/01/02", k.Day); err != nil {
		return bad("bad day")
	}
	id, n, err := domain.ParseSnapshotName(k.Name)
	if err != nil {
		return bad("bad snapshot name")
	}
	k.EventID, k.N = id, n
	return k, nil
}

// ID is the image's ID, unique per device: "{eventID}-{n}".
func (k UploadKey) ID() string { return strings.TrimSuffix(k.Name, ".jpg") }

// suffix is the part of the key after "uploads/".
func (k UploadKey) suffix() string {
	return k.AccountID + "/" + k.DeviceID + "/" + k.Day + "/" + k.Name
}

// ImageKey is the clean copy's key in the production bucket.
func (k UploadKey) ImageKey() string { return "images/" + k.suffix() }

// ThumbKey is the thumbnail's key in the production bucket.
func (k UploadKey) ThumbKey() string { return "thumbs/" + k.suffix() }

// keyID names an upload whose key did not parse: a hash of the key.
func keyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "key-" + hex.EncodeToString(sum[:12])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
