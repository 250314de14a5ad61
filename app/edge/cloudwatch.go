package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// CloudWatchConfig tunes a CloudWatch. The zero value is fine.
type CloudWatchConfig struct {
	// Interval is the time between two questions to the cloud (default
	// 5 min).
	Interval time.Duration
	// Settle is how long after an upload the cloud is asked (the validator
	// needs a few seconds to judge it; default 15 s), and MinGap the
	// shortest time between two questions that uploads cause (default
	// 1 min), so a busy camera asks at most once a MinGap.
	Settle, MinGap time.Duration
	// Timeout bounds one question (default 30 s).
	Timeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// CloudStatus is what the edge last heard from the cloud about itself.
type CloudStatus struct {
	// Device is the cloud's last answer: the license's state and seats and
	// the rejections it listed (zero before the first answer).
	Device domain.DeviceStatus
	// Checked is when that answer came (this device's clock); zero: none
	// yet.
	Checked time.Time
	// LastError is the last failed question's error ("" once one
	// succeeds again) and LastErrorAt when it failed.
	LastError   string
	LastErrorAt time.Time
}

// CloudWatch asks the cloud, every Interval and shortly after uploads, what
// it knows of this device: its license's state and seats (for the UI) and
// the snapshots the validator quarantined, which it marks rejected in the
// store with their reason. It runs only while the device is enrolled, off
// the capture path: a failed question is logged and asked again at the
// next period; it never holds off uploads or capture.
type CloudWatch struct {
	src   ports.DeviceStatusSource
	marks ports.RejectionMarker
	cfg   CloudWatchConfig
	log   *slog.Logger
	wake  chan struct{}

	mu     sync.Mutex
	status CloudStatus
	newest time.Time // the newest rejection time heard (the cloud's clock)
	logged time.Time // when a failure was last logged
}

// sinceMargin is how far before the newest rejection heard the next
// question starts: validators running side by side record rejections a
// little out of order.
const sinceMargin = time.Hour

// NewCloudWatch builds a CloudWatch; it starts nothing.
func NewCloudWatch(src ports.DeviceStatusSource, marks ports.RejectionMarker, cfg CloudWatchConfig, log *slog.Logger) *CloudWatch {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Minute
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 15 * time.Second
	}
	if cfg.MinGap <= 0 {
		cfg.MinGap = time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CloudWatch{src: src, marks: marks, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
}

// Wake tells the watch that a snapshot went out: it asks the cloud Settle
// later (MinGap after its last question at the soonest). It never blocks.
func (w *CloudWatch) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Status returns what the cloud said last.
func (w *CloudWatch) Status() CloudStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.status
	st.Device.Rejected = append([]domain.SnapshotRejection(nil), st.Device.Rejected...)
	return st
}

// Run asks the cloud at once, then every Interval and after uploads, until
// ctx ends. It returns nil: failures are logged and recorded in Status.
func (w *CloudWatch) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	next := w.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
			now := w.cfg.Now()
			due := now.Add(w.cfg.Settle)
			if last := w.lastAsked(); !last.IsZero() && due.Before(last.Add(w.cfg.MinGap)) {
				due = last.Add(w.cfg.MinGap)
			}
			if due.Before(next) {
				next = due
				timer.Reset(max(0, due.Sub(now)))
			}
		case <-timer.C:
			if err := w.Check(ctx); err != nil && ctx.Err() != nil {
				return nil
			}
			next = w.cfg.Now().Add(w.cfg.Interval)
			timer.Reset(w.cfg.Interval)
		}
	}
}

// lastAsked is when the last question was answered or failed.
func (w *CloudWatch) lastAsked() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status.LastErrorAt.After(w.status.Checked) {
		return w.status.LastErrorAt
	}
	return w.status.Checked
}

// Check asks the cloud once and marks the rejected snapshots it lists.
// Snapshots the store no longer has (deleted by retention or by hand) are
// skipped. The error is the question's, or the first mark that failed.
func (w *CloudWatch) Check(ctx context.Context) error {
	w.mu.Lock()
	heard := w.newest
	w.mu.Unlock()
	since := heard
	if !since.IsZero() {
		since = since.Add(-sinceMargin)
	}
	qctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	st, err := w.src.DeviceStatus(qctx, since)
	cancel()
	now := w.cfg.Now()
	if err != nil {
		if ctx.Err() == nil {
			w.failed(fmt.Errorf("cloud status: %w", err), now)
		}
		return err
	}
	fresh := 0 // rejections not heard before
	var markErr error
	newest := heard
	for _, r := range st.Rejected {
		at := r.At
		if at.IsZero() {
			at = now
		}
		if heard.IsZero() || r.At.After(heard) {
			fresh++
		}
		if r.At.After(newest) {
			newest = r.At
		}
		err := w.marks.MarkRejected(ctx, r.Name, at, r.Text())
		switch {
		case err == nil:
		case domain.KindOf(err) == domain.NotFound:
			// deleted meanwhile: nothing to mark
		case markErr == nil:
			markErr = fmt.Errorf("marking %s rejected: %w", r.Name, err)
		}
	}
	w.mu.Lock()
	prevErr := w.status.LastError
	w.status.Device, w.status.Checked = st, now
	if markErr == nil {
		w.status.LastError, w.status.LastErrorAt = "", time.Time{}
		if newest.After(w.newest) {
			w.newest = newest
		}
	}
	w.mu.Unlock()
	if markErr != nil {
		w.failed(markErr, now)
		return markErr
	}
	if prevErr != "" {
		w.log.Info("cloud status: answering again", "license", st.License.Status)
	}
	if fresh > 0 {
		w.log.Info("the cloud rejected snapshots", "count", fresh, "newest", st.Rejected[0].Name, "reason", st.Rejected[0].Text())
	}
	return nil
}

// failed records a failure and logs it, at most once every 10 minutes.
func (w *CloudWatch) failed(err error, now time.Time) {
	w.mu.Lock()
	w.status.LastError, w.status.LastErrorAt = err.Error(), now
	log := w.logged.IsZero() || now.Sub(w.logged) >= 10*time.Minute || now.Before(w.logged)
	if log {
		w.logged = now
	}
	w.mu.Unlock()
	if log {
		args := []any{"err", err, "kind", domain.KindOf(err)}
		var de *domain.Error
		if errors.As(err, &de) && de.Kind == domain.Unauthorized {
			args = append(args, "hint", "the device was revoked or its secret is wrong: enroll again")
		}
		w.log.Warn("cloud status failed", args...)
	}
}
