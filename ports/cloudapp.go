package ports

import (
	"context"
	"time"

	"vigil/domain"
)

// The cloud app's ports. Each is used by app/cloud and implemented by
// adapters/dynamodb (Accounts … RateLimiter) or adapters/s3 (Presigner),
// with in-memory twins in adapters/inmem (Tenants, Presigner); the stores'
// contract is app/cloud/cloudtest. Lookups of another account's records
// answer NotFound, as if they did not exist.

// Accounts keeps accounts and the users who sign in to them.
type Accounts interface {
	// CreateAccount stores a and its first user (Conflict when the user's
	// e-mail address has an account already).
	CreateAccount(ctx context.Context, a domain.Account, u domain.User) error
	// Account returns an account (NotFound when there is none).
	Account(ctx context.Context, accountID string) (domain.Account, error)
	// User returns the user of a normalised e-mail address (NotFound).
	User(ctx context.Context, email string) (domain.User, error)
}

// Licenses keeps each account's license.
type Licenses interface {
	// IssueLicense gives an account its license, or renews it with a new
	// key, seat count and expiry (seats in use stay taken).
	IssueLicense(ctx context.Context, l domain.License) error
	// SetLicenseState suspends or reactivates an account's license.
	SetLicenseState(ctx context.Context, accountID string, state domain.LicenseState) error
	// License returns an account's license (NotFound when it has none).
	License(ctx context.Context, accountID string) (domain.License, error)
}

// Seats admits and removes devices.
type Seats interface {
	// LicenseByKey returns the license of a key's SHA-256 (hex);
	// Unauthorized when no license has that key.
	LicenseByKey(ctx context.Context, keyHash string) (domain.License, error)
	// Enroll takes a seat of that license atomically and stores d; the seat
	// is given back when d cannot be stored. Unlicensed (with the reason)
	// when the license admits no new device at now.
	Enroll(ctx context.Context, d domain.Device, keyHash string, now time.Time) error
	// Revoke marks a device revoked (its secret stops working at once) and
	// frees its seat; NotFound when the account has no such device.
	Revoke(ctx context.Context, accountID, deviceID string, now time.Time) error
}

// Devices reads enrolled devices.
type Devices interface {
	// Device returns one device of an account (NotFound).
	Device(ctx context.Context, accountID, deviceID string) (domain.Device, error)
	// DeviceByID returns a device by its ID alone, to authenticate it.
	DeviceByID(ctx context.Context, deviceID string) (domain.Device, error)
	// Devices lists an account's devices, revoked ones included.
	Devices(ctx context.Context, accountID string) ([]domain.Device, error)
}

// Gallery reads what the validator recorded.
type Gallery interface {
	// Images returns a page of an account's verified images, newest first.
	Images(ctx context.Context, accountID string, q domain.ImageQuery) (domain.ImagePage, error)
	// Image returns one image of an account (NotFound).
	Image(ctx context.Context, accountID, deviceID, imageID string) (domain.ImageRecord, error)
	// Rejections returns a page of an account's rejected uploads.
	Rejections(ctx context.Context, accountID string, limit int, cursor string) (domain.RejectionPage, error)
	// DeviceRejections returns up to limit (1..MaxDeviceRejections) of one
	// device's rejected uploads, newest first (by their event's time),
	// only those rejected at or after since (zero: any time).
	DeviceRejections(ctx context.Context, accountID, deviceID string, since time.Time, limit int) ([]domain.Rejection, error)
}

// Sessions keeps signed-in sessions by the hash of their token.
type Sessions interface {
	PutSession(ctx context.Context, s domain.Session) error
	// Session returns a live session; Unauthorized when there is none or it
	// expired by now.
	Session(ctx context.Context, tokenHash string, now time.Time) (domain.Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// RateLimiter counts attempts per key in sliding windows shared by every
// instance of the app (domain.RateSlots says how).
type RateLimiter interface {
	// Allow counts one attempt and reports whether it keeps the key within
	// limit attempts in every interval of length window.
	Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error)
	// Used returns the attempts counted for key that Allow would weigh
	// against the limit at now, without counting one.
	Used(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
}

// Presigner makes short-lived URLs of the object store.
type Presigner interface {
	// PresignPut grants one PUT of exactly key, length bytes and
	// contentType into the upload bucket, valid for lifetime.
	PresignPut(ctx context.Context, key string, length int64, contentType string, lifetime time.Duration) (domain.UploadGrant, error)
	// PresignGet returns a GET URL of key in the production bucket valid
	// for lifetime.
	PresignGet(ctx context.Context, key string, lifetime time.Duration) (string, error)
}
