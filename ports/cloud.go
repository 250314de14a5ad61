package ports

import (
	"context"

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

// Verdicts keeps one verdict per upload. Used by app/validator;
// implemented by adapters/dynamodb and adapters/inmem.
type Verdicts interface {
	// Verdict returns the verdict recorded for the upload ID id of the
	// account's device; found is false when none is.
	Verdict(ctx context.Context, accountID, deviceID, id string) (v domain.UploadVerdict, found bool, err error)
	// Settle records v unless a verdict for its upload is recorded
	// already — a conditional write, so of concurrent calls exactly one
	// wins — and returns the verdict recorded: v (won) or the earlier one.
	Settle(ctx context.Context, v domain.UploadVerdict) (recorded domain.UploadVerdict, won bool, err error)
}
