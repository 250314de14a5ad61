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

// SetupCodeStore keeps the first run's one-time setup code, the proof that
// whoever creates the admin account can read the daemon's output or its
// data directory (and is not merely the first person on the LAN). Used by
// app/edge's Accounts; implemented by adapters/configfile (SetupCodeFile).
type SetupCodeStore interface {
	// SetupCode returns the stored code; ok is false when there is none.
	SetupCode(ctx context.Context) (code string, ok bool, err error)
	// SetSetupCode stores code, readable by its owner only.
	SetSetupCode(ctx context.Context, code string) error
	// DeleteSetupCode removes the code; removing none is no error.
	DeleteSetupCode(ctx context.Context) error
}
