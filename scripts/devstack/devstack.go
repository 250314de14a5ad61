// Command devstack starts the whole of Vigil on loopback for trying it out
// (`make dev`, or `go run ./scripts/devstack`): versitygw, dynalite,
// vigil-validator serve, vigil-cloud serve with a demo account and license,
// and vigil-edge on the PETS clip enrolled with it. It prints the two URLs
// and the generated credentials, writes them to DIR/stack.json (0600) once
// everything answers, and stops everything on Ctrl-C or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"vigil/scripts/devstack/stack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "data/dev", "directory of everything the stack writes (emptied at start)")
	source := fs.String("source", getenv("SOURCE"), "the edge's camera: file:PATH.mjpeg (looped), synthetic, http://… or v4l2:/dev/videoN (default: the PETS clip; or $SOURCE)")
	edgeAddr := fs.String("edge-listen", "127.0.0.1:8080", "the edge's web UI address, if free (else a free port)")
	cloudAddr := fs.String("cloud-listen", "127.0.0.1:8081", "vigil-cloud's address, if free (else a free port)")
	seats := fs.Int("seats", 5, "seats of the demo license")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./scripts/devstack [flags]   (make dev [SOURCE=file:PATH])\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *seats < 1 {
		return fmt.Errorf("-seats %d: at least 1", *seats)
	}
	if s := *source; s != "" && s != "synthetic" && !strings.HasPrefix(s, "file:") && !strings.HasPrefix(s, "http://") &&
		!strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "v4l2:") {
		return fmt.Errorf("-source %q: want file:PATH, synthetic, http(s)://… or v4l2:/dev/videoN", s)
	}
	if p, ok := strings.CutPrefix(*source, "file:"); ok {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("-source: %w", err)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, err := stack.Start(ctx, stack.Config{Dir: *dir, Source: *source, EdgeAddr: *edgeAddr, CloudAddr: *cloudAddr,
		Seats: *seats, Log: log})
	if err != nil {
		return err
	}
	in := st.Info()
	fmt.Fprintf(stdout, `
Vigil runs on loopback (data and logs in %s; details in %s/stack.json):

  edge   %s   user %s   password %s
  cloud  %s   email %s   password %s

  S3 (versitygw) %s, DynamoDB (dynalite) %s, table %s
  Ctrl-C stops everything.
`, st.Dir(), st.Dir(), in.EdgeURL, in.EdgeUser, in.EdgePassword, in.CloudURL, in.CloudEmail, in.CloudPassword,
		in.S3Endpoint, in.DynamoDBEndpoint, in.Table)
	<-ctx.Done()
	log.Info("stopping")
	return st.Close()
}
