package validator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"vigil/ports"
)

// Sweeper handles the uploads no event announced: an S3-compatible store
// posts each event once and forgets it when the validator is down or
// failed, so the upload would wait for ever. It lists uploads/ at start and
// then every Interval and runs the pipeline for each object older than
// MinAge (younger ones are the events' work; handling them twice would be
// harmless, only wasted). With Lambda and SQS, retries make it needless.
type Sweeper struct {
	// HandleTimeout bounds the handling of one upload (0:
	// DefaultHandleTimeout), so that a store call that hangs fails that
	// upload, left for the next sweep, rather than stopping every later one.
	// Set it before Sweep or Run.
	HandleTimeout time.Duration

	p        *Pipeline
	list     ports.UploadLister
	interval time.Duration
	minAge   time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// DefaultHandleTimeout is the time a sweep gives one upload by default.
const DefaultHandleTimeout = 2 * time.Minute

// NewSweeper returns a Sweeper over p's stores. interval 0: one sweep at
// start only.
func NewSweeper(p *Pipeline, list ports.UploadLister, interval, minAge time.Duration, log *slog.Logger) (*Sweeper, error) {
	if p == nil || list == nil {
		return nil, errors.New("validator: a sweeper needs a pipeline and a lister")
	}
	if interval < 0 || minAge < 0 {
		return nil, fmt.Errorf("validator: sweep interval %v and minimum age %v must not be negative", interval, minAge)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{p: p, list: list, interval: interval, minAge: minAge, now: p.now, log: log}, nil
}

// SweepStats count what one sweep did.
type SweepStats struct {
	Seen, Handled, Failed int
	Gone                  int // handled meanwhile by their event: found gone
}

// Sweep lists the uploads once and handles those old enough, one after the
// other. A failed upload is counted and left for the next sweep; only a
// listing failure or the end of ctx is an error.
func (s *Sweeper) Sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	cutoff := s.now().Add(-s.minAge)
	var keys []string // listed first: handling deletes from what is listed
	err := s.list.ListUploads(ctx, UploadPrefix, func(key string, modified time.Time) error {
		st.Seen++
		if !modified.After(cutoff) {
			keys = append(keys, key)
		}
		return ctx.Err()
	})
	if err != nil {
		return st, fmt.Errorf("validator: sweep: %w", err)
	}
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		o, err := s.handle(ctx, k)
		switch {
		case err != nil:
			st.Failed++
		case o.Verdict == Gone:
			st.Gone++
		default:
			st.Handled++
		}
	}
	return st, nil
}

// handle runs the pipeline for one key under the handle timeout.
func (s *Sweeper) handle(ctx context.Context, key string) (Outcome, error) {
	d := s.HandleTimeout
	if d <= 0 {
		d = DefaultHandleTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return s.p.Handle(ctx, key)
}

// Run sweeps at once and then every interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context) error {
	for {
		start := time.Now()
		st, err := s.Sweep(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.log.Error("sweep failed", "error", err.Error())
		case st.Handled+st.Failed > 0:
			s.log.Info("sweep", "seen", st.Seen, "handled", st.Handled, "gone", st.Gone, "failed", st.Failed, "took", time.Since(start))
		}
		if s.interval == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.interval):
		}
	}
}
