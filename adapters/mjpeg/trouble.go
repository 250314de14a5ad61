package mjpeg

import (
	"log/slog"
	"net/url"
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
