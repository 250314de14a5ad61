//go:build linux

// Package gpiod pulses a GPIO line (a siren, a relay, a light) through the
// Linux GPIO character device, e.g. /dev/gpiochip0 on a Raspberry Pi.
package gpiod

import (
	"context"
	"fmt"
	"sync"
	"time"

	gpio "github.com/warthog618/gpiod"

	"vigil/domain"
	"vigil/ports"
)

// Config names the line and shapes the pulse.
type Config struct {
	Chip      string // e.g. "gpiochip0"
	Line      int    // line offset on the chip
	ActiveLow bool   // the device is on when the line is low
	// Pulse is how long the line stays active (default 500 ms); MinGap the
	// least time between two pulses (default 10 s).
	Pulse, MinGap time.Duration
	// Attempts to set the line, reopening it between them (default 3).
	Attempts int
	Now      func() time.Time
}

// line is the part of a requested GPIO line the Pulser uses.
type line interface {
	SetValue(int) error
	Close() error
}

// Pulser is a ports.Alerter that pulses one output line per event.
type Pulser struct {
	cfg  Config
	open func() (line, error)
	mu   sync.Mutex // one pulse at a time; guards l and th
	l    line
	th   domain.Throttle
}

var _ ports.Alerter = (*Pulser)(nil)

func (c *Config) validate() error {
	if c.Chip == "" || c.Line < 0 {
		return domain.E("gpio", domain.Invalid, fmt.Errorf("chip %q line %d", c.Chip, c.Line))
	}
	if c.Pulse <= 0 {
		c.Pulse = 500 * time.Millisecond
	}
	if c.Pulse > time.Minute {
		return domain.E("gpio", domain.Invalid, fmt.Errorf("pulse %v is longer than a minute", c.Pulse))
	}
	if c.MinGap <= 0 {
		c.MinGap = 10 * time.Second
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Open requests the line as an output, inactive.
func Open(cfg Config) (*Pulser, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := []gpio.LineReqOption{gpio.WithConsumer("vigil-edge"), gpio.AsOutput(0)}
	if cfg.ActiveLow {
		opts = append(opts, gpio.AsActiveLow)
	}
	return newPulser(cfg, func() (line, error) { return gpio.RequestLine(cfg.Chip, cfg.Line, opts...) })
}

func newPulser(cfg Config, open func() (line, error)) (*Pulser, error) {
	p := &Pulser{cfg: cfg, open: open, th: domain.Throttle{MinGap: cfg.MinGap}}
	l, err := open()
	if err != nil {
		return nil, fmt.Errorf("gpio: request %s line %d: %w", cfg.Chip, cfg.Line, err)
	}
	p.l = l
	return p, nil
}

// Alert pulses the line unless the throttle holds it back. The line always
// goes back to inactive, even when ctx ends during the pulse.
func (p *Pulser) Alert(ctx context.Context, _ domain.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.th.Allow(p.cfg.Now()) {
		return nil
	}
	if err := p.set(1); err != nil {
		return err
	}
	t := time.NewTimer(p.cfg.Pulse)
	select {
	case <-ctx.Done():
		t.Stop()
	case <-t.C:
	}
	return p.set(0)
}

// set writes the line, reopening it after a failure.
func (p *Pulser) set(v int) error {
	var err error
	for attempt := 0; attempt < p.cfg.Attempts; attempt++ {
		if p.l == nil {
			if p.l, err = p.open(); err != nil {
				p.l = nil
				continue
			}
		}
		if err = p.l.SetValue(v); err == nil {
			return nil
		}
		p.l.Close()
		p.l = nil
	}
	return fmt.Errorf("gpio: set %s line %d to %d: %w", p.cfg.Chip, p.cfg.Line, v, err)
}

// Close releases the line; it is safe to call more than once.
func (p *Pulser) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l == nil {
		return nil
	}
	err := p.l.Close()
	p.l = nil
	return err
}
