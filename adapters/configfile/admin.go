package configfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// AdminFile keeps the edge's admin account (name and argon2id hash) in a
// JSON file of mode 0600, written atomically. The daemon reads it at every
// login, so `vigil-edge admin set-password` works while the daemon runs.
type AdminFile struct{ Path string }

var _ ports.AdminStore = AdminFile{}

type adminRecord struct {
	Name    string    `json:"name"`
	Hash    string    `json:"hash"`
	Changed time.Time `json:"changed"`
}

// Admin reads the account; ok is false when the file does not exist.
func (a AdminFile) Admin(ctx context.Context) (domain.EdgeUser, bool, error) {
	if err := ctx.Err(); err != nil {
		return domain.EdgeUser{}, false, err
	}
	b, err := os.ReadFile(a.Path)
	if errors.Is(err, os.ErrNotExist) {
		return domain.EdgeUser{}, false, nil
	}
	if err != nil {
		return domain.EdgeUser{}, false, fmt.Errorf("admin account: %w", err)
	}
	var r adminRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return domain.EdgeUser{}, false, fmt.Errorf("admin account %s: %w", a.Path, err)
	}
	if r.Name == "" || r.Hash == "" {
		return domain.EdgeUser{}, false, fmt.Errorf("admin account %s: no name or no hash", a.Path)
	}
	return domain.EdgeUser{Name: r.Name, Hash: r.Hash, Changed: r.Changed}, true, nil
}

// SetAdmin writes the account atomically (mode 0600).
func (a AdminFile) SetAdmin(ctx context.Context, u domain.EdgeUser) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(adminRecord{Name: u.Name, Hash: u.Hash, Changed: u.Changed.UTC()}, "", "  ")
	if err != nil {
		return fmt.Errorf("admin account: %w", err)
	}
	if err := WriteAtomic(a.Path, append(b, '\n')); err != nil {
		return fmt.Errorf("admin account: %w", err)
	}
	return nil
}
