// Package disk keeps the edge's snapshot files, crash-safe, in one
// directory tree.
//
// Layout: root/YYYY/MM/DD/{eventID}-{n}.jpg, the date (UTC) being the
// event ID's time, so a day's snapshots sit together as they do in the
// cloud's keys, and no directory grows without bound.
//
// A write goes to a temporary file beside its target (".tmp-" prefix),
// which is fsynced, renamed to the name, and then the directory is fsynced:
// after a crash a name exists complete or not at all. Open removes the
// temporary files a crash left behind. One Dir owns its tree: two Dirs (or
// two processes) on the same root would miscount Usage.
package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"vigil/domain"
)

const tmpPrefix = ".tmp-"

// Dir is a directory of snapshot files. Its methods are safe for
// concurrent use.
type Dir struct {
	root string

	mu      sync.Mutex // guards used and writing, and orders mkdir/rmdir of the date directories
	used    int64
	writing map[string]bool // names being written

	// write writes p to f; tests replace it to simulate a full disk.
	write func(f *os.File, p []byte) (int, error)
}

// FileInfo describes one stored snapshot file.
type FileInfo struct {
	Name    string // {eventID}-{n}.jpg
	Size    int64
	ModTime time.Time
}

// Open opens (creating it if needed) the snapshot directory root, removes
// temporary files left by a crash and counts the bytes in use.
func Open(root string) (*Dir, error) {
	if root == "" {
		return nil, domain.E("disk: open", domain.Invalid, errors.New("empty directory name"))
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("disk: open %s: %w", root, err)
	}
	d := &Dir{root: root, writing: map[string]bool{}, write: (*os.File).Write}
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			return os.Remove(path)
		}
		if d.owns(path, e.Name()) {
			fi, err := e.Info()
			if err != nil {
				return err
			}
			d.used += fi.Size()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("disk: open %s: %w", root, err)
	}
	return d, nil
}

// Root is the directory the files live under.
func (d *Dir) Root() string { return d.root }

// ParseName checks a snapshot file name strictly: {eventID}-{n}.jpg, the
// event ID in its canonical form and n a decimal from 1 to 999999 without
// leading zeros. It returns the event ID and n.
func ParseName(name string) (domain.EventID, int, error) { return domain.ParseSnapshotName(name) }

// path is where a valid name lives.
func (d *Dir) path(name string, id domain.EventID) string {
	t := id.Time().UTC()
	return filepath.Join(d.root, fmt.Sprintf("%04d", t.Year()), fmt.Sprintf("%02d", int(t.Month())),
		fmt.Sprintf("%02d", t.Day()), name)
}

// owns reports whether the file at path is a snapshot of this tree: a valid
// name in the directory its name puts it in (anything else is left alone).
func (d *Dir) owns(path, name string) bool {
	id, _, err := ParseName(name)
	return err == nil && d.path(name, id) == path
}

func (d *Dir) resolve(op, name string) (string, error) {
	id, _, err := ParseName(name)
	if err != nil {
		return "", fmt.Errorf("disk: %s: %w", op, err)
	}
	return d.path(name, id), nil
}

// fail wraps err with the operation and the name, and a Kind: NotFound for
// a missing file, Unavailable for a full disk or quota (errors.Is still
// finds syscall.ENOSPC).
func fail(op, name string, err error) error {
	kind := domain.Internal
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = domain.NotFound
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		kind = domain.Unavailable
	}
	return domain.E("disk: "+op+" "+name, kind, err)
}

// Write stores data under name: temporary file, fsync, rename, fsync of
// the directory. A name that exists already is a Conflict. On any error
// (a full disk included) no file of that name and no temporary file is left.
func (d *Dir) Write(name string, data []byte) (err error) {
	path, err := d.resolve("write", name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)

	d.mu.Lock()
	if d.writing[name] {
		d.mu.Unlock()
		return domain.E("disk: write "+name, domain.Conflict, errors.New("being written"))
	}
	if _, err := os.Lstat(path); err == nil {
		d.mu.Unlock()
		return domain.E("disk: write "+name, domain.Conflict, errors.New("exists"))
	}
	// The date directories are made, and the temporary file created in
	// them, under the lock so that Remove cannot take them away meanwhile.
	var f *os.File
	err = d.mkdirs(dir)
	if err == nil {
		f, err = os.CreateTemp(dir, tmpPrefix+name+"-*")
	}
	if err == nil {
		d.writing[name] = true
	}
	d.mu.Unlock()
	if err != nil {
		return fail("write", name, err)
	}
	defer func() {
		d.mu.Lock()
		delete(d.writing, name)
		if err == nil {
			d.used += int64(len(data))
		}
		d.mu.Unlock()
	}()

	tmp := f.Name()
	werr := d.writeAll(f, data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fail("write", name, werr)
	}
	if err := syncDir(dir); err != nil {
		// The rename may not be durable: take it back so that the
		// caller's error means "not stored".
		_ = os.Remove(path)
		return fail("write", name, err)
	}
	return nil
}

func (d *Dir) writeAll(f *os.File, p []byte) error {
	for len(p) > 0 {
		n, err := d.write(f, p)
		if err != nil {
			return err
		}
		if n <= 0 {
			return errors.New("short write")
		}
		p = p[n:]
	}
	return nil
}

// mkdirs makes dir and its missing parents below root, fsyncing each
// parent so that the new entries survive a power cut. d.mu is held.
func (d *Dir) mkdirs(dir string) error {
	if dir == d.root {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := d.mkdirs(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Read returns a stored file's bytes (NotFound when it does not exist).
func (d *Dir) Read(name string) ([]byte, error) {
	path, err := d.resolve("read", name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fail("read", name, err)
	}
	return b, nil
}

// Open opens a stored file for reading (NotFound when it does not exist);
// the caller closes it.
func (d *Dir) Open(name string) (*os.File, error) {
	path, err := d.resolve("open", name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail("open", name, err)
	}
	return f, nil
}

// Remove deletes a stored file and fsyncs its directory, so that a removal
// the caller goes on to record survives a crash. Removing a file that does
// not exist is not an error (retention and recovery repeat removals).
// Date directories left empty are removed too.
func (d *Dir) Remove(name string) error {
	path, err := d.resolve("remove", name)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fail("remove", name, err)
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fail("remove", name, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.used -= fi.Size()
	dir := filepath.Dir(path)
	if err := syncDir(dir); err != nil {
		return fail("remove", name, err)
	}
	// Day, month and year directories go once empty (os.Remove refuses
	// a directory that is not).
	for i := 0; i < 3 && dir != d.root; i++ {
		if os.Remove(dir) != nil {
			break
		}
		dir = filepath.Dir(dir)
	}
	return nil
}

// List returns the stored files, sorted by name (so by event time). Files
// that are not snapshots of this tree (other names, misplaced, temporary)
// are not listed.
func (d *Dir) List() ([]FileInfo, error) {
	var out []FileInfo
	err := filepath.WalkDir(d.root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed while we walked
				return nil
			}
			return err
		}
		if e.IsDir() || !d.owns(path, e.Name()) {
			return nil
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, FileInfo{Name: e.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("disk: list %s: %w", d.root, err)
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Usage is the number of bytes the stored files hold, counted at Open and
// kept up to date by Write and Remove.
func (d *Dir) Usage() (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.used, nil
}
