package bbolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"vigil/adapters/disk"
	"vigil/domain"
)

// Reconcile makes the index, the outbox and the files agree again after a
// crash. Run it at start-up, before anything records (it closes running
// events). In one transaction:
//
//   - an index entry whose file is missing is dropped, with its outbox entry;
//   - a file without an index entry (written, then a crash before its
//     transaction) is indexed in its event, in its place by sequence
//     number, with its size, the file's time and an unknown (empty) kind;
//     an unknown event gets a minimal record: Start from the ID, ended at
//     its last file's time;
//   - an event the crash left running is closed at its last known moment
//     (latest of start, peak and snapshot times): no event survives a
//     restart, the next motion starts a new one;
//   - the outbox is made to hold exactly the snapshots not uploaded, once
//     each (missing ones are queued, due now);
//   - a score trace whose event is not in the index is dropped.
//
// Afterwards every snapshot file is listed in its event, every listed
// snapshot has its file, and the outbox holds exactly the snapshots not
// uploaded.
func (s *Store) Reconcile(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: reconcile: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.files.List()
	if err != nil {
		return fmt.Errorf("bbolt: reconcile: %w", err)
	}
	onDisk := make(map[string]disk.FileInfo, len(list))
	for _, fi := range list {
		onDisk[fi.Name] = fi
	}
	now := s.now()
	err = s.db.Update(func(tx *bolt.Tx) error {
		changed, err := reconcileEvents(tx, list, onDisk)
		if err != nil {
			return err
		}
		for id, rec := range changed {
			if err := putEvent(tx, id, rec); err != nil {
				return err
			}
		}
		if err := reconcileTraces(tx); err != nil {
			return err
		}
		return reconcileOutbox(tx, now)
	})
	if err != nil {
		return fmt.Errorf("bbolt: reconcile: %w", err)
	}
	return nil
}

// reconcileEvents returns the event records that must change so that the
// index lists exactly the files on disk.
func reconcileEvents(tx *bolt.Tx, list []disk.FileInfo, onDisk map[string]disk.FileInfo) (map[domain.EventID]*eventRecord, error) {
	changed := map[domain.EventID]*eventRecord{}
	closing := map[domain.EventID]bool{} // events whose End Reconcile sets
	indexed := map[string]bool{}
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var rec eventRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, fmt.Errorf("event %s: %w", k, err)
		}
		id := domain.EventID(k) // a copy: the conversion copies the bytes
		dirty := false
		kept := rec.Snapshots[:0]
		for _, sn := range rec.Snapshots {
			if _, ok := onDisk[sn.Name]; ok && !indexed[sn.Name] && strings.HasPrefix(sn.Name, string(id)+"-") {
				kept = append(kept, sn)
				indexed[sn.Name] = true
			} else {
				dirty = true
			}
		}
		rec.Snapshots = kept
		if rec.End.IsZero() {
			closing[id], dirty = true, true
		}
		if dirty {
			changed[id] = &rec
		}
	}

	for _, fi := range list { // sorted by name: an event's files together
		if indexed[fi.Name] {
			continue
		}
		id, _, err := disk.ParseName(fi.Name)
		if err != nil { // List returns valid names only
			return nil, err
		}
		rec := changed[id]
		if rec == nil {
			r, ok, err := getEvent(tx, id)
			if err != nil {
				return nil, err
			}
			if !ok {
				r = eventRecord{Start: id.Time()}
				closing[id] = true
			}
			rec = &r
			changed[id] = rec
		}
		rec.Snapshots = append(rec.Snapshots, snapshotRecord{Name: fi.Name, Time: fi.ModTime, Bytes: int(fi.Size)})
		slices.SortStableFunc(rec.Snapshots, func(a, b snapshotRecord) int { return seq(a.Name) - seq(b.Name) })
		indexed[fi.Name] = true
	}

	for id := range closing {
		rec := changed[id]
		end := rec.Start
		if rec.PeakAt.After(end) {
			end = rec.PeakAt
		}
		for _, sn := range rec.Snapshots {
			if sn.Time.After(end) {
				end = sn.Time
			}
		}
		rec.End = end
		if rec.End.IsZero() { // a record without any time: still mark it ended
			rec.End = time.Unix(0, 0)
		}
	}
	return changed, nil
}

// seq is a snapshot name's sequence number (0 for a bad name).
func seq(name string) int {
	_, n, _ := disk.ParseName(name)
	return n
}

// reconcileOutbox makes the outbox hold exactly the snapshots not
// uploaded, once each, and outbox_names match it.
func reconcileOutbox(tx *bolt.Tx, now time.Time) error {
	type want struct {
		name  string
		bytes int
	}
	var wanted []want // in event and snapshot order
	isWanted := map[string]bool{}
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var rec eventRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("event %s: %w", k, err)
		}
		for _, sn := range rec.Snapshots {
			if sn.Uploaded.IsZero() {
				wanted = append(wanted, want{sn.Name, sn.Bytes})
				isWanted[sn.Name] = true
			}
		}
	}

	ob, names := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutboxNames)
	queued := map[string][]byte{} // name → outbox key
	var drop [][]byte
	oc := ob.Cursor()
	for k, v := oc.First(); k != nil; k, v = oc.Next() {
		u, err := decodeUpload(v)
		if err != nil || !isWanted[u.Name] || queued[u.Name] != nil {
			drop = append(drop, bytes.Clone(k))
			continue
		}
		queued[u.Name] = bytes.Clone(k)
	}
	for _, k := range drop {
		if err := ob.Delete(k); err != nil {
			return err
		}
	}

	drop = drop[:0]
	nc := names.Cursor()
	for k, v := nc.First(); k != nil; k, v = nc.Next() {
		if !bytes.Equal(queued[string(k)], v) {
			drop = append(drop, bytes.Clone(k))
		}
	}
	for _, k := range drop {
		if err := names.Delete(k); err != nil {
			return err
		}
	}
	for name, key := range queued {
		if names.Get([]byte(name)) == nil {
			if err := names.Put([]byte(name), key); err != nil {
				return err
			}
		}
	}

	for _, w := range wanted {
		if queued[w.name] == nil {
			if err := enqueue(tx, w.name, w.bytes, now); err != nil {
				return err
			}
		}
	}
	return nil
}
