// Command vigil-validator: the cloud's gatekeeper: admits only real, sane images from enrolled devices.
//
// It builds with CGO_ENABLED=0. The lambda mode runs as an AWS Lambda (S3
// events, directly or through SQS), serve takes S3-compatible servers'
// event notifications over HTTP, and check validates local files with the
// same rules.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"vigil/app/validator"
	"vigil/domain"
	"vigil/vision"
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
	usage := func() {
		fmt.Fprintf(stderr, "vigil-validator %s — the cloud's gatekeeper: admits only real, sane images from enrolled devices.\n\nUsage: vigil-validator MODE [flags]\n\nModes:\n%s\n\nWith no mode under the Lambda runtime (AWS_LAMBDA_RUNTIME_API set) the mode is lambda.\n`vigil-validator MODE -h` lists a mode's flags.\n", version, modes)
	}
	if len(args) == 0 {
		if getenv("AWS_LAMBDA_RUNTIME_API") != "" {
			return runLambda(ctx, nil, getenv, stderr)
		}
		usage()
		return errors.New("no mode given")
	}
	switch mode := args[0]; mode {
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "lambda":
		return runLambda(ctx, args[1:], getenv, stderr)
	case "serve":
		return runServe(ctx, args[1:], getenv, stderr)
	case "-h", "-help", "--help", "help":
		usage()
		return flag.ErrHelp
	default:
		usage()
		return fmt.Errorf("unknown mode %q", mode)
	}
}

const checkUsage = `Usage: vigil-validator check FILE... [--json]

Validates local files with the validator's rules (size, signature, declared
size, structure, decode time, faces) and prints one line per file, or one JSON
object per line with --json:
  {"file","verdict":"accepted"|"rejected","reason","detail","width","height",
   "faces":[{"x","y","w","h","score"}]}   (pixels)
The exit status is 0 whatever the verdicts; 2 when a file cannot be read.
`

// checkResult is one line of check --json.
type checkResult struct {
	File    string      `json:"file"`
	Verdict string      `json:"verdict"`
	Reason  string      `json:"reason"`
	Detail  string      `json:"detail,omitempty"`
	Width   int         `json:"width"`
	Height  int         `json:"height"`
	Faces   []checkFace `json:"faces"`
}

type checkFace struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	W     int     `json:"w"`
	H     int     `json:"h"`
	Score float64 `json:"score"`
}

// runCheck is the check mode. Flags may come before or after the files.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var (
		asJSON bool
		files  []string
	)
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case a == "--json" || a == "-json":
			asJSON = true
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprint(stderr, checkUsage)
			return flag.ErrHelp
		case strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprint(stderr, checkUsage)
			return fmt.Errorf("check: unknown flag %s", a)
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		fmt.Fprint(stderr, checkUsage)
		return errors.New("check: no files given")
	}
	limits := domain.DefaultVerifyLimits()
	fd, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: 20})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	failed := 0
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := readLimited(name, limits.MaxBytes)
		if err != nil {
			fmt.Fprintf(stderr, "vigil-validator: check: %v\n", err)
			failed++
			continue
		}
		v, _, err := validator.Inspect(ctx, data, limits, fd)
		if err != nil { // busy or cancelled: no verdict on the file
			return fmt.Errorf("check %s: %w", name, err)
		}
		r := resultOf(name, v)
		if asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintln(stdout, r.line()); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("check: %d of %d files could not be read", failed, len(files))
	}
	return nil
}

// readLimited reads at most max+1 bytes of a file: enough for the validator
// to see that a larger file is too large, without reading all of it.
func readLimited(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

func resultOf(name string, v domain.ImageVerdict) checkResult {
	r := checkResult{File: name, Verdict: "rejected", Reason: string(v.Reason), Detail: v.Detail,
		Width: v.Width, Height: v.Height, Faces: []checkFace{}}
	if v.Accepted {
		r.Verdict = "accepted"
	}
	w, h := float64(v.Width), float64(v.Height)
	for _, f := range v.Faces {
		x0, y0 := int(math.Round(f.Box.X0*w)), int(math.Round(f.Box.Y0*h))
		x1, y1 := int(math.Round(f.Box.X1*w)), int(math.Round(f.Box.Y1*h))
		r.Faces = append(r.Faces, checkFace{X: x0, Y: y0, W: x1 - x0, H: y1 - y0, Score: f.Score})
	}
	return r
}

// line is the readable form of r.
func (r checkResult) line() string {
	if r.Verdict == "rejected" {
		return fmt.Sprintf("%s: rejected: %s (%s)", r.File, r.Reason, r.Detail)
	}
	s := fmt.Sprintf("%s: accepted: %dx%d, %d faces", r.File, r.Width, r.Height, len(r.Faces))
	for _, f := range r.Faces {
		s += fmt.Sprintf(" [%d,%d %dx%d score %.1f]", f.X, f.Y, f.W, f.H, f.Score)
	}
	return s
}
