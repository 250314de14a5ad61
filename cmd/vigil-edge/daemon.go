package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"vigil/adapters/bbolt"
	"vigil/adapters/cloudapi"
	"vigil/adapters/configfile"
	"vigil/adapters/disk"
	"vigil/adapters/gpiod"
	"vigil/adapters/s3"
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
	up, err := uploader(s.Cloud, cfg.dataDir, store, log)
	if err != nil {
		return err
	}
	// Each stored snapshot wakes the uploader (it goes out at once) and
	// retention (the quota holds between its periods).
	ret := edge.NewRetention(store, s.Retention.QuotaBytes, s.Retention.MinFreeBytes, 0, log)
	wakers := []edge.Waker{ret}
	if up != nil {
		wakers = append(wakers, up)
	}
	recStore := edge.WakeOnSnapshot(store, wakers...)
	rec := edge.NewRecorder(recStore, alerts, edge.RecorderConfig{Faces: faces}, log)

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
			cloud := "cloud off"
			if up != nil {
				st := up.Status()
				cloud = fmt.Sprintf("uploaded %d", st.Uploaded)
				if st.HeldUntil.After(sum.At) {
					cloud += " (cloud unreachable: " + st.LastError + ")"
				}
			}
			fmt.Fprintf(stdout, "%s %s %5.1f fps  motion %3d  light %2d  max score %5.1f%%  %6.1f µs/frame  [%s %s]  disk %s  outbox %d  %s\n",
				sum.At.Format("15:04:05"), ev, sum.FPS, sum.MotionFrames, sum.LightFrames, sum.MaxScore, sum.AnalysisMicros,
				sum.Kernel, sum.Analysis, megabytes(used), queued, cloud)
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
		return ret.Run(gctx)
	})
	if up != nil {
		g.Go(func() error { return up.Run(gctx) }) // returns nil: its failures never stop capture
	}
	return g.Wait()
}

// secretFile is the device secret from enrollment, in the data directory.
const secretFile = "device.secret"

// uploader builds the outbox's uploader when the cloud is configured: its
// URL and device ID in the settings and the device secret in
// DATA/device.secret. Otherwise it logs once why not and returns nil (the
// snapshots stay queued until it is). The secret is never logged.
func uploader(c edge.CloudSettings, dataDir string, store *bbolt.Store, log *slog.Logger) (*edge.Uploader, error) {
	if c.URL == "" {
		log.Info("cloud not configured: snapshots stay on this device (set cloud.url and enroll to upload them)")
		return nil, nil
	}
	secret, err := readSecret(filepath.Join(dataDir, secretFile), log)
	switch {
	case err != nil:
		return nil, err
	case secret == "" || c.DeviceID == "":
		log.Info("cloud not configured: the device is not enrolled (no device ID or no "+secretFile+")", "cloud", c.URL)
		return nil, nil
	}
	client := &cloudapi.Client{BaseURL: c.URL, DeviceID: c.DeviceID, Secret: secret, HTTP: &http.Client{Timeout: 30 * time.Second}}
	log.Info("uploads on", "cloud", c.URL, "device", c.DeviceID)
	return edge.NewUploader(store, store.Files(), client, s3.NewPutter(nil), edge.UploaderConfig{}, log), nil
}

// readSecret reads the device secret file: "" when there is none. A file
// others may read is made private (0600) with a warning.
func readSecret(path string, log *slog.Logger) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("device secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", domain.E("device secret", domain.Invalid, fmt.Errorf("%s is not a regular file", path))
	}
	if fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the device secret was readable by others: made private (0600)", "file", path, "mode", fi.Mode().Perm().String())
		if err := os.Chmod(path, 0o600); err != nil {
			return "", fmt.Errorf("device secret: %w", err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("device secret: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
