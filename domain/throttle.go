package domain

import "time"

// Throttle lets an output fire at most once per MinGap. It holds no clock:
// callers pass now. Not safe for concurrent use.
type Throttle struct {
	MinGap time.Duration
	last   time.Time
}

// Allow reports whether the output may fire at now, and if so records it.
func (t *Throttle) Allow(now time.Time) bool {
	if !t.last.IsZero() && now.Sub(t.last) < t.MinGap {
		return false
	}
	t.last = now
	return true
}
