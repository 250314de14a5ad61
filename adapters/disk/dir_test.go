package disk

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil/domain"
)

var (
	t0 = time.Date(2026, 11, 28, 23, 59, 59, 0, time.UTC)
	id = domain.NewEventID(t0, [10]byte{1, 2, 3})
)

func name(n int) string { return string(id) + "-" + strconv.Itoa(n) + ".jpg" }

func open(t *testing.T) (*Dir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "snaps")
	d, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

// tree lists every file under root, relative, sorted.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestWriteReadListRemove(t *testing.T) {
	d, root := open(t)
	a, b := []byte("\xff\xd8first\xff\xd9"), []byte("\xff\xd8second one\xff\xd9")
	if err := d.Write(name(1), a); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(name(2), b); err != nil {
		t.Fatal(err)
	}
	// Laid out by the event's UTC date.
	want := []string{"2026/11/28/" + name(1), "2026/11/28/" + name(2)}
	if got := tree(t, root); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("tree %v, want %v", got, want)
	}
	if got, err := d.Read(name(2)); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("Read = %q, %v", got, err)
	}
	f, err := d.Open(name(1))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, a) {
		t.Fatalf("Open read %q", got)
	}
	list, err := d.List()
	if err != nil || len(list) != 2 || list[0].Name != name(1) || list[1].Size != int64(len(b)) || list[0].ModTime.IsZero() {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if u, _ := d.Usage(); u != int64(len(a)+len(b)) {
		t.Fatalf("Usage = %d", u)
	}
	if err := d.Remove(name(1)); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(name(1)); err != nil {
		t.Fatalf("second Remove: %v (want nil)", err)
	}
	if _, err := d.Read(name(1)); domain.KindOf(err) != domain.NotFound || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Read removed: %v", err)
	}
	if _, err := d.Open(name(1)); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Open removed: %v", err)
	}
	if u, _ := d.Usage(); u != int64(len(b)) {
		t.Fatalf("Usage after Remove = %d", u)
	}
	if err := d.Remove(name(2)); err != nil {
		t.Fatal(err)
	}
	// The emptied date directories go too.
	if es, err := os.ReadDir(root); err != nil || len(es) != 0 {
		t.Fatalf("root holds %v, %v", es, err)
	}
	if free, err := d.Free(); err != nil || free <= 0 {
		t.Fatalf("Free = %d, %v", free, err)
	}
}

func TestWriteExistingIsConflict(t *testing.T) {
	d, _ := open(t)
	if err := d.Write(name(1), []byte("one")); err != nil {
		t.Fatal(err)
	}
	err := d.Write(name(1), []byte("other"))
	if domain.KindOf(err) != domain.Conflict || !strings.Contains(err.Error(), name(1)) {
		t.Fatalf("second Write: %v, want a conflict naming the file", err)
	}
	if got, _ := d.Read(name(1)); string(got) != "one" {
		t.Fatalf("file now %q", got)
	}
}

func TestNamesAreStrict(t *testing.T) {
	d, root := open(t)
	bad := []string{
		"", "x.jpg", string(id) + ".jpg", string(id) + "-0.jpg", string(id) + "-01.jpg", string(id) + "-1234567.jpg",
		string(id) + "-1.jpeg", string(id) + "-1.JPG", string(id) + "-1.jpg/", "../" + name(1), "a/" + name(1),
		strings.ToLower(string(id)) + "-1.jpg", string(id) + "-1-2.jpg", string(id) + "--1.jpg", string(id) + "-+1.jpg",
		string(id) + "-1 .jpg", "81" + string(id)[2:] + "-1.jpg", string(id)[:25] + "I-1.jpg", string(id) + "-1.jpg\x00",
	}
	for _, n := range bad {
		if _, _, err := ParseName(n); domain.KindOf(err) != domain.Invalid {
			t.Errorf("ParseName(%q) = %v, want Invalid", n, err)
		}
		if err := d.Write(n, []byte("x")); domain.KindOf(err) != domain.Invalid {
			t.Errorf("Write(%q) = %v, want Invalid", n, err)
		}
		if _, err := d.Read(n); domain.KindOf(err) != domain.Invalid {
			t.Errorf("Read(%q) = %v, want Invalid", n, err)
		}
		if err := d.Remove(n); domain.KindOf(err) != domain.Invalid {
			t.Errorf("Remove(%q) = %v, want Invalid", n, err)
		}
	}
	if got := tree(t, root); len(got) != 0 {
		t.Fatalf("files written: %v", got)
	}
	gotID, n, err := ParseName(string(id) + "-123456.jpg")
	if err != nil || gotID != id || n != 123456 {
		t.Fatalf("ParseName = %s %d %v", gotID, n, err)
	}
}

func TestOpenRemovesTemporaryFilesAndCounts(t *testing.T) {
	d, root := open(t)
	if err := d.Write(name(1), []byte("12345")); err != nil {
		t.Fatal(err)
	}
	day := filepath.Join(root, "2026", "11", "28")
	// A crash between create and rename leaves a temporary file; a stranger's
	// file and a misplaced snapshot are neither counted nor touched.
	for _, p := range []string{filepath.Join(day, tmpPrefix+name(2)+"-123"), filepath.Join(root, "README"), filepath.Join(root, name(3))} {
		if err := os.WriteFile(p, []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d2, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{name(3), "2026/11/28/" + name(1), "README"}
	if got := tree(t, root); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("tree %v, want %v", got, want)
	}
	if u, _ := d2.Usage(); u != 5 {
		t.Fatalf("Usage = %d, want 5", u)
	}
	if list, _ := d2.List(); len(list) != 1 {
		t.Fatalf("List = %+v", list)
	}
}

func TestFullDiskLeavesNothing(t *testing.T) {
	d, root := open(t)
	calls := 0
	d.write = func(f *os.File, p []byte) (int, error) {
		calls++
		if calls == 1 { // half goes through, then the disk is full
			return f.Write(p[:len(p)/2])
		}
		return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	err := d.Write(name(1), bytes.Repeat([]byte{0xab}, 4096))
	if !errors.Is(err, syscall.ENOSPC) || domain.KindOf(err) != domain.Unavailable || !strings.Contains(err.Error(), "disk: write "+name(1)) {
		t.Fatalf("Write on a full disk: %v", err)
	}
	for _, p := range tree(t, root) {
		t.Errorf("left behind: %s", p)
	}
	if u, _ := d.Usage(); u != 0 {
		t.Fatalf("Usage = %d", u)
	}
	// Space again: the same name can be written.
	d.write = (*os.File).Write
	if err := d.Write(name(1), []byte("ok")); err != nil {
		t.Fatal(err)
	}
}
