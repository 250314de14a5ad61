//go:build linux

package gpiod

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"vigil/domain"
)

// fakeLine records values; it fails the first failures calls.
type fakeLine struct {
	vals     *[]int
	failures *int
}

func (f fakeLine) SetValue(v int) error {
	if *f.failures > 0 {
		*f.failures--
		return errors.New("EIO")
	}
	*f.vals = append(*f.vals, v)
	return nil
}
func (f fakeLine) Close() error { return nil }

func TestPulseThrottleAndReopen(t *testing.T) {
	var vals []int
	failures, opens := 0, 0
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	cfg := Config{Chip: "gpiochip0", Line: 17, Pulse: 5 * time.Millisecond, MinGap: time.Minute, Now: func() time.Time { return now }}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	p, err := newPulser(cfg, func() (line, error) { opens++; return fakeLine{&vals, &failures}, nil })
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Alert(context.Background(), domain.Event{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(vals, []int{1, 0}) || time.Since(start) < 5*time.Millisecond {
		t.Fatalf("values %v: want a pulse 1 then 0 after the pulse length", vals)
	}
	now = now.Add(30 * time.Second)
	p.Alert(context.Background(), domain.Event{})
	if len(vals) != 2 {
		t.Fatalf("throttled alert pulsed: %v", vals)
	}
	now = now.Add(time.Minute)
	failures = 2 // the line fails twice: reopened, then it works
	if err := p.Alert(context.Background(), domain.Event{}); err != nil || !slices.Equal(vals, []int{1, 0, 1, 0}) || opens != 3 {
		t.Fatalf("after failures: %v, values %v, opens %d", err, vals, opens)
	}
	now = now.Add(time.Minute)
	failures = 10
	if err := p.Alert(context.Background(), domain.Event{}); err == nil {
		t.Fatal("a dead line reported success")
	}
	if p.Close() != nil || p.Close() != nil {
		t.Error("Close")
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{{}, {Chip: "gpiochip0", Line: -1}, {Chip: "gpiochip0", Pulse: time.Hour}} {
		if err := c.validate(); domain.KindOf(err) != domain.Invalid {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
