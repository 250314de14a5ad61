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

// Outcomes looks up what the validator recorded for one upload, so that a
// redelivered upload follows the verdict an earlier delivery committed
// rather than judging it again (the device's standing may have changed
// since). Used by app/validator; implemented by adapters/dynamodb and
// adapters/inmem.
type Outcomes interface {
	// Recorded returns the image and the rejection recorded for the
	// upload ID id of the account's device; each nil when none is.
	Recorded(ctx context.Context, accountID, deviceID, id string) (*domain.ImageRecord, *domain.Rejection, error)
}
