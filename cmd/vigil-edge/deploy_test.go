package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deploy/pi/install.sh under VIGIL_ROOT lays out the binary, the unit and
// the two directories with their modes, twice in a row (idempotent).
func TestPiInstallScript(t *testing.T) {
	root := t.TempDir()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		cmd := exec.Command("bash", "../../deploy/pi/install.sh", bin)
		cmd.Env = append(os.Environ(), "VIGIL_ROOT="+root)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("install.sh: %v\n%s", err, out)
		}
	}
	for path, mode := range map[string]os.FileMode{
		"usr/local/bin/vigil-edge":              0o755,
		"etc/systemd/system/vigil-edge.service": 0o644,
		"etc/vigil":                             0o750 | os.ModeDir,
		"var/lib/vigil":                         0o700 | os.ModeDir,
	} {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil || fi.Mode() != mode {
			t.Errorf("%s: %v, %v; want %v", path, fi.Mode(), err, mode)
		}
	}
	unit, err := os.ReadFile("../../deploy/pi/vigil-edge.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=vigil", "SupplementaryGroups=video gpio", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
		"ProtectSystem=strict", "ReadWritePaths=/var/lib/vigil /etc/vigil", "DeviceAllow=char-video4linux rw",
		"DeviceAllow=char-gpiochip rw", "After=network-online.target time-sync.target", "-config /etc/vigil/config.json -data /var/lib/vigil"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	// When systemd is there, it must accept the unit (the binary path is
	// checked against the real root, so point it at the installed copy).
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		fixed := strings.ReplaceAll(string(unit), "/usr/local/bin/vigil-edge", filepath.Join(root, "usr/local/bin/vigil-edge"))
		path := filepath.Join(t.TempDir(), "vigil-edge.service")
		if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sa, "verify", "--man=no", path).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}
}
