package ports

import (
	"context"
	"time"

	"vigil/domain"
)

// Directory answers who sent an upload: the device and its account's
// license as stored now. A domain NotFound error when the account or the
// device does not exist. Used by app/validator; implemented by
// adapters/dynamodb and adapters/inmem.
type Directory interface {
	Standing(ctx context.Context, accountID, deviceID string) (domain.Standing, error)
}

// ImageIndex records the validator's outcomes. Both puts are conditional on
// the item not existing yet: a second put of the same ID returns a domain
// Conflict error and changes nothing, so a duplicated event yields one item.
// Used by app/validator; implemented by adapters/dynamodb and adapters/inmem.
type ImageIndex interface {
	PutImage(ctx context.Context, img domain.ImageRecord) error
	PutRejection(ctx context.Context, r domain.Rejection) error
}

// Verdict is the validator's decision on one upload, recorded once and for
// good before any of its effects (a quarantine copy, an item, a clean
// copy), so that every later or concurrent delivery of the upload follows
// it rather than judging the upload again.
type Verdict struct {
	// The upload: its account, device and ID ({eventID}-{n}). A key that
	// did not parse has an ID of its own and, when it named none, no
	// valid account or device.
	AccountID, DeviceID, ID string
	// Accepted, or rejected for Reason (Detail says more).
	Accepted bool
	Reason   domain.Reason
	Detail   string
	// The upload as judged: its key, length and SHA-256 (hex; empty when
	// it was not read).
	SourceKey string
	Bytes     int64
	SHA256    string
	// At is when the verdict was reached.
	At time.Time
}

// Verdicts keeps one verdict per upload. Used by app/validator;
// implemented by adapters/dynamodb and adapters/inmem.
type Verdicts interface {
	// Verdict returns the verdict recorded for the upload ID id of the
	// account's device; found is false when none is.
	Verdict(ctx context.Context, accountID, deviceID, id string) (v Verdict, found bool, err error)
	// Settle records v unless a verdict for its upload is recorded
	// already — a conditional write, so of concurrent calls exactly one
	// wins — and returns the verdict recorded: v (won) or the earlier one.
	Settle(ctx context.Context, v Verdict) (recorded Verdict, won bool, err error)
}
