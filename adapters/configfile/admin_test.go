package configfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vigil/domain"
)

func TestAdminFile(t *testing.T) {
	ctx := context.Background()
	a := AdminFile{Path: filepath.Join(t.TempDir(), "admin.json")}
	if _, ok, err := a.Admin(ctx); ok || err != nil {
		t.Fatalf("missing file: ok=%v err=%v", ok, err)
	}
	u := domain.EdgeUser{Name: "admin", Hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5", Changed: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := a.SetAdmin(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, ok, err := a.Admin(ctx)
	if !ok || err != nil || got != u {
		t.Fatalf("read back %+v ok=%v err=%v", got, ok, err)
	}
	fi, _ := os.Stat(a.Path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	for _, bad := range []string{"{", `{"name":"admin"}`, `[]`} {
		os.WriteFile(a.Path, []byte(bad), 0o600)
		if _, _, err := a.Admin(ctx); err == nil {
			t.Errorf("file %q: no error", bad)
		}
	}
}
