package edge

import (
	"context"
	"log/slog"
	"time"

	"vigil/ports"
)

// Retention keeps the snapshots within their disk quota and the disk's
// minimum free space, off the capture path.
type Retention struct {
	p              ports.Pruner
	quota, minFree int64
	every          time.Duration
	log            *slog.Logger
	wake           chan struct{}
}

// NewRetention prunes every period (default 30 s) and whenever woken;
// quota and minFree ≤ 0 switch that limit off.
func NewRetention(p ports.Pruner, quota, minFree int64, every time.Duration, log *slog.Logger) *Retention {
	if every <= 0 {
		every = 30 * time.Second
	}
	return &Retention{p: p, quota: quota, minFree: minFree, every: every, log: log, wake: make(chan struct{}, 1)}
}

// Wake asks for a prune pass now (after a snapshot was stored), so the
// quota holds between periods too. It never blocks.
func (r *Retention) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run prunes at once, then every period and whenever woken, until ctx
// ends.
func (r *Retention) Run(ctx context.Context) error {
	if r.quota <= 0 && r.minFree <= 0 {
		return nil
	}
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		removed, err := r.p.Prune(ctx, r.quota, r.minFree)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("retention", "err", err)
		}
		if len(removed) > 0 {
			r.log.Info("retention freed space", "snapshots", len(removed))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.wake:
		}
	}
}
