package mjpeg

import (
	"log/slog"
	"net/url"
	"sync"
	"time"
)

// Trouble logs a camera's failures without flooding the log: the first at
// once, then at most one line per period (with how many failures there
// were meanwhile), and the recovery. It keeps the current failure for the
// status page. Every camera source uses it (adapters/v4l2 too). Safe for
// concurrent use.
type Trouble struct {
	log    *slog.Logger
	source string // redacted
	every  time.Duration

	mu     sync.Mutex
	last   string // the current failure; "" while frames flow
	logged time.Time
	count  int // failures since the last line
}

// NewTrouble reports the failures of the camera shown as source (already
// redacted) to log (nil: nowhere).
func NewTrouble(log *slog.Logger, source string) *Trouble {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Trouble{log: log, source: source, every: time.Minute}
}

// Fail records a failure and logs it unless one was logged in the period.
func (t *Trouble) Fail(now time.Time, err error) {
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

// OK records a frame: a failing camera works again.
func (t *Trouble) OK() {
	t.mu.Lock()
	if t.last != "" {
		t.log.Info("camera streaming again", "source", t.source)
		t.last, t.logged, t.count = "", time.Time{}, 0
	}
	t.mu.Unlock()
}

// Problem is the current failure, "" while frames flow.
func (t *Trouble) Problem() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// RedactURL returns a camera URL fit for logs and the status page: its
// password and the values of its query (where many cameras take their
// credentials, e.g. ?user=admin&pwd=…) are replaced by "xxxxx". A string
// that is not a URL is shown as "(invalid URL)".
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			for i := range vs {
				vs[i] = "xxxxx"
			}
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
