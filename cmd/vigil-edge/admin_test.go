package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/adapters/configfile"
	"vigil/app/edge"
)

func TestAdminSetPassword(t *testing.T) {
	dir := t.TempDir()
	setStdin := func(s string) {
		old := stdin
		stdin = strings.NewReader(s)
		t.Cleanup(func() { stdin = old })
	}
	var out, errb bytes.Buffer
	setStdin("short\n")
	err := run(context.Background(), []string{"admin", "set-password", "-data", dir}, env(nil), &out, &errb)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "at least 12") {
		t.Fatalf("short password: %v (exit %d)", err, exitCode(err))
	}
	if err := run(context.Background(), []string{"admin", "frobnicate"}, env(nil), &out, &errb); exitCode(err) != 2 {
		t.Fatalf("unknown subcommand: %v", err)
	}
	const pw = "a new long password for the camera"
	setStdin(pw + "\n")
	if err := run(context.Background(), []string{"admin", "set-password", "-data", dir, "-user", "keeper"}, env(nil), &out, &errb); err != nil {
		t.Fatalf("set-password: %v\n%s", err, errb.String())
	}
	path := filepath.Join(dir, adminFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if bytes.Contains(b, []byte(pw)) || bytes.Contains(out.Bytes(), []byte(pw)) || bytes.Contains(errb.Bytes(), []byte(pw)) {
		t.Fatal("the password shows in the file or the output")
	}
	acc, err := edge.NewAccounts(configfile.AdminFile{Path: path}, edge.AccountsConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := acc.Login(context.Background(), "127.0.0.1", "keeper", pw); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if _, _, err := acc.Login(context.Background(), "127.0.0.1", "keeper", "a different long password"); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
}

// set-password from the shell ends the sessions of a running daemon (a
// second process: its own Accounts over the same file).
func TestAdminSetPasswordEndsDaemonSessions(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	daemon, err := edge.NewAccounts(configfile.AdminFile{Path: filepath.Join(dir, adminFile)},
		edge.AccountsConfig{Argon2: edge.Argon2Params{Memory: 64, Time: 1, Threads: 1}, AdminRecheck: time.Nanosecond,
			SetupCodes: configfile.SetupCodeFile{Path: filepath.Join(dir, setupCodeFile)}})
	if err != nil {
		t.Fatal(err)
	}
	code, err := daemon.PrepareSetup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := daemon.Setup(ctx, "127.0.0.1", edge.SetupRequest{Code: code, User: "admin", Password: "the first long password"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := daemon.Session(tok); !ok {
		t.Fatal("no session after setup")
	}
	old := stdin
	stdin = strings.NewReader("the second long password\n")
	t.Cleanup(func() { stdin = old })
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"admin", "set-password", "-data", dir}, env(nil), &out, &errb); err != nil {
		t.Fatalf("set-password: %v\n%s", err, errb.String())
	}
	time.Sleep(time.Millisecond)
	if _, ok := daemon.Session(tok); ok {
		t.Fatal("the daemon's session outlived set-password from the shell")
	}
	tok, _, err = daemon.Login(ctx, "127.0.0.1", "admin", "the second long password")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Millisecond)
	if _, ok := daemon.Session(tok); !ok {
		t.Fatal("a session with the new password ended")
	}
}

// `admin setup-code` prints the code the daemon issued, says what to do
// when there is none yet, and that there is none once an admin exists
// (set-password, too, ends the first-run setup and deletes the code).
func TestAdminSetupCode(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	err := run(ctx, []string{"admin", "setup-code", "-data", dir}, env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "start the daemon") || out.Len() != 0 {
		t.Fatalf("before the daemon ran: %v, printed %q", err, out.String())
	}
	daemon, err := newAccounts(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, err := daemon.PrepareSetup(ctx)
	if err != nil || code == "" {
		t.Fatalf("PrepareSetup: %q %v", code, err)
	}
	if err := run(ctx, []string{"admin", "setup-code", "-data", dir}, env(nil), &out, &errb); err != nil {
		t.Fatalf("setup-code: %v\n%s", err, errb.String())
	}
	if got := strings.TrimSpace(out.String()); got != code {
		t.Fatalf("setup-code printed %q, want %q", got, code)
	}
	if err := run(ctx, []string{"admin", "setup-code", "-data", dir, "extra"}, env(nil), &out, &errb); exitCode(err) != 2 {
		t.Fatalf("an extra argument: %v", err)
	}
	old := stdin
	stdin = strings.NewReader("a long password from the shell\n")
	t.Cleanup(func() { stdin = old })
	if err := run(ctx, []string{"admin", "set-password", "-data", dir}, env(nil), &out, &errb); err != nil {
		t.Fatalf("set-password: %v\n%s", err, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, setupCodeFile)); !os.IsNotExist(err) {
		t.Fatalf("the setup code outlived set-password (%v)", err)
	}
	out.Reset()
	err = run(ctx, []string{"admin", "setup-code", "-data", dir}, env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "admin account exists") || out.Len() != 0 {
		t.Fatalf("with an admin: %v, printed %q", err, out.String())
	}
}
