// Package inmem holds in-memory twins of the ports, for the apps' unit
// tests and for running without hardware. They keep everything in maps,
// guarded by a mutex, and copy what they are given.
package inmem

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// EventStore is an in-memory ports.EventStore, and the twin of the bbolt
// store's other roles: ports.Outbox for its upload queue and
// ports.SnapshotReader for its files.
type EventStore struct {
	mu     sync.Mutex
	events map[domain.EventID]domain.Event
	files  map[string][]byte // by snapshot name
	outbox []domain.Upload   // snapshots waiting for upload, first queued first
	// Fail, when set, is returned by every call (to test failure paths).
	Fail error
	// Now stamps the outbox entries (default time.Now).
	Now func() time.Time
}

var (
	_ ports.EventStore      = (*EventStore)(nil)
	_ ports.Outbox          = (*EventStore)(nil)
	_ ports.SnapshotReader  = (*EventStore)(nil)
	_ ports.RejectionMarker = (*EventStore)(nil)
)

// NewEventStore returns an empty store.
func NewEventStore() *EventStore {
	return &EventStore{events: map[domain.EventID]domain.Event{}, files: map[string][]byte{}}
}

func clone(ev domain.Event) domain.Event {
	ev.Snapshots = slices.Clone(ev.Snapshots)
	ev.Faces = slices.Clone(ev.Faces)
	return ev
}

// SaveEvent implements ports.EventStore: it creates or updates the event's
// record; the stored snapshots are kept whatever ev.Snapshots holds.
func (s *EventStore) SaveEvent(ctx context.Context, ev *domain.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: save event %s: %w", ev.ID, err)
	}
	if _, err := domain.ParseEventID(string(ev.ID)); err != nil {
		return fmt.Errorf("inmem: save event: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	old, ok := s.events[ev.ID]
	cp := clone(*ev)
	if ok {
		cp.Snapshots = old.Snapshots // snapshots are added only by AddSnapshot
	} else {
		cp.Snapshots = nil
	}
	s.events[ev.ID] = cp
	return nil
}

// AddSnapshot implements ports.EventStore, with the checks of the real
// store: snap.Name must be {ev.ID}-{n}.jpg (Invalid otherwise) and new
// (Conflict otherwise), and jpeg not empty.
func (s *EventStore) AddSnapshot(ctx context.Context, ev *domain.Event, snap domain.Snapshot, jpeg []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: add snapshot %s: %w", snap.Name, err)
	}
	id, _, err := domain.ParseSnapshotName(snap.Name)
	if err != nil {
		return fmt.Errorf("inmem: add snapshot: %w", err)
	}
	if id != ev.ID {
		return domain.E("inmem: add snapshot "+snap.Name, domain.Invalid, fmt.Errorf("the name is not of event %s", ev.ID))
	}
	if len(jpeg) == 0 {
		return domain.E("inmem: add snapshot "+snap.Name, domain.Invalid, errors.New("no bytes"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	if _, dup := s.files[snap.Name]; dup {
		return domain.E("inmem: add snapshot "+snap.Name, domain.Conflict, errors.New("exists"))
	}
	snap.Bytes, snap.Uploaded = len(jpeg), time.Time{}
	s.files[snap.Name] = slices.Clone(jpeg)
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	s.outbox = append(s.outbox, domain.Upload{Name: snap.Name, Event: ev.ID, Bytes: len(jpeg), Queued: now()})
	ev.Snapshots = append(ev.Snapshots, snap)
	stored := s.events[ev.ID]
	if stored.ID == "" {
		stored = clone(*ev)
		stored.Snapshots = nil
	}
	stored.Snapshots = append(stored.Snapshots, snap)
	s.events[ev.ID] = stored
	return nil
}

// Event returns a copy of a stored event (NotFound if unknown).
func (s *EventStore) Event(ctx context.Context, id domain.EventID) (domain.Event, error) {
	if err := ctx.Err(); err != nil {
		return domain.Event{}, fmt.Errorf("inmem: event %s: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, ok := s.events[id]
	if !ok {
		return domain.Event{}, domain.E("inmem: event "+string(id), domain.NotFound, errors.New("no such event"))
	}
	return clone(ev), nil
}

// Events returns copies of the stored events, oldest first.
func (s *EventStore) Events() []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Event
	for _, ev := range s.events {
		out = append(out, clone(ev))
	}
	slices.SortFunc(out, func(a, b domain.Event) int { return a.Start.Compare(b.Start) })
	return out
}

// File returns a stored snapshot's bytes.
func (s *EventStore) File(name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	return b, ok
}

// Outbox returns the names queued for upload, due or not, first queued
// first.
func (s *EventStore) Outbox() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, len(s.outbox))
	for i, u := range s.outbox {
		names[i] = u.Name
	}
	return names
}

// Alerter is an in-memory ports.Alerter that records the events it saw.
type Alerter struct {
	mu     sync.Mutex
	alerts []domain.Event
	Fail   error
}

var _ ports.Alerter = (*Alerter)(nil)

// Alert implements ports.Alerter.
func (a *Alerter) Alert(_ context.Context, ev domain.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.alerts = append(a.alerts, clone(ev))
	return a.Fail
}

// Alerts returns the events alerted so far.
func (a *Alerter) Alerts() []domain.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.alerts)
}
