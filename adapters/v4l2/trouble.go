//go:build linux && cgo

package v4l2

import (
	"log/slog"
	"sync"
	"time"
)

// trouble logs a camera's failures without flooding the log: the first at
// once, then at most one line per period (with how many failures there
// were meanwhile), and the recovery. It keeps the current failure for the
// status page. Safe for concurrent use.
type trouble struct {
	log    *slog.Logger
	source string // redacted
	every  time.Duration

	mu     sync.Mutex
	last   string // the current failure; "" while frames flow
	logged time.Time
	count  int // failures since the last line
}

func newTrouble(log *slog.Logger, source string) *trouble {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &trouble{log: log, source: source, every: time.Minute}
}

// fail records a failure and logs it unless one was logged in the period.
func (t *trouble) fail(now time.Time, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = err.Error()
	t.count++
	if !t.logged.IsZero() && now.Sub(t.logged) < t.every {
		return
	}
	t.log.Warn("camera failing: retrying", "source", t.source, "err", t.last, "failures", t.count)
	t.logged, t.count = now, 0
}

// ok records a frame: a failing camera works again.
func (t *trouble) ok() {
	t.mu.Lock()
	if t.last != "" {
		t.log.Info("camera streaming again", "source", t.source)
		t.last, t.logged, t.count = "", time.Time{}, 0
	}
	t.mu.Unlock()
}

// problem is the current failure, "" while frames flow.
func (t *trouble) problem() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}
