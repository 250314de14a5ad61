package edge

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

type countingPruner struct{ calls atomic.Int32 }

func (p *countingPruner) Prune(_ context.Context, quota, minFree int64) ([]string, error) {
	p.calls.Add(1)
	return []string{"x"}, nil
}

func TestRetentionPrunesPeriodically(t *testing.T) {
	p := &countingPruner{}
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Millisecond)
	defer cancel()
	NewRetention(p, 1<<20, 0, 10*time.Millisecond, slog.New(slog.DiscardHandler)).Run(ctx)
	if n := p.calls.Load(); n < 3 {
		t.Fatalf("%d prunes in 55 ms at 10 ms, want several", n)
	}
	off := &countingPruner{}
	NewRetention(off, 0, 0, time.Millisecond, slog.New(slog.DiscardHandler)).Run(context.Background())
	if off.calls.Load() != 0 {
		t.Fatal("pruned with both limits off")
	}
}

func TestRetentionPrunesWhenWoken(t *testing.T) {
	p := &countingPruner{}
	r := NewRetention(p, 1<<20, 0, time.Hour, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for want := int32(1); want <= 3; want++ {
		for p.calls.Load() < want {
			if time.Now().After(deadline) {
				t.Fatalf("%d prunes, want %d: a wake did not prune", p.calls.Load(), want)
			}
			time.Sleep(time.Millisecond)
		}
		r.Wake()
		r.Wake() // never blocks: at most one pass waits
	}
	cancel()
	<-done
}
