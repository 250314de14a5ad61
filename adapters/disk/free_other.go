//go:build !(linux || darwin || freebsd)

package disk

import (
	"errors"
	"fmt"
)

// Free is not implemented on this platform.
func (d *Dir) Free() (int64, error) {
	return 0, fmt.Errorf("disk: free %s: %w", d.root, errors.ErrUnsupported)
}
