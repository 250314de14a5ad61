package inmem

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"vigil/domain"
)

func (s *EventStore) queued(name string) int {
	return slices.IndexFunc(s.outbox, func(u domain.Upload) bool { return u.Name == name })
}

// Pending implements ports.Outbox: up to limit entries due at now (a zero
// due time is due at once), first queued first.
func (s *EventStore) Pending(ctx context.Context, now time.Time, limit int) ([]domain.Upload, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("inmem: pending: %w", err)
	}
	if limit <= 0 {
		return nil, domain.E("inmem: pending", domain.Invalid, fmt.Errorf("limit %d: want at least 1", limit))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return nil, s.Fail
	}
	var out []domain.Upload
	for _, u := range s.outbox {
		if len(out) == limit {
			break
		}
		if u.Due.IsZero() || !u.Due.After(now) {
			out = append(out, u)
		}
	}
	return out, nil
}

// Uploaded implements ports.Outbox: the entry leaves the outbox and the
// snapshot is marked uploaded at at. Doing it twice is not an error (the
// first time is kept); a snapshot the store does not hold is NotFound,
// and then nothing changes.
func (s *EventStore) Uploaded(ctx context.Context, name string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: uploaded %s: %w", name, err)
	}
	id, _, err := domain.ParseSnapshotName(name)
	if err != nil {
		return fmt.Errorf("inmem: uploaded: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	ev, i, err := s.eventSnapshot(id, name, "inmem: uploaded "+name)
	if err != nil {
		return err
	}
	if q := s.queued(name); q >= 0 {
		s.outbox = slices.Delete(s.outbox, q, q+1)
	}
	if ev.Snapshots[i].Uploaded.IsZero() {
		ev = clone(ev)
		ev.Snapshots[i].Uploaded = at
		s.events[id] = ev
	}
	return nil
}

// MarkRejected implements ports.RejectionMarker, as the bbolt store does:
// the first mark is kept, an unknown snapshot is NotFound, the outbox is
// left as it is.
func (s *EventStore) MarkRejected(ctx context.Context, name string, at time.Time, reason string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: mark rejected %s: %w", name, err)
	}
	id, _, err := domain.ParseSnapshotName(name)
	if err != nil {
		return fmt.Errorf("inmem: mark rejected: %w", err)
	}
	if at.IsZero() {
		return domain.E("inmem: mark rejected "+name, domain.Invalid, errors.New("no time"))
	}
	reason = domain.ShortReason(cmp.Or(reason, "rejected"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	ev, i, err := s.eventSnapshot(id, name, "inmem: mark rejected "+name)
	if err != nil {
		return err
	}
	if ev.Snapshots[i].Rejected.IsZero() {
		ev = clone(ev)
		ev.Snapshots[i].Rejected, ev.Snapshots[i].RejectReason = at, reason
		s.events[id] = ev
	}
	return nil
}

// Failed implements ports.Outbox: one more attempt, the reason (its first
// 512 bytes) and the next due time. NotFound when name is not queued.
func (s *EventStore) Failed(ctx context.Context, name string, next time.Time, reason string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: failed %s: %w", name, err)
	}
	reason = domain.ShortReason(reason)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	q := s.queued(name)
	if q < 0 {
		return domain.E("inmem: failed "+name, domain.NotFound, errors.New("not in the outbox"))
	}
	u := &s.outbox[q]
	u.Attempts++
	u.Due, u.LastError = next, reason
	return nil
}

// OutboxLen is the number of snapshots waiting for upload.
func (s *EventStore) OutboxLen(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("inmem: outbox length: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.outbox), nil
}

// Read implements ports.SnapshotReader: a copy of a stored snapshot's
// bytes, NotFound when there is none.
func (s *EventStore) Read(name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return nil, s.Fail
	}
	b, ok := s.files[name]
	if !ok {
		return nil, domain.E("inmem: read "+name, domain.NotFound, errors.New("no such snapshot"))
	}
	return slices.Clone(b), nil
}

// DeleteSnapshot removes a snapshot as retention does: its file, its entry
// in its event and its outbox entry. It reports whether there was one.
func (s *EventStore) DeleteSnapshot(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, had := s.files[name]
	delete(s.files, name)
	if q := s.queued(name); q >= 0 {
		s.outbox = slices.Delete(s.outbox, q, q+1)
	}
	if id, _, err := domain.ParseSnapshotName(name); err == nil {
		if ev, ok := s.events[id]; ok {
			ev = clone(ev)
			ev.Snapshots = slices.DeleteFunc(ev.Snapshots, func(sn domain.Snapshot) bool { return sn.Name == name })
			s.events[id] = ev
		}
	}
	return had
}

// SetFail sets Fail while the store is in use.
func (s *EventStore) SetFail(err error) {
	s.mu.Lock()
	s.Fail = err
	s.mu.Unlock()
}

// eventSnapshot returns event id and the index of its snapshot name;
// NotFound (for op) when either is missing. s.mu is held.
func (s *EventStore) eventSnapshot(id domain.EventID, name, op string) (domain.Event, int, error) {
	ev, ok := s.events[id]
	i := -1
	if ok {
		i = slices.IndexFunc(ev.Snapshots, func(sn domain.Snapshot) bool { return sn.Name == name })
	}
	if i < 0 {
		return ev, -1, domain.E(op, domain.NotFound, errors.New("no such snapshot"))
	}
	return ev, i, nil
}
