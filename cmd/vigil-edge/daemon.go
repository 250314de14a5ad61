package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"vigil/adapters/bbolt"
	"vigil/adapters/cloudapi"
	"vigil/adapters/configfile"
	"vigil/adapters/disk"
	"vigil/adapters/fiber/edgeui"
	"vigil/adapters/gpiod"
	"vigil/adapters/mjpeg"
	"vigil/adapters/s3"
	"vigil/adapters/webhook"
	"vigil/app/edge"
	"vigil/domain"
	"vigil/vision"
)

// configPath is the settings file: -config, or DATA/config.json.
func configPath(cfg config) string {
	if cfg.configPath != "" {
		return cfg.configPath
	}
	return filepath.Join(cfg.dataDir, "config.json")
}

// overrides applies the command line's flags to settings read from the
// file (the file itself keeps its own values).
func overrides(cfg config) func(edge.Settings) edge.Settings {
	return func(s edge.Settings) edge.Settings {
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
		return s
	}
}

// overridden names, as the config file does, the settings the flags set.
func overridden(cfg config) []string {
	var out []string
	for flag, field := range map[string]string{"source": "camera.source", "size": "camera.width", "fps": "camera.fps",
		"format": "camera.format", "sensitivity": "motion.sensitivity", "listen": "listen"} {
		if cfg.set[flag] {
			out = append(out, field)
		}
	}
	return out
}

// settings are the config file's (or the defaults) with the command line's
// flags on top, validated.
func settings(cfg config) (edge.Settings, error) {
	s, err := configfile.Load(configPath(cfg))
	if err != nil {
		return s, err
	}
	s = overrides(cfg)(s)
	return s, s.Validate()
}

// errSourceEnded stops the daemon when a finite source (a clip) ends.
var errSourceEnded = errors.New("the source ended")

// daemon is `vigil-edge run`: the web UI, and the camera pipeline (motion
// monitor, recorder with its store and outputs, uploader, retention) until
// ctx ends. When the settings change in the UI the pipeline is rebuilt
// with them; the process, the store and the UI stay up.
func daemon(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if _, err := settings(cfg); err != nil {
		return err
	}
	file, err := configfile.Load(configPath(cfg))
	if err != nil {
		return err
	}
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
	live := edge.NewLive(nil)
	current := edge.NewLiveSettings(file, overrides(cfg), configfile.Saver{Path: configPath(cfg)})
	d := &pipeline{cfg: cfg, log: log, stdout: stdout, store: store, files: files, live: live}

	accounts, err := newAccounts(cfg.dataDir, log)
	if err != nil {
		return err
	}
	setupCode, err := accounts.PrepareSetup(ctx)
	if err != nil {
		return fmt.Errorf("first-run setup code: %w", err)
	}
	started := time.Now()
	ui, err := edgeui.New(edgeui.Config{
		Accounts: accounts, Settings: current, Live: live, Events: store, Snapshots: files,
		Status:     func(ctx context.Context) edge.Status { return d.status(ctx, current.Effective(), started) },
		Cloud:      &cloudLink{dataDir: cfg.dataDir, settings: current},
		Overridden: overridden(cfg), Log: log,
	})
	if err != nil {
		return err
	}
	listen := current.Effective().Listen
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("web UI: %w (choose another address with -listen or the settings' listen)", err)
	}
	if setupCode != "" {
		// On stdout, where `make run` and the journal show it: the proof of
		// owning the camera that the setup page asks for. It works once.
		fmt.Fprintf(stdout, "first run: open %s and enter setup code %s (or run `vigil-edge admin set-password`)\n",
			setupURL(ln.Addr()), setupCode)
		log.Info("first run: the setup code is on standard output; `vigil-edge admin setup-code` prints it again")
	}

	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	cfg.log = log
	log.Info("vigil-edge starting", "version", version, "source", shownSource(current.Effective().Camera.Source), "data", cfg.dataDir,
		"kernel", vision.Active().Name(), "web", "http://"+ln.Addr().String())
	g, gctx := errgroup.WithContext(ctx)
	gctx, stop := context.WithCancel(gctx)
	g.Go(func() error { return ui.Serve(gctx, ln) })
	g.Go(func() error {
		defer stop() // a finite source (a clip) ended: stop the UI too
		for {
			s, changed := current.Current() // under one lock: no change falls between the two
			pctx, cancel := context.WithCancel(gctx)
			done := make(chan error, 1)
			go func() { done <- d.run(pctx, s) }()
			var err error
			select {
			case err = <-done:
			case <-changed:
				log.Info("settings changed: restarting the camera pipeline")
				cancel()
				if err := <-done; err != nil && !errors.Is(err, errSourceEnded) {
					log.Warn("camera pipeline", "err", err)
				}
				continue
			}
			cancel()
			switch {
			case errors.Is(err, errSourceEnded) || gctx.Err() != nil:
				return nil
			case err != nil: // the UI is up: keep it to fix the settings, and wait for them
				log.Error("camera pipeline stopped: fix the settings in the web UI", "err", err)
				d.setProblem("camera pipeline stopped: " + err.Error() + " (fix the settings in the web UI)")
				select {
				case <-changed:
				case <-gctx.Done():
					return nil
				}
			}
		}
	})
	return g.Wait()
}

// adminFile holds the admin account (name and argon2id hash), 0600;
// setupCodeFile the first run's one-time setup code, 0600, until an admin
// exists.
const (
	adminFile     = "admin.json"
	setupCodeFile = "setup-code"
)

// newAccounts returns the sign-in over the admin and setup code files of
// dataDir.
func newAccounts(dataDir string, log *slog.Logger) (*edge.Accounts, error) {
	return edge.NewAccounts(configfile.AdminFile{Path: filepath.Join(dataDir, adminFile)}, edge.AccountsConfig{
		SetupCodes: configfile.SetupCodeFile{Path: filepath.Join(dataDir, setupCodeFile)}, Log: log})
}

// setupURL is the web UI's address as the owner would open it: the host's
// name when the daemon listens on every address.
func setupURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// pipeline is the camera side of the daemon, rebuilt at each settings change.
type pipeline struct {
	cfg    config
	log    *slog.Logger
	stdout io.Writer
	store  *bbolt.Store
	files  *disk.Dir
	live   *edge.Live

	mu       sync.Mutex
	up       *edge.Uploader   // of the running pipeline; nil: uploads off
	watch    *edge.CloudWatch // of the running pipeline; nil: not enrolled
	problem  func() string    // the running source's failure, if it tells one
	problems []string         // of the running pipeline, or why it stopped
	outbox   atomic.Int64     // outbox length, as of the last status or report
}

// setProblem adds a failure to the status page's list.
func (d *pipeline) setProblem(p string) {
	d.mu.Lock()
	d.problems = append(d.problems, p)
	d.mu.Unlock()
}

// run runs one pipeline with s until ctx ends or the source does
// (errSourceEnded).
func (d *pipeline) run(ctx context.Context, s edge.Settings) error {
	cfg, log, store, files := d.cfg, d.log, d.store, d.files
	cfg.source, cfg.width, cfg.height, cfg.fps, cfg.format = s.Camera.Source, s.Camera.Width, s.Camera.Height, s.Camera.FPS, s.Camera.Format
	d.mu.Lock()
	d.problems, d.problem = nil, nil
	d.mu.Unlock()

	// An output that cannot start (a missing GPIO chip, a bad webhook) is
	// logged and shown on the status page; capture and the UI go on.
	var alerts []edge.Alert
	if g := s.GPIO; g != nil {
		p, err := gpiod.Open(gpiod.Config{Chip: g.Chip, Line: g.Line, ActiveLow: g.ActiveLow, Pulse: g.Pulse, MinGap: g.MinGap})
		if err != nil {
			log.Error("GPIO output off: fix the settings in the web UI", "err", err)
			d.setProblem("GPIO output off: " + err.Error())
		} else {
			defer p.Close()
			alerts = append(alerts, edge.Alert{Alerter: p, OnFace: g.OnFace})
		}
	}
	if w := s.Webhook; w != nil {
		h, err := webhook.New(webhook.Config{URL: w.URL, Secret: w.Secret, MinGap: w.MinGap})
		if err != nil {
			log.Error("webhook output off: fix the settings in the web UI", "err", err)
			d.setProblem("webhook output off: " + err.Error())
		} else {
			alerts = append(alerts, edge.Alert{Alerter: h, OnFace: w.OnFace})
		}
	}
	var faces *vision.FaceDetector
	if s.Faces.Enabled {
		// Off the capture path and on one core: a Pi's other cores keep
		// capturing and serving the UI.
		opts := vision.FaceOptions{MinSize: s.Faces.MinSize, MinScore: s.Faces.MinScore, Workers: 1}
		var err error
		if faces, err = vision.NewFaceDetector(opts); err != nil {
			return err
		}
	}
	up, watch, err := uploader(s.Cloud, cfg.dataDir, store, log)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.up, d.watch = up, watch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.up, d.watch = nil, nil
		d.mu.Unlock()
	}()
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
	if p, ok := src.(interface{ Problem() string }); ok {
		d.mu.Lock()
		d.problem = p.Problem
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			d.problem = nil
			d.mu.Unlock()
		}()
	}
	d.live.SetMotion(s.Motion)
	tracer := edge.NewTracer(store, log)
	tracer.SetMotion(s.Motion)
	mon, err := edge.NewMonitor(d.live.Source(src), edge.MonitorConfig{
		Motion: s.Motion, Events: s.Events, Schedule: s.Schedule, Regions: s.Regions, Recorder: rec,
		OnFrame: func(r edge.FrameReport) {
			d.live.OnFrame(r)
			tracer.OnFrame(r)
		},
		Report: func(sum edge.Summary) {
			d.live.Report(sum)
			ev := " "
			if sum.InEvent {
				ev = "E"
			}
			queued := d.outbox.Load() // never a store read on the capture goroutine
			used, _ := files.Usage()
			cloud := "cloud off"
			if up != nil {
				st := up.Status()
				cloud = fmt.Sprintf("uploaded %d", st.Uploaded)
				if st.HeldUntil.After(sum.At) {
					cloud += " (cloud unreachable: " + st.LastError + ")"
				}
			}
			fmt.Fprintf(d.stdout, "%s %s %5.1f fps  motion %3d  light %2d  max score %5.1f%%  %6.1f µs/frame  [%s %s]  disk %s  outbox %d  %s\n",
				sum.At.Format("15:04:05"), ev, sum.FPS, sum.MotionFrames, sum.LightFrames, sum.MaxScore, sum.AnalysisMicros,
				sum.Kernel, sum.Analysis, megabytes(used), queued, cloud)
		},
	}, log)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	gctx, stop := context.WithCancel(gctx)
	ended := false
	g.Go(func() error { return rec.Run(gctx) }) // ends when the monitor closes its queue
	g.Go(func() error {
		defer stop() // a finite source (a clip) ended: stop the rest too
		err := mon.Run(gctx)
		tracer.Close() // stores the trace of an event the stop ended, then ends its Run
		ended = err == nil && ctx.Err() == nil
		return err
	})
	g.Go(func() error { return tracer.Run(gctx) })
	g.Go(func() error {
		return ret.Run(gctx)
	})
	g.Go(func() error { // the outbox's length for the per-second report, off the capture goroutine
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			if n, err := store.OutboxLen(gctx); err == nil {
				d.outbox.Store(int64(n))
			}
			select {
			case <-gctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	if up != nil {
		g.Go(func() error { return up.Run(gctx) }) // returns nil: its failures never stop capture
	}
	if watch != nil {
		g.Go(func() error { return watch.Run(gctx) }) // returns nil: the cloud's status is for the UI only
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if ended {
		return errSourceEnded
	}
	return nil
}

// status gathers the status page's figures.
func (d *pipeline) status(ctx context.Context, s edge.Settings, started time.Time) edge.Status {
	sum := d.live.Summary()
	st := edge.Status{Version: version, Started: started, Uptime: time.Since(started), Source: shownSource(s.Camera.Source),
		FPS: sum.FPS, AnalysisMicros: sum.AnalysisMicros, Kernel: sum.Kernel, Analysis: sum.Analysis, Dropped: sum.Dropped,
		InEvent: sum.InEvent, QuotaBytes: s.Retention.QuotaBytes, MinFreeBytes: s.Retention.MinFreeBytes, DiskFree: -1}
	if st.Kernel == "" {
		st.Kernel = vision.Active().Name()
	}
	st.DiskUsed, _ = d.files.Usage()
	if free, err := d.files.Free(); err == nil {
		st.DiskFree = free
	}
	if n, err := d.store.OutboxLen(ctx); err == nil {
		st.OutboxLen = n
		d.outbox.Store(int64(n))
	}
	d.mu.Lock()
	up, watch, problem := d.up, d.watch, d.problem
	st.Problems = append([]string(nil), d.problems...)
	d.mu.Unlock()
	if stalled := d.live.Stalled(); stalled > 0 {
		st.FPS = 0
		st.Camera = fmt.Sprintf("camera stalled: no frame for %s", stalled.Round(time.Second))
		if problem != nil {
			if p := problem(); p != "" {
				st.Camera += "; " + p
			}
		}
	}
	if up != nil {
		us := up.Status()
		st.Uploads, st.Uploaded, st.LastUploadErr = true, us.Uploaded, us.LastError
	}
	if watch != nil {
		cs := watch.Status()
		st.Cloud = &cs
	}
	return st
}

// secretFile is the device secret from enrollment, in the data directory.
const secretFile = "device.secret"

// uploader builds the outbox's uploader, and the watch that asks the cloud
// for the device's status (license, seats, rejected snapshots) after its
// uploads and every few minutes, when the cloud is configured: its URL and
// device ID in the settings and the device secret in DATA/device.secret.
// Otherwise it logs once why not and returns nils (the snapshots stay
// queued until it is). The secret is never logged.
func uploader(c edge.CloudSettings, dataDir string, store *bbolt.Store, log *slog.Logger) (*edge.Uploader, *edge.CloudWatch, error) {
	if c.URL == "" {
		log.Info("cloud not configured: snapshots stay on this device (set cloud.url and enroll to upload them)")
		return nil, nil, nil
	}
	secret, err := readSecret(filepath.Join(dataDir, secretFile), log)
	switch {
	case err != nil:
		return nil, nil, err
	case secret == "" || c.DeviceID == "":
		log.Info("cloud not configured: the device is not enrolled (no device ID or no "+secretFile+")", "cloud", c.URL)
		return nil, nil, nil
	}
	client := &cloudapi.Client{BaseURL: c.URL, DeviceID: c.DeviceID, Secret: secret, HTTP: &http.Client{Timeout: 30 * time.Second}}
	log.Info("uploads on", "cloud", c.URL, "device", c.DeviceID)
	watch := edge.NewCloudWatch(client, store, edge.CloudWatchConfig{}, log)
	return edge.NewUploader(store, store.Files(), client, s3.NewPutter(nil), edge.UploaderConfig{Notify: watch}, log), watch, nil
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

// shownSource is a camera source fit for logs and the status page: an
// HTTP camera's URL without its password and query values.
func shownSource(source string) string {
	if strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://") {
		return mjpeg.RedactURL(source)
	}
	return source
}
