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
}

// NewRetention prunes every period (default 30 s); quota and minFree ≤ 0
// switch that limit off.
func NewRetention(p ports.Pruner, quota, minFree int64, every time.Duration, log *slog.Logger) *Retention {
	if every <= 0 {
		every = 30 * time.Second
	}
	return &Retention{p: p, quota: quota, minFree: minFree, every: every, log: log}
}

// Run prunes at once and then every period until ctx ends.
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
		}
	}
}
