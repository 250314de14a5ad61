package bbolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"vigil/domain"
	"vigil/ports"
)

// bucketTraces holds each event's score trace (the UI's chart), keyed by
// event ID; it is made on first use.
var bucketTraces = []byte("score_traces")

var _ ports.ScoreTraces = (*Store)(nil)

type traceRecord struct {
	Scores    []float32 `json:"s"`
	Step      int       `json:"step"`
	PreRoll   int       `json:"pre"`
	Threshold float32   `json:"thr"`
}

// SaveTrace stores (or replaces) the score trace of event id. The trace of
// an event not (or no longer) in the index is not kept: retention may have
// removed the event meanwhile, and a trace without its event would never
// be pruned.
func (s *Store) SaveTrace(ctx context.Context, id domain.EventID, tr domain.ScoreTrace) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: save trace %s: %w", id, err)
	}
	if _, err := domain.ParseEventID(string(id)); err != nil {
		return fmt.Errorf("bbolt: save trace: %w", err)
	}
	v, err := json.Marshal(traceRecord(tr))
	if err != nil {
		return fmt.Errorf("bbolt: save trace %s: %w", id, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if _, ok, err := getEvent(tx, id); err != nil || !ok {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bucketTraces)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), v)
	})
	if err != nil {
		return fmt.Errorf("bbolt: save trace %s: %w", id, err)
	}
	return nil
}

// Trace returns the score trace of event id; ok is false when there is none.
func (s *Store) Trace(ctx context.Context, id domain.EventID) (tr domain.ScoreTrace, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return tr, false, fmt.Errorf("bbolt: trace %s: %w", id, err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTraces)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		var r traceRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		tr, ok = domain.ScoreTrace(r), true
		return nil
	})
	if err != nil {
		return domain.ScoreTrace{}, false, fmt.Errorf("bbolt: trace %s: %w", id, err)
	}
	return tr, ok, nil
}

// DeleteTrace removes the score trace of event id (nothing when there is none).
func (s *Store) DeleteTrace(ctx context.Context, id domain.EventID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTraces)
		if b == nil {
			return nil
		}
		return b.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("bbolt: delete trace %s: %w", id, err)
	}
	return nil
}

// deleteEvent removes event id's record and score trace in tx.
func deleteEvent(tx *bolt.Tx, id domain.EventID) error {
	if b := tx.Bucket(bucketTraces); b != nil {
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketEvents).Delete([]byte(id))
}

// reconcileTraces drops the score traces whose event is not in the index
// (left by a version that did not remove them with their event).
func reconcileTraces(tx *bolt.Tx) error {
	b := tx.Bucket(bucketTraces)
	if b == nil {
		return nil
	}
	events := tx.Bucket(bucketEvents)
	var orphans [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if events.Get(k) == nil {
			orphans = append(orphans, bytes.Clone(k))
		}
	}
	for _, k := range orphans {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
