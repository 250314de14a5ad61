package ports

import (
	"context"

	"vigil/domain"
)

// AdminStore keeps vigil-edge's administrator account (one user). Used by
// app/edge's Accounts; implemented by adapters/configfile (a 0600 file the
// daemon and `vigil-edge admin set-password` share) and by tests' twins.
type AdminStore interface {
	// Admin returns the account; ok is false before the first-run setup.
	Admin(ctx context.Context) (u domain.EdgeUser, ok bool, err error)
	// SetAdmin creates or replaces the account atomically.
	SetAdmin(ctx context.Context, u domain.EdgeUser) error
}
