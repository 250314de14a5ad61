// Command vigil-cloud: accounts, licenses, device enrollment, upload grants
// and the verified gallery.
//
//	vigil-cloud serve [flags]                                        the web app, its JSON API and the device API
//	vigil-cloud account create --email ADDR [--password-stdin]       a new account (prints its ID)
//	vigil-cloud license issue --account ID --seats N --expires DATE  a license (prints its key once)
//	vigil-cloud license suspend|resume --account ID                  the license's state
//
// Settings: defaults, then the environment ($VIGIL_*), then flags;
// every problem is reported at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

var version = "dev"

const modes = `  serve            run the web app, its JSON API and the device API
  account create   create an account and its owner's sign-in
  license issue    issue (or renew) an account's license; prints the key once
  license suspend  suspend an account's license
  license resume   reactivate a suspended license`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "vigil-cloud:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintf(stderr, "vigil-cloud %s — accounts, licenses, device enrollment, upload grants and the verified gallery.\n\nUsage: vigil-cloud MODE [flags]\n\nModes:\n%s\n\nRun vigil-cloud MODE --help for its flags.\n", version, modes)
	}
	if len(args) == 0 {
		usage()
		return errors.New("no mode given")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage()
		return flag.ErrHelp
	case "serve":
		return runServe(ctx, args[1:], getenv, stderr)
	case "account":
		if len(args) > 1 && args[1] == "create" {
			return runAccountCreate(ctx, args[2:], getenv, stdin, stdout, stderr)
		}
		return errors.New("usage: vigil-cloud account create --email ADDR [--password-stdin]")
	case "license":
		if len(args) > 1 {
			switch args[1] {
			case "issue":
				return runLicenseIssue(ctx, args[2:], getenv, stdout, stderr)
			case "suspend", "resume":
				return runLicenseState(ctx, args[1], args[2:], getenv, stdout, stderr)
			}
		}
		return errors.New("usage: vigil-cloud license issue|suspend|resume --account ID ...")
	}
	usage()
	return fmt.Errorf("unknown mode %q", args[0])
}
