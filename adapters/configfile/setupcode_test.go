package configfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SetupCodeFile round-trips a code in a 0600 file, reports a missing file
// as none, refuses an empty or oversized one, and deletes idempotently.
func TestSetupCodeFile(t *testing.T) {
	ctx := context.Background()
	f := SetupCodeFile{Path: filepath.Join(t.TempDir(), "setup-code")}
	if _, ok, err := f.SetupCode(ctx); ok || err != nil {
		t.Fatalf("missing file: ok=%v err=%v", ok, err)
	}
	if err := f.SetSetupCode(ctx, "ABCDE-FGHJK"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(f.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after SetSetupCode: %v %v", fi, err)
	}
	if code, ok, err := f.SetupCode(ctx); code != "ABCDE-FGHJK" || !ok || err != nil {
		t.Fatalf("read back %q ok=%v err=%v", code, ok, err)
	}
	if err := os.WriteFile(f.Path, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.SetupCode(ctx); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty file: %v", err)
	}
	if err := os.WriteFile(f.Path, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.SetupCode(ctx); err == nil {
		t.Fatal("a 4 KiB file read as a setup code")
	}
	for range 2 {
		if err := f.DeleteSetupCode(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(f.Path); !os.IsNotExist(err) {
		t.Fatalf("file still there: %v", err)
	}
}
