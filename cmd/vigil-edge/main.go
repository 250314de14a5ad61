// Command vigil-edge runs on the camera's computer (a Raspberry Pi or any
// Linux box): it reads the camera, detects motion and reports it.
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
	"time"

	"vigil/adapters/mjpeg"
	"vigil/adapters/synthetic"
	"vigil/adapters/v4l2"
	"vigil/app/edge"
	"vigil/domain"
	"vigil/ports"
	"vigil/vision"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "vigil-edge:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if domain.KindOf(err) == domain.Invalid {
		return 2
	}
	return 1
}

type config struct {
	source      string
	width       int
	height      int
	fps         int
	realtime    bool
	sensitivity int
	kernel      string
	duration    time.Duration
	listKernels bool
	loop        bool
	frames      int
	format      string
	configPath  string
	dataDir     string
	listen      string
	set         map[string]bool // flags given on the command line
	log         *slog.Logger    // the daemon's; nil: camera failures are not logged
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

const usage = `vigil-edge %s — watches a camera for motion.

Usage:
  vigil-edge [run] [flags]        the daemon (the default command)
  vigil-edge analyze [flags]      process a clip as fast as possible, one JSON object per frame
  vigil-edge enroll -cloud URL -license KEY [-name NAME]   take a seat at vigil-cloud (see -h)
  vigil-edge admin set-password [-user NAME]   set the web UI's admin password (read from standard input)
  vigil-edge admin setup-code [-data DIR]      the first run's setup code the web UI's setup page asks for
  vigil-edge -list-kernels        the vision kernels this CPU can run (* = in use)

Flags:
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "enroll" {
		return enroll(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "admin" {
		return admin(ctx, args[1:], getenv, stdout, stderr)
	}
	command := "run"
	if len(args) > 0 && (args[0] == "run" || args[0] == "analyze") {
		command, args = args[0], args[1:]
	}
	cfg := config{source: "synthetic", width: 640, height: 480, fps: 15, realtime: command == "run",
		sensitivity: domain.DefaultMotionSettings().Sensitivity, kernel: getenv("VIGIL_KERNEL")}
	fs := flag.NewFlagSet("vigil-edge "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, version)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nEnvironment:\n  VIGIL_KERNEL  vision kernel to use (same as -kernel)\n")
	}
	fs.StringVar(&cfg.source, "source", cfg.source, "camera source: synthetic (a made-up scene), file:PATH.mjpeg (concatenated JPEG frames), http://URL (an MJPEG stream) or v4l2:/dev/videoN")
	fs.BoolVar(&cfg.loop, "loop", false, "replay a file source from the start when it ends")
	fs.StringVar(&cfg.format, "format", "mjpeg", "v4l2 source: pixel format, mjpeg or yuyv")
	size := fs.String("size", fmt.Sprintf("%dx%d", cfg.width, cfg.height), "frame size WxH of the synthetic or v4l2 source")
	fs.IntVar(&cfg.fps, "fps", cfg.fps, "frames per second of the source (for analyze: of the clip, to time the event rules)")
	fs.BoolVar(&cfg.realtime, "realtime", cfg.realtime, "pace a synthetic or file source in real time (false: as fast as possible)")
	fs.IntVar(&cfg.sensitivity, "sensitivity", cfg.sensitivity, "motion sensitivity 1 (least) .. 10 (most)")
	fs.StringVar(&cfg.kernel, "kernel", cfg.kernel, "vision kernel: auto, "+kernelNames())
	fs.DurationVar(&cfg.duration, "duration", 0, "stop after this long (0: run until interrupted or the clip ends)")
	fs.BoolVar(&cfg.listKernels, "list-kernels", false, "list the vision kernels this CPU can run and exit")
	fs.IntVar(&cfg.frames, "frames", 0, "analyze: stop after this many frames (0: all; a synthetic source needs it)")
	jsonOut := fs.Bool("json", true, "analyze: print JSON (the only format)")
	fs.StringVar(&cfg.configPath, "config", getenv("VIGIL_CONFIG"), "settings file (JSON; default DATA/config.json; missing: defaults)")
	fs.StringVar(&cfg.dataDir, "data", or(getenv("VIGIL_DATA"), "data"), "data directory: snapshots, index, config")
	fs.StringVar(&cfg.listen, "listen", "", "web UI address, e.g. :8080 or 127.0.0.1:8080 (overrides the settings; default :8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return domain.E("arguments", domain.Invalid, fmt.Errorf("unexpected %q", fs.Arg(0)))
	}
	cfg.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { cfg.set[f.Name] = true })
	if v := getenv("VIGIL_SOURCE"); v != "" && !cfg.set["source"] {
		cfg.source, cfg.set["source"] = v, true
	}
	if _, err := fmt.Sscanf(*size, "%dx%d", &cfg.width, &cfg.height); err != nil {
		return domain.E("-size", domain.Invalid, fmt.Errorf("%q is not WxH", *size))
	}
	if err := vision.Use(cfg.kernel); err != nil {
		return domain.E("-kernel", domain.Invalid, err)
	}
	if cfg.listKernels {
		for _, k := range vision.Impls() {
			mark := " "
			if k == vision.Active() {
				mark = "*"
			}
			fmt.Fprintf(stdout, "%s %s\n", mark, k.Name())
		}
		return nil
	}
	if command == "analyze" {
		if !*jsonOut {
			return domain.E("-json", domain.Invalid, errors.New("JSON is the only output format"))
		}
		if cfg.source == "synthetic" && cfg.frames == 0 {
			return domain.E("-frames", domain.Invalid, errors.New("a synthetic source never ends: give -frames"))
		}
		return analyze(ctx, cfg, stdout, stderr)
	}

	return daemon(ctx, cfg, stdout, stderr)
}

// openSource builds the camera source named by cfg.source.
func openSource(cfg config) (ports.FrameSource, func() error, error) {
	switch {
	case cfg.source == "synthetic":
		src, err := synthetic.New(synthetic.Config{Width: cfg.width, Height: cfg.height, FPS: cfg.fps, Seed: 1, Realtime: cfg.realtime})
		if err != nil {
			return nil, nil, domain.E("-source", domain.Invalid, err)
		}
		return src, func() error { return nil }, nil
	case strings.HasPrefix(cfg.source, "file:"):
		fps := 0
		if cfg.realtime {
			fps = cfg.fps
		}
		src, err := mjpeg.OpenFile(strings.TrimPrefix(cfg.source, "file:"), mjpeg.Options{
			MaxWidth: edge.MaxAnalysisWidth, FPS: fps, Loop: cfg.loop})
		if err != nil {
			return nil, nil, domain.E("-source", domain.Invalid, err)
		}
		return src, src.Close, nil
	case strings.HasPrefix(cfg.source, "v4l2:"):
		src, err := v4l2.Open(v4l2.Config{Device: strings.TrimPrefix(cfg.source, "v4l2:"), Width: cfg.width, Height: cfg.height,
			FPS: cfg.fps, Format: cfg.format, MaxWidth: edge.MaxAnalysisWidth, Log: cfg.log})
		if err != nil {
			return nil, nil, domain.E("-source", domain.Invalid, err)
		}
		return src, src.Close, nil
	case strings.HasPrefix(cfg.source, "http://") || strings.HasPrefix(cfg.source, "https://"):
		src, err := mjpeg.OpenHTTP(cfg.source, mjpeg.HTTPOptions{Options: mjpeg.Options{MaxWidth: edge.MaxAnalysisWidth}, Log: cfg.log})
		if err != nil {
			return nil, nil, domain.E("-source", domain.Invalid, err)
		}
		return src, src.Close, nil
	}
	return nil, nil, domain.E("-source", domain.Invalid, fmt.Errorf("unknown source %q (have: synthetic, file:PATH, http://URL, v4l2:/dev/videoN)", cfg.source))
}

func kernelNames() string {
	var names []string
	for _, k := range vision.Impls() {
		names = append(names, k.Name())
	}
	return strings.Join(names, ", ")
}
