package configfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"vigil/ports"
)

// SetupCodeFile keeps the edge's one-time setup code in a text file of
// mode 0600 (written atomically) in the data directory, where the daemon,
// `vigil-edge admin setup-code` and the camera's owner (over SSH) find it.
type SetupCodeFile struct{ Path string }

var _ ports.SetupCodeStore = SetupCodeFile{}

// maxSetupCodeFile bounds what SetupCode reads: a code is a dozen bytes.
const maxSetupCodeFile = 256

// SetupCode reads the code; ok is false when the file does not exist.
func (f SetupCodeFile) SetupCode(ctx context.Context) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setup code: %w", err)
	}
	if len(b) > maxSetupCodeFile {
		return "", false, fmt.Errorf("setup code %s: %d bytes, not a setup code", f.Path, len(b))
	}
	code := strings.TrimSpace(string(b))
	if code == "" {
		return "", false, fmt.Errorf("setup code %s: empty file", f.Path)
	}
	return code, true, nil
}

// SetSetupCode writes code atomically, mode 0600.
func (f SetupCodeFile) SetSetupCode(ctx context.Context, code string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := WriteAtomic(f.Path, []byte(code+"\n")); err != nil {
		return fmt.Errorf("setup code: %w", err)
	}
	return nil
}

// DeleteSetupCode removes the file; a missing one is no error.
func (f SetupCodeFile) DeleteSetupCode(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("setup code: %w", err)
	}
	return nil
}
