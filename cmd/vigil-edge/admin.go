package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"vigil/adapters/configfile"
	"vigil/app/edge"
	"vigil/domain"
)

// stdin is where `admin set-password` reads the password (tests replace it).
var stdin io.Reader = os.Stdin

// admin is `vigil-edge admin set-password [-user NAME] [-data DIR]`: it
// creates or replaces the web UI's admin account from the shell (the way
// back in when the password is lost). The password is read from the first
// line of standard input, so it never shows in the process list or the
// shell's history. Every signed-in session of a running daemon ends: the
// daemon re-reads the account every few seconds and signs everyone out
// when the password changed.
func admin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "set-password" {
		fmt.Fprintln(stderr, "usage: vigil-edge admin set-password [-user NAME] [-data DIR]   (password on standard input)")
		return domain.E("admin", domain.Invalid, errors.New("want the subcommand set-password"))
	}
	fs := flag.NewFlagSet("vigil-edge admin set-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", "admin", "the admin's user name")
	dataDir := fs.String("data", or(getenv("VIGIL_DATA"), "data"), "data directory")
	if err := fs.Parse(args[1:]); err != nil {
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
	acc, err := edge.NewAccounts(configfile.AdminFile{Path: filepath.Join(*dataDir, adminFile)}, edge.AccountsConfig{})
	if err != nil {
		return err
	}
	if err := acc.SetPassword(ctx, *user, password); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %s set in %s\n", *user, filepath.Join(*dataDir, adminFile))
	return nil
}
