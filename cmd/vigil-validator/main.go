// Command vigil-validator: the cloud's gatekeeper: admits only real, sane images from enrolled devices.
//
// This is the foundation's skeleton: it builds with CGO_ENABLED=0 and
// answers --help; its modes arrive with their own issues.
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

const modes = `  lambda   run as an AWS Lambda on S3 "object created" events
  serve    accept S3 event notifications over HTTP
  check    validate local files with the same rules`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "vigil-validator:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigil-validator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "vigil-validator %s — the cloud's gatekeeper: admits only real, sane images from enrolled devices.\n\nUsage: vigil-validator MODE [flags]\n\nModes:\n%s\n", version, modes)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no mode given")
	}
	return fmt.Errorf("mode %q is not available in this version", fs.Arg(0))
}
