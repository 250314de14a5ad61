package domain

import (
	"errors"
	"fmt"
	"time"
)

// EventRules turn per-frame verdicts into events.
type EventRules struct {
	// StartFrames: consecutive motion frames needed to start an event
	// (a single noisy frame never does). Default 3.
	StartFrames int
	// QuietGap: an event ends after this long without motion. Default 3 s.
	QuietGap time.Duration
	// Cooldown: after an event ends, no new one starts for this long. Default 2 s.
	Cooldown time.Duration
	// MaxLength: a longer event is closed and, if motion goes on, a new one
	// starts (so a snapshot set never grows without bound). Default 5 min.
	MaxLength time.Duration
}

// DefaultEventRules are the rules of a new installation.
func DefaultEventRules() EventRules {
	return EventRules{StartFrames: 3, QuietGap: 3 * time.Second, Cooldown: 2 * time.Second, MaxLength: 5 * time.Minute}
}

// Validate reports every problem at once.
func (r EventRules) Validate() error {
	var errs []error
	if r.StartFrames < 1 || r.StartFrames > 100 {
		errs = append(errs, fmt.Errorf("start frames %d is outside 1..100", r.StartFrames))
	}
	if r.QuietGap <= 0 || r.QuietGap > time.Hour {
		errs = append(errs, fmt.Errorf("quiet gap %v is outside (0, 1h]", r.QuietGap))
	}
	if r.Cooldown < 0 || r.Cooldown > time.Hour {
		errs = append(errs, fmt.Errorf("cooldown %v is outside [0, 1h]", r.Cooldown))
	}
	if r.MaxLength < r.QuietGap || r.MaxLength > 24*time.Hour {
		errs = append(errs, fmt.Errorf("max length %v is outside [quiet gap, 24h]", r.MaxLength))
	}
	if len(errs) > 0 {
		return E("event rules", Invalid, errors.Join(errs...))
	}
	return nil
}

// Change is what one observed frame did to the event state.
type Change int

const (
	NoChange  Change = iota
	Started          // an event starts with this frame
	Continues        // the frame belongs to the running event
	Ended            // the running event ended before this frame
)

func (c Change) String() string {
	return [...]string{"none", "started", "continues", "ended"}[c]
}

// Tracker applies EventRules to a stream of frame verdicts. It holds no
// clock: each observation carries its time. The zero Tracker is not usable;
// build one with NewTracker.
type Tracker struct {
	rules      EventRules
	run        int       // consecutive motion frames
	active     bool      // an event is running
	start      time.Time // of the running event
	lastMotion time.Time
	quietUntil time.Time // end of the cooldown
}

// NewTracker returns a Tracker with validated rules.
func NewTracker(r EventRules) (*Tracker, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &Tracker{rules: r}, nil
}

// Active reports whether an event is running.
func (t *Tracker) Active() bool { return t.active }

// Observe feeds one frame's verdict, taken at now, and reports the change.
// Light changes and disarmed frames (armed false) never count as motion; a
// light change also breaks a run of motion frames.
func (t *Tracker) Observe(now time.Time, v Verdict, armed bool) Change {
	motion := v == Motion && armed
	if motion {
		t.run++
	} else {
		t.run = 0
	}
	if t.active {
		switch {
		case now.Sub(t.start) >= t.rules.MaxLength:
			t.active = false
			t.quietUntil = now // a long event hands over without cooldown
			return Ended
		case motion:
			t.lastMotion = now
			return Continues
		case now.Sub(t.lastMotion) >= t.rules.QuietGap || !armed:
			t.active = false
			t.quietUntil = now.Add(t.rules.Cooldown)
			return Ended
		}
		return Continues
	}
	if motion && t.run >= t.rules.StartFrames && !now.Before(t.quietUntil) {
		t.active, t.start, t.lastMotion = true, now, now
		return Started
	}
	return NoChange
}

// Schedule arms motion detection by weekday and time of day. A day with no
// windows is disarmed all day; a nil Schedule is always armed.
type Schedule struct {
	// Days[time.Sunday] … Days[time.Saturday]: the armed windows of each day.
	Days [7][]Window
}

// Window is an armed time of day, [From, To) in minutes after midnight;
// To may be 1440 (midnight at the end of the day).
type Window struct{ From, To int }

// AlwaysArmed is a schedule with every day armed all day.
func AlwaysArmed() *Schedule {
	s := &Schedule{}
	for d := range s.Days {
		s.Days[d] = []Window{{0, 24 * 60}}
	}
	return s
}

// Validate reports every bad window at once.
func (s *Schedule) Validate() error {
	if s == nil {
		return nil
	}
	var errs []error
	for d, ws := range s.Days {
		for i, w := range ws {
			if w.From < 0 || w.To > 24*60 || w.From >= w.To {
				errs = append(errs, fmt.Errorf("%v window %d: %02d:%02d-%02d:%02d is not a time range within the day",
					time.Weekday(d), i, w.From/60, w.From%60, w.To/60, w.To%60))
			}
		}
	}
	if len(errs) > 0 {
		return E("schedule", Invalid, errors.Join(errs...))
	}
	return nil
}

// Armed reports whether the schedule arms detection at t, read in t's own
// location (pass local time).
func (s *Schedule) Armed(t time.Time) bool {
	if s == nil {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	for _, w := range s.Days[t.Weekday()] {
		if w.From <= m && m < w.To {
			return true
		}
	}
	return false
}
