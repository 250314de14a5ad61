package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"vigil/adapters/configfile"
	"vigil/domain"
)

// stdin is where `admin set-password` reads the password (tests replace it).
var stdin io.Reader = os.Stdin

// adminUsage lists the admin subcommands.
const adminUsage = `usage:
  vigil-edge admin set-password [-user NAME] [-data DIR]   (password on standard input)
  vigil-edge admin setup-code [-data DIR]`

// admin is `vigil-edge admin set-password|setup-code …`.
func admin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "set-password":
			return setPassword(ctx, args[1:], getenv, stdout, stderr)
		case "setup-code":
			return setupCode(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, adminUsage)
	return domain.E("admin", domain.Invalid, errors.New("want the subcommand set-password or setup-code"))
}

// setupCode is `vigil-edge admin setup-code [-data DIR]`: it prints the
// one-time code the web UI's first-run setup asks for, which the daemon
// printed at its start, for whoever missed it. It only reads: the daemon
// issues the code (so the file stays its own), and there is none once an
// admin exists.
func setupCode(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigil-edge admin setup-code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", or(getenv("VIGIL_DATA"), "data"), "data directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return domain.E("arguments", domain.Invalid, fmt.Errorf("unexpected %q", fs.Arg(0)))
	}
	if _, ok, err := (configfile.AdminFile{Path: filepath.Join(*dataDir, adminFile)}).Admin(ctx); err != nil {
		return err
	} else if ok {
		return domain.E("setup code", domain.NotFound, errors.New(
			"none: the admin account exists already (sign in, or reset its password with `vigil-edge admin set-password`)"))
	}
	code, ok, err := configfile.SetupCodeFile{Path: filepath.Join(*dataDir, setupCodeFile)}.SetupCode(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return domain.E("setup code", domain.NotFound, fmt.Errorf(
			"none in %s yet: start the daemon (`vigil-edge run -data %s`), it issues one on its first run", *dataDir, *dataDir))
	}
	fmt.Fprintln(stdout, code)
	return nil
}

// setPassword is `vigil-edge admin set-password [-user NAME] [-data DIR]`:
// it creates or replaces the web UI's admin account from the shell (the way
// back in when the password is lost). The password is read from the first
// line of standard input, so it never shows in the process list or the
// shell's history. Every signed-in session of a running daemon ends: the
// daemon re-reads the account every few seconds and signs everyone out
// when the password changed.
//
// Setting the first password this way also ends the first-run setup: the
// setup code is deleted.
func setPassword(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigil-edge admin set-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", "admin", "the admin's user name")
	dataDir := fs.String("data", or(getenv("VIGIL_DATA"), "data"), "data directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return domain.E("arguments", domain.Invalid, fmt.Errorf("unexpected %q", fs.Arg(0)))
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(stderr, "new password for %s (at least %d characters; it is shown as you type): ", *user, domain.MinEdgePasswordLength)
		}
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return domain.E("password", domain.Invalid, errors.New("empty: give it on standard input"))
	}
	if err := os.MkdirAll(*dataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	acc, err := newAccounts(*dataDir, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	if err := acc.SetPassword(ctx, *user, password); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %s set in %s\n", *user, filepath.Join(*dataDir, adminFile))
	return nil
}
