package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"vigil/adapters/bbolt"
	"vigil/adapters/configfile"
	"vigil/adapters/disk"
	"vigil/adapters/gpiod"
	"vigil/adapters/webhook"
	"vigil/app/edge"
	"vigil/domain"
	"vigil/vision"
)

// settings are the config file's (or the defaults) with the command line's
// flags on top, validated.
func settings(cfg config) (edge.Settings, error) {
	path := cfg.configPath
	if path == "" {
		path = filepath.Join(cfg.dataDir, "config.json")
	}
	s, err := configfile.Load(path)
	if err != nil {
		return s, err
	}
	if cfg.set["source"] {
		s.Camera.Source = cfg.source
	}
	if cfg.set["size"] {
		s.Camera.Width, s.Camera.Height = cfg.width, cfg.height
	}
	if cfg.set["fps"] {
		s.Camera.FPS = cfg.fps
	}
	if cfg.set["format"] {
		s.Camera.Format = cfg.format
	}
	if cfg.set["sensitivity"] {
		s.Motion.Sensitivity = cfg.sensitivity
	}
	if cfg.set["listen"] {
		s.Listen = cfg.listen
	}
	return s, s.Validate()
}

// daemon is `vigil-edge run`: the camera, the motion monitor, the recorder
// with its store and outputs, and retention, until ctx ends.
func daemon(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	s, err := settings(cfg)
	if err != nil {
		return err
	}
	cfg.source, cfg.width, cfg.height, cfg.fps, cfg.format = s.Camera.Source, s.Camera.Width, s.Camera.Height, s.Camera.FPS, s.Camera.Format

	if err := os.MkdirAll(cfg.dataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	files, err := disk.Open(filepath.Join(cfg.dataDir, "snapshots"))
	if err != nil {
		return err
	}
	store, err := bbolt.Open(filepath.Join(cfg.dataDir, "vigil.db"), files, bbolt.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Reconcile(ctx); err != nil {
		return err
	}

	var alerts []edge.Alert
	if g := s.GPIO; g != nil {
		p, err := gpiod.Open(gpiod.Config{Chip: g.Chip, Line: g.Line, ActiveLow: g.ActiveLow, Pulse: g.Pulse, MinGap: g.MinGap})
		if err != nil {
			return domain.E("gpio", domain.Invalid, err)
		}
		defer p.Close()
		alerts = append(alerts, edge.Alert{Alerter: p, OnFace: g.OnFace})
	}
	if w := s.Webhook; w != nil {
		h, err := webhook.New(webhook.Config{URL: w.URL, Secret: w.Secret, MinGap: w.MinGap})
		if err != nil {
			return err
		}
		alerts = append(alerts, edge.Alert{Alerter: h, OnFace: w.OnFace})
	}
	var faces *vision.FaceDetector
	if s.Faces.Enabled {
		if faces, err = vision.NewFaceDetector(vision.FaceOptions{MinSize: s.Faces.MinSize, MinScore: s.Faces.MinScore}); err != nil {
			return err
		}
	}
	rec := edge.NewRecorder(store, alerts, edge.RecorderConfig{Faces: faces}, log)

	src, closeSrc, err := openSource(cfg)
	if err != nil {
		return err
	}
	defer closeSrc()
	mon, err := edge.NewMonitor(src, edge.MonitorConfig{
		Motion: s.Motion, Events: s.Events, Schedule: s.Schedule, Regions: s.Regions, Recorder: rec,
		Report: func(sum edge.Summary) {
			ev := " "
			if sum.InEvent {
				ev = "E"
			}
			queued, _ := store.OutboxLen(ctx)
			used, _ := files.Usage()
			fmt.Fprintf(stdout, "%s %s %5.1f fps  motion %3d  light %2d  max score %5.1f%%  %6.1f µs/frame  [%s %s]  disk %s  outbox %d\n",
				sum.At.Format("15:04:05"), ev, sum.FPS, sum.MotionFrames, sum.LightFrames, sum.MaxScore, sum.AnalysisMicros,
				sum.Kernel, sum.Analysis, megabytes(used), queued)
		},
	}, log)
	if err != nil {
		return err
	}
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	log.Info("vigil-edge starting", "version", version, "source", s.Camera.Source, "data", cfg.dataDir, "kernel", vision.Active().Name())
	g, gctx := errgroup.WithContext(ctx)
	gctx, stop := context.WithCancel(gctx)
	g.Go(func() error { return rec.Run(gctx) }) // ends when the monitor closes its queue
	g.Go(func() error {
		defer stop() // a finite source (a clip) ended: stop the rest too
		return mon.Run(gctx)
	})
	g.Go(func() error {
		return edge.NewRetention(store, s.Retention.QuotaBytes, s.Retention.MinFreeBytes, 0, log).Run(gctx)
	})
	return g.Wait()
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
