//go:build linux || darwin || freebsd

package disk

import (
	"fmt"
	"syscall"
)

// Free is the number of bytes an unprivileged writer can still use on the
// filesystem that holds the directory.
func (d *Dir) Free() (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.root, &st); err != nil {
		return 0, fmt.Errorf("disk: free %s: %w", d.root, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
