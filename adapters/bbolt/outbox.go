package bbolt

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"vigil/adapters/disk"
	"vigil/domain"
)

// Upload is one snapshot waiting in the outbox.
type Upload = domain.Upload

// uploadRecord is an outbox value after its 8-byte due time.
type uploadRecord struct {
	Name      string    `json:"name"`
	Bytes     int       `json:"bytes"`
	Queued    time.Time `json:"queued,omitzero"`
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
}

func dueNanos(t time.Time) uint64 {
	if t.IsZero() || t.UnixNano() <= 0 {
		return 0
	}
	return uint64(t.UnixNano())
}

func encodeUpload(due time.Time, r *uploadRecord) ([]byte, error) {
	j, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(j)), dueNanos(due)), j...), nil
}

func decodeUpload(v []byte) (Upload, error) {
	if len(v) < 8 {
		return Upload{}, errors.New("outbox value too short")
	}
	var r uploadRecord
	if err := json.Unmarshal(v[8:], &r); err != nil {
		return Upload{}, err
	}
	u := Upload{Name: r.Name, Bytes: r.Bytes, Queued: r.Queued, Attempts: r.Attempts, LastError: r.LastError}
	if n := binary.BigEndian.Uint64(v); n != 0 {
		u.Due = time.Unix(0, int64(n))
	}
	if id, _, err := disk.ParseName(r.Name); err == nil {
		u.Event = id
	}
	return u, nil
}

// enqueue adds name to the end of the outbox, due now.
func enqueue(tx *bolt.Tx, name string, bytes int, now time.Time) error {
	ob := tx.Bucket(bucketOutbox)
	seq, err := ob.NextSequence()
	if err != nil {
		return err
	}
	key := binary.BigEndian.AppendUint64(nil, seq)
	v, err := encodeUpload(time.Time{}, &uploadRecord{Name: name, Bytes: bytes, Queued: now})
	if err != nil {
		return err
	}
	if err := ob.Put(key, v); err != nil {
		return err
	}
	return tx.Bucket(bucketOutboxNames).Put([]byte(name), key)
}

// dequeue removes name from the outbox, if it is there.
func dequeue(tx *bolt.Tx, name string) error {
	names := tx.Bucket(bucketOutboxNames)
	key := names.Get([]byte(name))
	if key == nil {
		return nil
	}
	key = append([]byte(nil), key...)
	if err := tx.Bucket(bucketOutbox).Delete(key); err != nil {
		return err
	}
	return names.Delete([]byte(name))
}

// Pending returns up to limit outbox entries that are due at now, oldest
// (first queued) first.
func (s *Store) Pending(ctx context.Context, now time.Time, limit int) ([]Upload, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bbolt: pending: %w", err)
	}
	if limit <= 0 {
		return nil, domain.E("bbolt: pending", domain.Invalid, fmt.Errorf("limit %d: want at least 1", limit))
	}
	due := dueNanos(now)
	var out []Upload
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			if len(v) < 8 {
				return fmt.Errorf("outbox %x: value too short", k)
			}
			if binary.BigEndian.Uint64(v) > due { // the due time leads the value: no decoding to skip
				continue
			}
			u, err := decodeUpload(v)
			if err != nil {
				return fmt.Errorf("outbox %x: %w", k, err)
			}
			out = append(out, u)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bbolt: pending: %w", err)
	}
	return out, nil
}

// Uploaded records that the cloud accepted the snapshot at at: the outbox
// entry goes and the snapshot is marked uploaded. Doing it twice is not an
// error (the first time is kept); an unknown snapshot is NotFound.
func (s *Store) Uploaded(ctx context.Context, name string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: uploaded %s: %w", name, err)
	}
	id, _, err := disk.ParseName(name)
	if err != nil {
		return fmt.Errorf("bbolt: uploaded: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := dequeue(tx, name); err != nil {
			return err
		}
		rec, i, err := eventSnapshot(tx, id, name, "bbolt: uploaded "+name)
		if err != nil {
			return err
		}
		if !rec.Snapshots[i].Uploaded.IsZero() {
			return nil
		}
		rec.Snapshots[i].Uploaded = at
		return putEvent(tx, id, &rec)
	})
	if domain.KindOf(err) == domain.NotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("bbolt: uploaded %s: %w", name, err)
	}
	return nil
}

// MarkRejected implements ports.RejectionMarker: the snapshot's record
// notes that the cloud quarantined it, at at, for reason (cut to 512
// bytes). A snapshot marked already keeps its first mark; an unknown one is
// NotFound. The outbox is left as it is: a rejected snapshot was uploaded.
func (s *Store) MarkRejected(ctx context.Context, name string, at time.Time, reason string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: mark rejected %s: %w", name, err)
	}
	id, _, err := disk.ParseName(name)
	if err != nil {
		return fmt.Errorf("bbolt: mark rejected: %w", err)
	}
	if at.IsZero() {
		return domain.E("bbolt: mark rejected "+name, domain.Invalid, errors.New("no time"))
	}
	reason = domain.ShortReason(cmp.Or(reason, "rejected"))
	err = s.db.Update(func(tx *bolt.Tx) error {
		rec, i, err := eventSnapshot(tx, id, name, "bbolt: mark rejected "+name)
		if err != nil {
			return err
		}
		if !rec.Snapshots[i].Rejected.IsZero() {
			return nil
		}
		rec.Snapshots[i].Rejected, rec.Snapshots[i].RejectReason = at, reason
		return putEvent(tx, id, &rec)
	})
	if domain.KindOf(err) == domain.NotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("bbolt: mark rejected %s: %w", name, err)
	}
	return nil
}

// Failed records a failed upload attempt: one more attempt, the reason, and
// when the next is due (the caller computes the back-off). NotFound when
// name is not in the outbox.
func (s *Store) Failed(ctx context.Context, name string, next time.Time, reason string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: failed %s: %w", name, err)
	}
	reason = domain.ShortReason(reason)
	err := s.db.Update(func(tx *bolt.Tx) error {
		key := tx.Bucket(bucketOutboxNames).Get([]byte(name))
		if key == nil {
			return notFound("bbolt: failed "+name, "not in the outbox")
		}
		ob := tx.Bucket(bucketOutbox)
		u, err := decodeUpload(ob.Get(key))
		if err != nil {
			return err
		}
		v, err := encodeUpload(next, &uploadRecord{Name: u.Name, Bytes: u.Bytes, Queued: u.Queued,
			Attempts: u.Attempts + 1, LastError: reason})
		if err != nil {
			return err
		}
		return ob.Put(append([]byte(nil), key...), v)
	})
	if domain.KindOf(err) == domain.NotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("bbolt: failed %s: %w", name, err)
	}
	return nil
}

// OutboxLen is the number of snapshots waiting for upload.
func (s *Store) OutboxLen(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("bbolt: outbox length: %w", err)
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bbolt: outbox length: %w", err)
	}
	return n, nil
}

// eventSnapshot reads the record of event id and the index of its snapshot
// name; NotFound (for op) when either is missing.
func eventSnapshot(tx *bolt.Tx, id domain.EventID, name, op string) (eventRecord, int, error) {
	rec, ok, err := getEvent(tx, id)
	if err != nil {
		return rec, -1, err
	}
	i := -1
	if ok {
		i = rec.snapshot(name)
	}
	if i < 0 {
		return rec, -1, notFound(op, "no such snapshot")
	}
	return rec, i, nil
}
