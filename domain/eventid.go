package domain

import (
	"fmt"
	"time"
)

// EventID identifies an event. Its text form sorts as its time does: 10
// characters of milliseconds since 1970 and 16 of randomness, in Crockford's
// base 32 (the ULID layout), e.g. 01JDZ2F7QH4M8RS0XK3V9TB6WA.
type EventID string

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewEventID makes the ID of an event that starts at t; entropy must be 10
// random bytes (the caller reads them: the domain does no I/O).
func NewEventID(t time.Time, entropy [10]byte) EventID {
	var b [26]byte
	ms := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = crockford[ms&31]
		ms >>= 5
	}
	// 80 bits of entropy as 16 five-bit digits.
	var acc uint64
	bits, pos := 0, 10
	for _, e := range entropy {
		acc = acc<<8 | uint64(e)
		bits += 8
		for bits >= 5 {
			bits -= 5
			b[pos] = crockford[(acc>>bits)&31]
			pos++
		}
	}
	return EventID(b[:])
}

// ParseEventID checks the text form strictly (IDs end up in file names and
// object keys).
func ParseEventID(s string) (EventID, error) {
	if len(s) != 26 {
		return "", E("event id", Invalid, fmt.Errorf("%q: want 26 characters", s))
	}
	for i := 0; i < len(s); i++ {
		if !isCrockford(s[i]) {
			return "", E("event id", Invalid, fmt.Errorf("%q: bad character %q", s, s[i]))
		}
	}
	if s[0] > '7' { // 48-bit time: the first digit holds 3 bits
		return "", E("event id", Invalid, fmt.Errorf("%q: time out of range", s))
	}
	return EventID(s), nil
}

// Time is the millisecond the event started.
func (id EventID) Time() time.Time {
	var ms int64
	for i := 0; i < 10 && i < len(id); i++ {
		ms = ms<<5 | int64(digit(id[i]))
	}
	return time.UnixMilli(ms)
}

func isCrockford(c byte) bool { return digit(c) >= 0 }

func digit(c byte) int {
	for i := 0; i < len(crockford); i++ {
		if crockford[i] == c {
			return i
		}
	}
	return -1
}
