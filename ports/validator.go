package ports

import (
	"context"
	"time"
)

// The validator's object stores. Errors carry a domain Kind: NotFound for a
// missing object, Conflict for a conditional write that found the object
// there already, Unavailable (or no Kind) for a store that cannot be reached
// — the validator retries those and never quarantines for them.

// Uploads is the upload bucket as the validator reads it: one object's size,
// its bytes under a hard limit, and its removal once handled. Used by
// app/validator; implemented by adapters/s3 and adapters/inmem.
type Uploads interface {
	// Size is the object's length in bytes.
	Size(ctx context.Context, key string) (int64, error)
	// Read returns at most limit+1 bytes of the object, so that a caller
	// sees an object that grew past its limit without reading all of it.
	Read(ctx context.Context, key string, limit int64) ([]byte, error)
	// Delete removes the object; a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// Quarantine keeps a rejected upload, as it was sent, out of production.
// Used by app/validator; implemented by adapters/s3 (a server-side copy)
// and adapters/inmem.
type Quarantine interface {
	// Quarantine copies the upload object key and returns the key of the
	// copy. NotFound when the upload object is gone.
	Quarantine(ctx context.Context, key string) (string, error)
}

// Production is the bucket of verified images. Used by app/validator;
// implemented by adapters/s3 (PUT with If-None-Match: *) and adapters/inmem.
type Production interface {
	// PutNew stores body under key unless an object is there already, in
	// which case it returns a domain Conflict error and changes nothing.
	PutNew(ctx context.Context, key, contentType string, body []byte) error
}

// UploadLister lists the upload objects still waiting, for a sweep that
// handles what no event announced (an S3-compatible store's webhook is not
// retried when the validator was down). Used by app/validator's Sweeper;
// implemented by adapters/s3 and adapters/inmem.
type UploadLister interface {
	// ListUploads calls each for every object under prefix with its last
	// modification time, in key order, until each returns an error.
	ListUploads(ctx context.Context, prefix string, each func(key string, modified time.Time) error) error
}
