package bbolt

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"vigil/domain"
)

// pruneBatch bounds the snapshots removed under one lock, so that Prune
// never holds up AddSnapshot for long.
const pruneBatch = 32

// victim is a snapshot chosen for removal.
type victim struct {
	event domain.EventID
	name  string
	bytes int64
}

// Prune deletes snapshots while their files use more than quota bytes or
// the disk has less than minFree bytes free (a limit ≤ 0 is not checked),
// and returns the names it deleted, in order.
//
// Order: safely uploaded snapshots first (uploaded and not rejected by the
// cloud: a rejected one has no copy there), oldest event first (then in the
// event's order); any other snapshot only when no safe one is left, then
// too oldest first, with its outbox entry (the quota wins over the upload:
// capture must go on). Files go first, then the index entries in one
// transaction per batch, so a crash in between leaves index entries that
// Reconcile drops. An ended event left with no snapshot is removed
// (otherwise the index would grow without bound); a running one stays.
// Prune stops when the limits are met or nothing is left to delete.
func (s *Store) Prune(ctx context.Context, quota, minFree int64) (removed []string, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("bbolt: prune: %w", err)
		}
		need, err := s.excess(quota, minFree)
		if err != nil || need <= 0 {
			return removed, err
		}
		vs, err := s.victims(need)
		if err != nil {
			return removed, fmt.Errorf("bbolt: prune: %w", err)
		}
		if len(vs) == 0 {
			return removed, nil
		}
		n, err := s.drop(vs)
		for _, v := range vs[:n] {
			removed = append(removed, v.name)
		}
		if err != nil {
			return removed, fmt.Errorf("bbolt: prune: %w", err)
		}
	}
}

// excess is how many bytes must go to meet both limits.
func (s *Store) excess(quota, minFree int64) (int64, error) {
	var need int64
	if quota > 0 {
		used, err := s.files.Usage()
		if err != nil {
			return 0, fmt.Errorf("bbolt: prune: %w", err)
		}
		need = used - quota
	}
	if minFree > 0 {
		free, err := s.free()
		if err != nil {
			return 0, fmt.Errorf("bbolt: prune: %w", err)
		}
		need = max(need, minFree-free)
	}
	return need, nil
}

// victims picks up to pruneBatch snapshots holding at least need bytes:
// safely uploaded ones (see snapshotRecord.safe), oldest first, then, if
// those are not enough, the others, oldest first.
func (s *Store) victims(need int64) ([]victim, error) {
	var out []victim
	err := s.db.View(func(tx *bolt.Tx) error {
		var sum int64
		for _, safe := range []bool{true, false} {
			c := tx.Bucket(bucketEvents).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				var rec eventRecord
				if err := json.Unmarshal(v, &rec); err != nil {
					return fmt.Errorf("event %s: %w", k, err)
				}
				for _, sn := range rec.Snapshots {
					if sn.safe() != safe {
						continue
					}
					out = append(out, victim{event: domain.EventID(k), name: sn.Name, bytes: int64(sn.Bytes)})
					sum += int64(sn.Bytes)
					if sum >= need || len(out) == pruneBatch {
						return nil
					}
				}
			}
		}
		return nil
	})
	return out, err
}

// safe reports whether the cloud holds the snapshot: uploaded, and not
// rejected (quarantined) there.
func (r snapshotRecord) safe() bool { return !r.Uploaded.IsZero() && r.Rejected.IsZero() }

// drop removes the victims' files, then their index and outbox entries
// (and the score trace of an event it removes). It returns how many it
// removed.
func (s *Store) drop(vs []victim) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ferr error
	for i, v := range vs {
		if err := s.files.Remove(v.name); err != nil {
			vs, ferr = vs[:i], err
			break
		}
	}
	if len(vs) == 0 {
		return 0, ferr
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		recs := map[domain.EventID]*eventRecord{}
		for _, v := range vs {
			rec := recs[v.event]
			if rec == nil {
				r, ok, err := getEvent(tx, v.event)
				if err != nil {
					return err
				}
				if !ok { // deleted meanwhile
					continue
				}
				rec = &r
				recs[v.event] = rec
			}
			if i := rec.snapshot(v.name); i >= 0 {
				rec.Snapshots = append(rec.Snapshots[:i], rec.Snapshots[i+1:]...)
			}
			if err := dequeue(tx, v.name); err != nil {
				return err
			}
		}
		for id, rec := range recs {
			var err error
			if len(rec.Snapshots) == 0 && !rec.End.IsZero() {
				err = deleteEvent(tx, id)
			} else {
				err = putEvent(tx, id, rec)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The files are gone; their entries stay until Reconcile.
		return len(vs), err
	}
	return len(vs), ferr
}
