package edge

import (
	"context"
	"slices"
	"sync"
)

// SettingsSaver persists settings (atomically). Implemented by
// adapters/configfile.
type SettingsSaver interface {
	Save(s Settings) error
}

// LiveSettings hold the settings the daemon runs with and let the web UI
// change them while it runs: a change is validated, saved, and then every
// watcher of Changed is told, so the daemon rebuilds its pipeline with it.
//
// Two layers: the file's settings (what a change edits and what is saved)
// and the command line's overrides on top (Effective), so that a flag such
// as -source is never written into the file by a change made in the UI.
// Safe for concurrent use.
type LiveSettings struct {
	saver    SettingsSaver
	override func(Settings) Settings

	mu      sync.Mutex
	file    Settings
	changed chan struct{}
}

// NewLiveSettings starts from file (as loaded); override (nil: none)
// applies the command line's flags to a copy.
func NewLiveSettings(file Settings, override func(Settings) Settings, saver SettingsSaver) *LiveSettings {
	if override == nil {
		override = func(s Settings) Settings { return s }
	}
	return &LiveSettings{saver: saver, override: override, file: file.Clone(), changed: make(chan struct{})}
}

// File returns a copy of the settings as the file has them.
func (l *LiveSettings) File() Settings {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.file.Clone()
}

// Effective returns a copy of the settings in force: the file's with the
// command line's overrides.
func (l *LiveSettings) Effective() Settings {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.override(l.file.Clone())
}

// Changed returns a channel closed at the next successful Update.
func (l *LiveSettings) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// Current returns, under one lock, the settings in force (as Effective)
// and the channel closed at the next successful Update after them (as
// Changed). A watcher that rebuilds on the channel must take both from
// here: from two calls, an Update in between would go unnoticed.
func (l *LiveSettings) Current() (Settings, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.override(l.file.Clone()), l.changed
}

// Update applies edit to a copy of the file's settings, validates the
// result (and the result with the overrides), saves it and makes it
// current. A failed edit, validation or save changes nothing; validation
// errors name every bad field at once (a domain Invalid error).
func (l *LiveSettings) Update(ctx context.Context, edit func(s *Settings) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	next := l.file.Clone()
	if err := edit(&next); err != nil {
		return err
	}
	if err := next.Validate(); err != nil {
		return err
	}
	if err := l.override(next.Clone()).Validate(); err != nil {
		return err
	}
	if err := l.saver.Save(next); err != nil {
		return err
	}
	l.file = next
	close(l.changed)
	l.changed = make(chan struct{})
	return nil
}

// Clone returns a deep copy of s (regions, schedule and outputs included).
func (s Settings) Clone() Settings {
	c := s
	c.Regions = nil
	for _, r := range s.Regions {
		r.Points = slices.Clone(r.Points)
		c.Regions = append(c.Regions, r)
	}
	if s.Schedule != nil {
		sc := *s.Schedule
		for d := range sc.Days {
			sc.Days[d] = slices.Clone(sc.Days[d])
		}
		c.Schedule = &sc
	}
	if s.GPIO != nil {
		g := *s.GPIO
		c.GPIO = &g
	}
	if s.Webhook != nil {
		w := *s.Webhook
		c.Webhook = &w
	}
	return c
}
