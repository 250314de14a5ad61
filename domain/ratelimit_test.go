package domain

import (
	"testing"
	"time"
)

func TestRateSlotCoversEveryWindow(t *testing.T) {
	window := time.Minute
	base := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for off := time.Duration(0); off < 2*window; off += 7 * time.Second {
		now := base.Add(off)
		s := RateSlot(now, window)
		// The interval (now-window, now] starts in slot s-RateSlots or later.
		if first := RateSlot(now.Add(-window+time.Nanosecond), window); first < s-RateSlots {
			t.Fatalf("at %v the window starts in slot %d, before %d", off, first, s-RateSlots)
		}
		if end := RateSlotEnd(s, window); !end.After(now) || end.Sub(now) > window/RateSlots {
			t.Fatalf("slot %d of %v ends at %v", s, now, end)
		}
	}
	if RateSlot(base, 3) != base.UnixNano() {
		t.Fatal("a window shorter than RateSlots nanoseconds needs slots of 1 ns")
	}
}
