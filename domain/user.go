package domain

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// MinEdgePasswordLength is the shortest password the edge accepts: a camera on
// the LAN is guessed offline from a stolen hash, so it must be long.
const MinEdgePasswordLength = 12

// MaxEdgePasswordLength bounds the work a login makes the hash do.
const MaxEdgePasswordLength = 256

// ValidateEdgeUsername checks a user name: 1..64 letters, digits, '.', '_' or '-'.
func ValidateEdgeUsername(name string) error {
	if name == "" || len(name) > 64 {
		return E("username", Invalid, fmt.Errorf("%d characters: want 1..64", utf8.RuneCountInString(name)))
	}
	for _, r := range name {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '.' || r == '_' || r == '-') {
			return E("username", Invalid, fmt.Errorf("%q: use letters, digits, '.', '_' or '-'", r))
		}
	}
	return nil
}

// ValidateEdgePassword checks a new password: at least MinEdgePasswordLength
// characters, at most MaxEdgePasswordLength bytes, not all the same character,
// and not the user name.
func ValidateEdgePassword(username, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return E("password", Invalid, errors.New("not valid UTF-8"))
	case n < MinEdgePasswordLength:
		return E("password", Invalid, fmt.Errorf("%d characters: want at least %d", n, MinEdgePasswordLength))
	case len(password) > MaxEdgePasswordLength:
		return E("password", Invalid, fmt.Errorf("longer than %d bytes", MaxEdgePasswordLength))
	case password == username:
		return E("password", Invalid, errors.New("must not be the user name"))
	}
	first, _ := utf8.DecodeRuneInString(password)
	for _, r := range password {
		if r != first {
			return nil
		}
	}
	return E("password", Invalid, errors.New("must not repeat one character"))
}

// EdgeUser is the edge's administrator account (vigil-edge has one).
type EdgeUser struct {
	Name string
	// Hash is the password's encoded hash (argon2id, PHC string format).
	Hash    string
	Changed time.Time
}

// EdgeSession is a browser or script signed in to vigil-edge. The token itself is never
// stored: the store keys sessions by its SHA-256.
type EdgeSession struct {
	User     string
	CSRF     string // sent with every state-changing request
	Created  time.Time
	LastSeen time.Time
}

// EdgeSessionRules bound a session's life.
type EdgeSessionRules struct {
	Idle     time.Duration // ends after this long without a request
	Absolute time.Duration // ends this long after login, used or not
}

// DefaultEdgeSessionRules: 2 h idle, 12 h at most.
func DefaultEdgeSessionRules() EdgeSessionRules {
	return EdgeSessionRules{Idle: 2 * time.Hour, Absolute: 12 * time.Hour}
}

// Expired reports whether s has ended at now.
func (r EdgeSessionRules) Expired(s EdgeSession, now time.Time) bool {
	return now.Sub(s.LastSeen) > r.Idle || now.Sub(s.Created) > r.Absolute
}

// Expires is when s ends if it is not used again.
func (r EdgeSessionRules) Expires(s EdgeSession) time.Time {
	idle, abs := s.LastSeen.Add(r.Idle), s.Created.Add(r.Absolute)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// LoginLimits limit password guessing: after MaxFailures failed logins
// within Window from one client, that client is locked out for Lockout;
// each further lock-out doubles it, up to MaxLockout.
type LoginLimits struct {
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
	MaxLockout  time.Duration
}

// DefaultLoginLimits: 5 failures in 15 min lock a client out for 5 min
// (then 10, 20, … up to 1 h).
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{MaxFailures: 5, Window: 15 * time.Minute, Lockout: 5 * time.Minute, MaxLockout: time.Hour}
}

// Validate reports every problem at once.
func (r LoginLimits) Validate() error {
	var errs []error
	if r.MaxFailures < 1 || r.MaxFailures > 100 {
		errs = append(errs, fmt.Errorf("max failures %d is outside 1..100", r.MaxFailures))
	}
	if r.Window <= 0 {
		errs = append(errs, fmt.Errorf("window %v is not positive", r.Window))
	}
	if r.Lockout <= 0 || r.MaxLockout < r.Lockout {
		errs = append(errs, fmt.Errorf("lockout %v / max %v: want 0 < lockout <= max", r.Lockout, r.MaxLockout))
	}
	if len(errs) > 0 {
		return E("login rules", Invalid, errors.Join(errs...))
	}
	return nil
}

// LoginFailures is one client's recent failed logins.
type LoginFailures struct {
	Failures    int       // within the window
	First       time.Time // of the failures counted
	LockedUntil time.Time
	Lockouts    int // how many times it was locked out (doubles the next)
}

// Locked reports whether the client may not try at now, and for how long.
func (r LoginLimits) Locked(rec LoginFailures, now time.Time) (bool, time.Duration) {
	if now.Before(rec.LockedUntil) {
		return true, rec.LockedUntil.Sub(now)
	}
	return false, 0
}

// Failed records a failed login at now and returns the new record.
func (r LoginLimits) Failed(rec LoginFailures, now time.Time) LoginFailures {
	if rec.Failures == 0 || now.Sub(rec.First) > r.Window {
		rec.Failures, rec.First = 0, now
	}
	rec.Failures++
	if rec.Failures >= r.MaxFailures {
		d := r.Lockout
		for i := 0; i < rec.Lockouts && d < r.MaxLockout; i++ {
			d *= 2
		}
		rec.LockedUntil = now.Add(min(d, r.MaxLockout))
		rec.Lockouts++
		rec.Failures = 0
	}
	return rec
}

// Forgettable reports whether rec holds nothing that matters at now any
// more, so a store may drop it.
func (r LoginLimits) Forgettable(rec LoginFailures, now time.Time) bool {
	return !now.Before(rec.LockedUntil) && now.Sub(rec.First) > r.Window && now.Sub(rec.LockedUntil) > r.MaxLockout
}
