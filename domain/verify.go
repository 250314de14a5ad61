package domain

import (
	"errors"
	"fmt"
	"time"
)

// VerifyLimits bound what the validator admits and what it spends on one
// upload. The zero value of a field takes its default (DefaultVerifyLimits).
type VerifyLimits struct {
	MaxBytes            int64         // file size (default 5 MiB)
	MaxPixels           int           // width×height (default 4096×4096)
	MaxWidth, MaxHeight int           // each side (default 4096)
	DecodeTimeout       time.Duration // full decode (default 2 s)
}

// DefaultVerifyLimits are the validator's safe defaults.
func DefaultVerifyLimits() VerifyLimits {
	return VerifyLimits{
		MaxBytes:      5 << 20,
		MaxPixels:     4096 * 4096,
		MaxWidth:      4096,
		MaxHeight:     4096,
		DecodeTimeout: 2 * time.Second,
	}
}

// WithDefaults returns l with every zero field set to its default.
func (l VerifyLimits) WithDefaults() VerifyLimits {
	d := DefaultVerifyLimits()
	if l.MaxBytes == 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxPixels == 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxWidth == 0 {
		l.MaxWidth = d.MaxWidth
	}
	if l.MaxHeight == 0 {
		l.MaxHeight = d.MaxHeight
	}
	if l.DecodeTimeout == 0 {
		l.DecodeTimeout = d.DecodeTimeout
	}
	return l
}

// Validate reports every problem of l at once.
func (l VerifyLimits) Validate() error {
	var errs []error
	if l.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("max bytes %d is not positive", l.MaxBytes))
	}
	if l.MaxPixels <= 0 {
		errs = append(errs, fmt.Errorf("max pixels %d is not positive", l.MaxPixels))
	}
	if l.MaxWidth <= 0 || l.MaxHeight <= 0 {
		errs = append(errs, fmt.Errorf("max size %dx%d is not positive", l.MaxWidth, l.MaxHeight))
	}
	if l.DecodeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("decode timeout %v is not positive", l.DecodeTimeout))
	}
	if len(errs) > 0 {
		return E("verify limits", Invalid, errors.Join(errs...))
	}
	return nil
}

// Reason says why the validator rejected an upload.
type Reason string

const (
	TooLarge        Reason = "too_large"        // more bytes than MaxBytes
	EmptyFile       Reason = "empty"            // no bytes at all
	NotAnImage      Reason = "not_an_image"     // no known image signature
	BadFormat       Reason = "bad_format"       // an image, but not JPEG or PNG (e.g. GIF)
	TooManyPixels   Reason = "too_many_pixels"  // declared size beyond MaxPixels, MaxWidth or MaxHeight
	Corrupt         Reason = "corrupt"          // malformed, truncated or incomplete image data
	TrailingData    Reason = "trailing_data"    // bytes after the image's end (JPEG EOI, PNG IEND)
	EmbeddedCode    Reason = "embedded_code"    // script code in the image's metadata: a polyglot
	TooSlow         Reason = "too_slow"         // the full decode overran DecodeTimeout
	UnknownDevice   Reason = "unknown_device"   // the upload's device is not enrolled
	DeviceRevoked   Reason = "device_revoked"   // the device was enrolled, then revoked
	LicenseInactive Reason = "license_inactive" // the account's license is suspended or expired
	BadKey          Reason = "bad_key"          // the object key does not match the upload pattern
)

// ImageVerdict is the validator's answer for one upload. A rejected verdict
// always carries a Reason; Detail is for people and logs.
type ImageVerdict struct {
	Accepted      bool
	Reason        Reason
	Detail        string
	Width, Height int
	Format        string // "jpeg" or "png" once the signature is known
	Faces         []Face // boxes normalised to the image size
}

// Reject returns v rejected for r.
func (v ImageVerdict) Reject(r Reason, detail string) ImageVerdict {
	v.Accepted, v.Reason, v.Detail = false, r, detail
	return v
}
