// Package domain holds Vigil's rules and types: motion settings and the
// decisions they make, and the typed errors every layer shares. It is pure:
// no I/O, no clock (callers pass now), no serialisation tags.
package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the transports (HTTP status, exit code, retry).
type Kind int

const (
	Internal     Kind = iota // a bug or an unexpected failure
	Invalid                  // the caller sent something wrong
	NotFound                 // the thing does not exist
	Conflict                 // the thing exists already or changed meanwhile
	Unauthorized             // no or bad credentials
	Unlicensed               // the account's license does not allow it
	Unavailable              // a dependency is down; retry later
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "unauthorized", "unlicensed", "unavailable"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is an error with a Kind and the operation that failed.
type Error struct {
	Op   string // e.g. "motion settings"
	Kind Kind
	Err  error
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error.
func E(op string, kind Kind, err error) error { return &Error{Op: op, Kind: kind, Err: err} }

// KindOf returns the Kind of the first *Error in err's chain, Internal if none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}
