package domain

import "time"

// Rate limits are sliding windows: "at most limit attempts in any interval
// of length window". Stores count attempts per slot of window/RateSlots; an
// attempt in slot s is allowed while the counts of slots s-RateSlots .. s
// stay below the limit. Every interval of length window lies inside such a
// run of RateSlots+1 slots, so no burst across a slot or window boundary gets
// more than limit (a fixed window lets one through at twice the limit: limit
// at the end of one window, limit again at the start of the next). The price
// is that an attempt may be refused for up to window/RateSlots longer than
// strictly needed.
const RateSlots = 6

// RateSlot returns the slot that t falls in for a limit over window.
func RateSlot(t time.Time, window time.Duration) int64 {
	return t.UnixNano() / max(int64(window)/RateSlots, 1)
}

// RateSlotEnd returns the time slot s ends for a limit over window: after it
// plus window, a slot's count no longer matters.
func RateSlotEnd(s int64, window time.Duration) time.Time {
	return time.Unix(0, (s+1)*max(int64(window)/RateSlots, 1))
}
